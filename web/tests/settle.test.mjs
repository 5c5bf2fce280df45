// Browser test of settlement on an application's page (web/static/settle.js): a reviewer settles
// an awarded corpus voucher at a lower value after an inline confirmation that shows the value,
// the contract's face value, the award and what was paid; cancelled it moves nothing, confirmed
// it moves once (one Idempotency-Key), the award goes down to the decision on the settled value
// and the difference returns to the pool. Finance, whose role the route does not take, sees no
// settle form; a grant has none either (its tranches follow its milestones). A rejection asks
// first too, saying what it returns to the pool. playwright-core
// drives Debian's chromium against a real `quan serve` on a fresh SQLite database, as
// queue.test.mjs does.
//
//   cd web && node --test tests/settle.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { office, ready, ROOT, ARTIFACTS, EXAMPLES } from './lib.mjs';

const t = office('settle', { width: 1400 });
const { quan, api, newPage, login } = t;
let rita, fay, corpus, grant, rent;

/* The corpus pool's available amount for 2025, as GET /v1/report says. */
async function available(token) {
  const rep = (await api('GET', '/v1/report', token)).json;
  let found = null;
  (function walk(o) {
    if (!o || typeof o !== 'object' || found !== null) return;
    if (o.pool === 'corpus' && o.year === 2025 && o.available !== undefined) { found = o.available; return; }
    Object.values(o).forEach(walk);
  })(rep);
  return found;
}

function fen(s) {
  const [i, f = ''] = s.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
}

before(async () => {
  quan(['init', '--db', t.db, '--policy', path.join(ROOT, 'policies/shanghai-2025.yaml'), '--by', 'admin']);
  // The corpus voucher: 30 % of 3 000 000.00 = 900 000.00, one approver (as office.bats's settle).
  corpus = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-corpus.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, corpus, '--approve', '--by', 'rob']);
  grant = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-institute.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, grant, '--approve', '--by', 'rob']);
  quan(['review', '--db', t.db, grant, '--approve', '--by', 'robert']);
  // A compute-rent application, reserved (360 000.00 held): rejected from its page below.
  rent = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-compute-rent.json')]).split(/\s+/)[0];
  rita = quan(['user', 'add', '--db', t.db, 'rita', '--role', 'reviewer']).trim();
  fay = quan(['user', 'add', '--db', t.db, 'fay', '--role', 'finance']).trim();
  await t.start();
  await t.launch();
});

test('a settlement asks first with the amounts; cancelled it moves nothing, confirmed the award goes down once', async () => {
  const page = await newPage('zh-CN');
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push({ url: r.url(), headers: r.headers() }); });
  await login(page, rita);
  await page.goto(t.base + `/#/app/${corpus}`);
  await ready(page, 'app');
  const before = (await api('GET', `/v1/applications/${corpus}`, rita)).json;
  assert.equal(before.state, 'awarded');
  assert.equal(before.awarded, '900000.00');
  const pool = await available(rita);
  await page.fill('[data-testid=settle-value]', '2000000.00');
  await page.click('[data-testid=settle]');
  await page.waitForSelector('[data-testid=confirm-box]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), '2000000.00');
  const said = (await page.textContent('[data-testid=confirm-text]')).trim();
  for (const part of ['按 2,000,000.00 元', '合同金额 3,000,000.00 元', '资助 900,000.00 元', '已拨付 0.00 元', '只减不增'])
    assert.ok(said.includes(part), `${part} in: ${said}`);
  await page.screenshot({ path: path.join(ARTIFACTS, '141-settle-confirm.png'), fullPage: true });
  await page.click('[data-testid=confirm-no]');
  assert.equal(await page.$('[data-testid=confirm-box]'), null);
  assert.deepEqual(sent, []);
  assert.equal((await api('GET', `/v1/applications/${corpus}`, rita)).json.awarded, '900000.00');

  await page.click('[data-testid=settle]');
  await page.click('[data-testid=confirm-yes]');
  // 30 % of 2 000 000.00: the award is 600 000.00, and 300 000.00 returns to the pool.
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=app-awarded]')?.getAttribute('data-money') === '600000.00');
  assert.equal(sent.length, 1);
  assert.ok(sent[0].url.endsWith(`/v1/applications/${corpus}/settle`));
  assert.match(sent[0].headers['idempotency-key'], /^ui-/);
  const after = (await api('GET', `/v1/applications/${corpus}`, rita)).json;
  assert.equal(after.awarded, '600000.00');
  assert.equal(after.settlement.value, '2000000.00');
  assert.equal(fen(await available(rita)) - fen(pool), fen('300000.00'));
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('a value above the face value is refused by the server, and nothing moves', async () => {
  const page = await newPage('en-US');
  await login(page, rita);
  await page.goto(t.base + `/#/app/${corpus}`);
  await ready(page, 'app');
  await page.fill('[data-testid=settle-value]', '3000000.01');
  await page.click('[data-testid=settle]');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForFunction(() => /face value/.test(document.querySelector('#alert')?.textContent || ''),
    null, { timeout: 15000 });
  assert.equal((await api('GET', `/v1/applications/${corpus}`, rita)).json.awarded, '600000.00');
  await page.context().close();
});

test('finance sees no settle form; a grant has none, and lists its tranches instead', async () => {
  const page = await newPage('en-US');
  await login(page, fay);
  await page.goto(t.base + `/#/app/${corpus}`);
  await ready(page, 'app');
  await page.waitForSelector('[data-testid=disburse-form]');
  assert.equal(await page.$('[data-testid=settle-form]'), null);
  await page.context().close();

  const rev = await newPage('zh-CN');
  await login(rev, rita);
  await rev.goto(t.base + `/#/app/${grant}`);
  await ready(rev, 'app');
  assert.equal(await rev.$('[data-testid=settle-form]'), null);
  const g = (await api('GET', `/v1/applications/${grant}`, rita)).json;
  assert.ok(g.tranches.length >= 2);
  for (const tr of g.tranches) {
    assert.equal(await rev.getAttribute(`[data-testid=tranche-${tr.year}]`, 'data-state'), 'open');
    assert.equal(await rev.getAttribute(`[data-testid=tranche-amount-${tr.year}]`, 'data-money'), tr.amount);
  }
  assert.ok((await rev.textContent('[data-testid=tranches]')).includes('已预留'));
  assert.deepEqual(rev.jsErrors || [], []);
  await rev.context().close();
});

test('a rejection asks first, saying what returns to the pool; cancelled nothing is sent, confirmed it is rejected', async () => {
  const page = await newPage('zh-CN');
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.url()); });
  await login(page, rita);
  await page.goto(t.base + `/#/app/${rent}`);
  await ready(page, 'app');
  const before = (await api('GET', `/v1/applications/${rent}`, rita)).json;
  assert.equal(before.state, 'reserved');
  await page.fill('[data-testid=reject-reason]', '合同金额与发票不符');
  await page.click('[data-testid=reject]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), before.requested);
  const said = (await page.textContent('[data-testid=confirm-text]')).trim();
  assert.ok(said.includes('360,000.00 元将退回资金池'), said);
  await page.click('[data-testid=confirm-no]');
  assert.deepEqual(sent, []);
  assert.equal((await api('GET', `/v1/applications/${rent}`, rita)).json.state, 'reserved');
  await page.click('[data-testid=reject]');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForSelector('[data-testid=app-state][data-state=rejected]', { timeout: 15000 });
  assert.equal(sent.length, 1);
  assert.ok(sent[0].endsWith(`/v1/applications/${rent}/reject`));
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
