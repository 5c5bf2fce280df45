// Browser tests of the finance officer's page: a payment batch made, paid after a confirmation
// that shows the amount, exported (the file the browser downloads), and reconciled against a
// bank statement with a line that matches nothing; then the pools page's cumulative totals,
// against a real `quan serve` on a fresh SQLite office. Figures are checked against the API.
//
//   cd web && node --test tests/
//
// Environment as dashboard.test.mjs: QUAN, QUAN_WEB, CHROMIUM, ARTIFACTS.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { office, ready, moneyOf, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

const ACCOUNT = '6222 0210 0111 2222 333';

const t = office('fin');
const { quan, api, login } = t;
let fin, rev, aud, app;

// The bundled Shanghai policy posts an award for 5 working days (公示) before it is paid: a
// notice opened over it at the office's clock and closed on the CLI with the clock a week on
// (2025-11-27, the day after its last working day). Payment reads the notice's state, so the
// running server, whose clock still reads the 20th, pays it.
function throughNotice(id) {
  const nid = quan(['notice', 'open', '--db', t.db, 'shanghai-2025', id, '--by', 'admin']).split(/\s+/)[0];
  t.quanAt('2025-11-27T09:00:00+08:00', ['notice', 'close', '--db', t.db, nid, '--by', 'admin']);
}

before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  fin = quan(['user', 'add', '--db', t.db, 'li.ming', '--role', 'finance']).trim();
  rev = quan(['user', 'add', '--db', t.db, 'wang.fang', '--role', 'reviewer']).trim();
  aud = quan(['user', 'add', '--db', t.db, 'zhao.lei', '--role', 'auditor']).trim();
  const admin = quan(['user', 'add', '--db', t.db, 'ada', '--role', 'administrator']).trim();
  await t.start();
  await t.launch();
  const sent = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'sh-compute-rent.json'), 'utf8'));
  sent.applicant.bank_account = ACCOUNT;
  const r = await api('POST', '/v1/applications', admin, sent);
  assert.equal(r.status, 201, r.text);
  app = r.json.id;
  const a = await api('POST', `/v1/applications/${app}/approve`, rev, {});
  assert.equal(a.status, 200, a.text);
  throughNotice(app);
});

test('finance makes a batch, pays it after a confirmation showing the amount, exports and reconciles it', async () => {
  const context = await t.browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 },
    acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, fin, 'pools');

  // The award shows what remains to pay.
  await page.goto(t.base + `/#/app/${app}`);
  await ready(page, 'app');
  assert.equal(await moneyOf(page, 'app-remaining'), '360000.00');

  await page.click('[data-testid=nav-finance]');
  await ready(page, 'finance');
  await page.fill('[data-testid=fin-ids]', app);
  await page.click('[data-testid=fin-make]');
  await ready(page, 'finance-batch');
  assert.equal((await page.textContent('[data-testid=batch-id]')).trim(), 'PB-2025-0001');
  assert.equal(await page.getAttribute('[data-testid="payment-state-PZ-2025-000001"]', 'data-state'), 'planned');
  assert.equal(await moneyOf(page, 'payment-amount-PZ-2025-000001'), '360000.00');

  // Nothing moves on the first click: the confirmation names the amount.
  await page.click('[data-testid=fin-pay]');
  const ask = (await page.textContent('[data-testid=fin-confirm-text]')).trim();
  assert.match(ask, /Pay 360000\.00 yuan to the planned payments of PB-2025-0001\?/);
  assert.equal((await api('GET', `/v1/applications/${app}`, fin)).json.paid, '0.00');
  await page.click('[data-testid=fin-confirm]');
  await page.waitForSelector('[data-testid="payment-state-PZ-2025-000001"][data-state=paid]', { timeout: 15000 });
  const shown = await api('GET', `/v1/applications/${app}`, fin);
  assert.equal(shown.json.paid, '360000.00');
  assert.equal(shown.json.remaining, '0.00');
  assert.equal(await page.locator('[data-testid=fin-pay]').count(), 0, 'nothing left to pay');

  // The export is the file the browser downloads.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=fin-export-csv]')]);
  assert.equal(dl.suggestedFilename(), 'PB-2025-0001.csv');
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  assert.match(csv, /^voucher,batch,id,program,measure,uscc,payee_name,payee_account,amount,state,bank_ref,paid_at,settled_on,kind,ref\r\n/);
  assert.ok(csv.includes(`,voucher,PZ-2025-000001\r\n`), csv);
  assert.ok(csv.includes(`PZ-2025-000001,PB-2025-0001,${app},shanghai-2025,compute-rent,`), csv);
  assert.ok(csv.includes(`${ACCOUNT},360000.00,paid,`), csv);
  await page.screenshot({ path: path.join(ARTIFACTS, 'finance-batch.png'), fullPage: true });

  // The bank statement: one line is the payment, one matches nothing.
  await page.click('text=All batches');
  await ready(page, 'finance');
  await page.fill('[data-testid=fin-statement]', [
    'date,amount,payee_account,payee_name,reference',
    `2025-11-21,360000.00,${ACCOUNT},示例智能科技（上海）有限公司,PZ-2025-000001`,
    '2025-11-21,1200.00,6217 0000 1111 2222,某科技有限公司,HX20251121-0042',
  ].join('\n'));
  await page.click('[data-testid=fin-reconcile-go]');
  await page.waitForSelector('[data-testid=fin-matched]', { timeout: 15000 });
  assert.equal(await page.locator('[data-testid="matched-2"]').count(), 1);
  const line = (await page.textContent('[data-testid="unmatched-line-3"]')).trim();
  assert.match(line, /HX20251121-0042/);
  assert.match(line, /no payment has this reference/);
  assert.equal(await page.locator('[data-testid^=unmatched-payment-]').count(), 0);
  const b = await api('GET', '/v1/batches/PB-2025-0001', fin);
  assert.equal(b.json.payments[0].state, 'settled');
  await page.screenshot({ path: path.join(ARTIFACTS, 'finance-reconciled.png'), fullPage: true });

  // In Chinese, the page has its labels in Chinese.
  await page.click('[data-testid=lang-toggle]');
  assert.equal((await page.textContent('#view h1')).trim(), '财务');
  assert.equal((await page.textContent('[data-testid=fin-reconcile-go]')).trim(), '对账');
  assert.equal((await page.textContent('[data-testid=why-3]')).trim(), '没有款项使用此参考号');
  await page.click('[data-testid=lang-toggle]');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the pools page shows the cumulative totals beside the balances; an auditor sees batches, not the forms', async () => {
  const c = await api('POST', `/v1/applications/${app}/clawback`, fin, { amount: '50000.00', why: 'overstated' });
  assert.equal(c.status, 200, c.text);
  const context = await t.browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  await login(page, aud, 'pools');
  const k = 'shanghai-2025-compute-2025';
  assert.equal(await moneyOf(page, `totals-awarded-${k}`), '360000.00');
  assert.equal(await moneyOf(page, `totals-paid-${k}`), '360000.00');
  assert.equal(await moneyOf(page, `totals-recovered-${k}`), '50000.00');
  // the balances, labelled as such above
  assert.equal(await moneyOf(page, `pool-paid-${k}`), '310000.00');
  assert.equal(await moneyOf(page, `pool-recovered-${k}`), '0.00');
  assert.match(await page.textContent('[data-testid=totals]'), /The table above shows balances/);
  await page.click('[data-testid=nav-finance]');
  await ready(page, 'finance');
  assert.equal(await page.locator('[data-testid="batch-row-PB-2025-0001"]').count(), 1);
  assert.equal(await page.locator('[data-testid=fin-new]').count(), 0);
  assert.equal(await page.locator('[data-testid=fin-reconcile]').count(), 0);
  await context.close();
});
