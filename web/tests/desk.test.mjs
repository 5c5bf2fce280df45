// Browser tests of the auditor's desk (the event log with its filters and pages, chain
// verification, the ledger check, replay; each check failing, and naming why, once the SQLite
// file is edited behind quan's back with the sqlite3 CLI) and of the comparison form. As
// signin.test.mjs: playwright-core drives Debian's chromium against a real `quan serve` on a
// fresh SQLite database.
//
//   cd web && node --test tests/desk.test.mjs

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as kit from './lib.mjs';
import { office, ready, text, signIn, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

const PASS = 'Audrey-pass-2025';

const t = office('desk');
const { quan, api, newPage } = t;
let clerk;

/* The database behind quan's back, as someone holding the file could. */
function sqlite(sql) {
  return execFileSync('sqlite3', [t.db, sql], { encoding: 'utf8' }).trim();
}

const screenshot = kit.screenshots(ARTIFACTS, 80); // 81-NAME.png, ...

/* The seqs of the events the table shows. */
async function seqs(page) {
  return page.$$eval('[data-testid=desk-events] tbody tr', (rows) => rows.map((r) => Number(r.dataset.testid.replace('desk-event-', ''))));
}

/* Run one check from its panel: its result element once answered. */
async function runCheck(page, id) {
  await page.click(`[data-testid=desk-${id}]`);
  await page.waitForSelector(`[data-testid=desk-${id}-result][data-ok]`, { timeout: 20000 });
  return { ok: await page.getAttribute(`[data-testid=desk-${id}-result]`, 'data-ok'), text: await text(page, `desk-${id}-result`) };
}

before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  quan(['user', 'add', '--db', t.db, 'audrey', '--role', 'auditor', '--password-stdin'], PASS + '\n');
  clerk = quan(['user', 'add', '--db', t.db, 'clerk', '--role', 'administrator']).trim();
  const rita = quan(['user', 'add', '--db', t.db, 'rita', '--role', 'reviewer']).trim();
  await t.start();
  for (const f of fs.readdirSync(EXAMPLES).filter((n) => /^sh-.*\.json$/.test(n)).sort()) {
    const r = await api('POST', '/v1/applications', clerk, JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')));
    assert.ok(r.status === 201 || r.status === 200, `POST /v1/applications ${f}: ${r.text}`);
  }
  const ok = await api('POST', '/v1/applications/SH-2025-000003/approve', rita, {});
  assert.equal(ok.status, 200, ok.text);
  await t.launch();
});

test('the auditor signs in, filters and pages the event log, and runs the three checks', async () => {
  const page = await newPage('en-US');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  // A wrong password first: it is in the log the auditor reads next.
  await signIn(page, 'audrey', 'not-the-password');
  await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 15000 });
  await signIn(page, 'audrey', PASS, 'pools');
  await page.click('[data-testid=nav-desk]');
  await ready(page, 'desk');
  assert.equal(await page.locator('#view h1').textContent(), "Auditor's desk");

  const total = Number(sqlite('select count(*) from events'));
  const first = await seqs(page);
  assert.equal(first.length, Math.min(total, 50));
  assert.deepEqual(first, first.slice().sort((a, b) => a - b), 'in chain order');

  // Filter by kind: the approval only, its kind in words.
  await page.selectOption('[data-testid=desk-f-kind]', 'approve');
  await page.click('[data-testid=desk-filter]');
  await page.waitForFunction(() => location.hash.includes('kind=approve'));
  await ready(page, 'desk');
  const approvals = await page.$$eval('[data-testid=desk-events] tbody tr', (rows) => rows.map((r) => r.dataset.action));
  assert.deepEqual(approvals, ['approve']);
  assert.match(await text(page, 'desk-events'), /approved/);
  assert.match(await text(page, 'desk-events'), /SH-2025-000003/);

  // The failed sign-in: by "anonymous", the name tried, no password.
  await page.selectOption('[data-testid=desk-f-kind]', 'sign-in-failed');
  await page.fill('[data-testid=desk-f-app]', 'audrey');
  await page.click('[data-testid=desk-filter]');
  await page.waitForFunction(() => location.hash.includes('kind=sign-in-failed'));
  await ready(page, 'desk');
  const failed = await text(page, 'desk-events');
  assert.match(failed, /failed sign-in/);
  assert.match(failed, /wrong_password/);
  assert.doesNotMatch(failed, /not-the-password/);

  // By a subject and a day range that holds nothing, then cleared.
  await page.selectOption('[data-testid=desk-f-kind]', '');
  await page.fill('[data-testid=desk-f-app]', 'SH-2025-000003');
  await page.fill('[data-testid=desk-f-to]', '2025-11-19');
  await page.click('[data-testid=desk-filter]');
  await page.waitForFunction(() => location.hash.includes('to=2025-11-19'));
  await ready(page, 'desk');
  assert.equal(await page.locator('[data-testid=desk-empty]').count(), 1);
  await page.click('[data-testid=desk-clear]');
  await page.waitForFunction(() => !location.hash.includes('to='));
  await ready(page, 'desk');

  // Pages of 4: forward twice, back once, each page after the one before.
  await page.goto(t.base + '/#/desk?limit=4');
  await ready(page, 'desk');
  const p1 = await seqs(page);
  assert.equal(p1.length, 4);
  await page.click('[data-testid=desk-next]');
  await page.waitForFunction(() => location.hash.includes('after='));
  await ready(page, 'desk');
  const p2 = await seqs(page);
  assert.ok(p2[0] > p1[3], `page 2 (${p2}) follows page 1 (${p1})`);
  await page.click('[data-testid=desk-next]');
  await page.waitForFunction(() => location.hash.includes('back='));
  await ready(page, 'desk');
  const p3 = await seqs(page);
  assert.ok(p3[0] > p2[p2.length - 1]);
  await page.click('[data-testid=desk-prev]');
  await page.waitForFunction((s) => document.querySelector(`[data-testid=desk-event-${s}]`) !== null, p2[0]);
  assert.deepEqual(await seqs(page), p2);
  await screenshot(page, 'desk-log-en');

  // The three checks pass on an untouched office.
  let r = await runCheck(page, 'verify');
  assert.equal(r.ok, 'true', r.text);
  assert.match(r.text, new RegExp(`The chain is intact: ${Number(sqlite('select count(*) from events'))} events`));
  r = await runCheck(page, 'ledger');
  assert.equal(r.ok, 'true', r.text);
  r = await runCheck(page, 'replay');
  assert.equal(r.ok, 'true', r.text);
  assert.match(r.text, new RegExp(`${sqlite('select count(*) from applications')} applications replayed`));
  await screenshot(page, 'desk-checks-pass');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('the desk in Chinese', async () => {
  const page = await newPage('zh-CN');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  await signIn(page, 'audrey', PASS, 'pools');
  await page.click('[data-testid=nav-desk]');
  await ready(page, 'desk');
  assert.equal(await page.locator('#view h1').textContent(), '审计台');
  assert.equal(await text(page, 'desk-verify'), '校验审计链');
  const r = await runCheck(page, 'ledger');
  assert.equal(r.text, '账簿一致，未发现问题。');
  await screenshot(page, 'desk-zh');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('tampering shows as a failure of each check, naming what differs', async () => {
  // As tests/e2e/tamper.bats: the triggers that keep history immutable dropped, then edits.
  sqlite('drop trigger transfers_immutable; drop trigger transfers_kept; ' +
    'drop trigger events_immutable; drop trigger events_kept');
  const approval = sqlite("select max(seq) from events where action = 'approve'");
  sqlite(`update events set who = 'mallory' where seq = ${approval}`);
  sqlite("update accounts set debits_posted = debits_posted + 100000000 where code = 'shanghai-2025/compute/2025/available'");
  // The stored application's contract value halved (stored as the API received it: compact).
  sqlite(`update applications set json = replace(replace(json, '"value": "1200000.00"', '"value": "600000.00"'), ` +
    `'"value":"1200000.00"', '"value":"600000.00"') where id = 'SH-2025-000003'`);

  const page = await newPage('en-US');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  await signIn(page, 'audrey', PASS, 'pools');
  await page.goto(t.base + '/#/desk');
  await ready(page, 'desk');

  let r = await runCheck(page, 'verify');
  assert.equal(r.ok, 'false', r.text);
  assert.match(r.text, new RegExp(`The chain is broken at event ${approval}:`));
  assert.ok((await text(page, 'desk-verify-why')).length > 0, 'the reason is shown');

  r = await runCheck(page, 'ledger');
  assert.equal(r.ok, 'false', r.text);
  assert.match(await text(page, 'desk-ledger-problems'), /account 'shanghai-2025\/compute\/2025\/available': debits posted stored as/);

  r = await runCheck(page, 'replay');
  assert.equal(r.ok, 'false', r.text);
  assert.match(r.text, /1 of \d+ decisions come out differently/);
  assert.match(await text(page, 'desk-replay-problems'),
    /SH-2025-000003: the decision comes out differently; recorded: eligible yes, amount 360000\.00; now: eligible yes, amount 180000\.00/);
  await screenshot(page, 'desk-checks-fail');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('the compare form: drop-downs from /v1/choices, the profile it sends, and the JSON behind a toggle', async () => {
  const choices = (await api('GET', '/v1/choices', clerk)).json;
  const page = await newPage('en-US');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  await page.click('[data-testid=use-token]');
  await page.fill('[data-testid=token-input]', clerk);
  await page.click('[data-testid=token-submit]');
  await ready(page, 'pools');
  await page.click('[data-testid=nav-compare]');
  await ready(page, 'compare');
  assert.equal(await page.isVisible('[data-testid=compare-json]'), false, 'the JSON is folded away');
  const chipValues = await page.$$eval('[data-testid=cmp-cp-chip] option', (o) => o.map((x) => x.value));
  assert.deepEqual(chipValues, choices.chips.map((c) => c.id));
  const industryValues = await page.$$eval('[data-testid=cmp-industry] option', (o) => o.map((x) => x.value));
  assert.deepEqual(industryValues, [''].concat(choices.industries.map((c) => c.code)));

  // Fill the form: a firm in I65, buying its compute, no corpus.
  await page.fill('[data-testid=cmp-name]', '表单测试科技有限公司');
  await page.selectOption('[data-testid=cmp-industry]', 'I65');
  await page.fill('[data-testid=cmp-head-count]', '40');
  await page.selectOption('[data-testid=cmp-cp-kind]', 'buy');
  assert.equal(await page.isVisible('[data-testid=cmp-cp-price]'), false, 'a purchase has a value, not an hourly price');
  await page.fill('[data-testid=cmp-cp-value]', '2000000.00');
  await page.selectOption('[data-testid=cmp-cp-chip]', choices.chips[0].id);
  await page.uncheck('[data-testid=cmp-has-corpus]');
  assert.equal(await page.isVisible('[data-testid=cmp-corpus]'), false);

  let sentBody = null;
  page.on('request', (req) => { if (req.url().endsWith('/v1/compare')) sentBody = JSON.parse(req.postData()); });
  await Promise.all([page.waitForResponse((x) => x.url().endsWith('/v1/compare')),
    page.click('[data-testid=compare-submit]')]);
  await page.waitForSelector('[data-testid=compare-table]');
  assert.equal(sentBody.firm.name, '表单测试科技有限公司');
  assert.equal(sentBody.firm.industry, 'I65');
  assert.equal(sentBody.firm.head_count, 40);
  assert.deepEqual(Object.keys(sentBody.plan).sort(), ['compute', 'electricity_kwh', 'models', 'signed_on']);
  assert.equal(sentBody.plan.compute[0].kind, 'buy');
  assert.equal(sentBody.plan.compute[0].value, '2000000.00');
  assert.equal(sentBody.plan.compute[0].chip, choices.chips[0].id);
  assert.equal(sentBody.plan.compute[0].price_per_hour, undefined);
  // What the page shows is what the server answers for that profile.
  const res = (await api('POST', '/v1/compare', clerk, sentBody)).json;
  const rows = await page.$$eval('[data-testid=compare-table] tbody tr', (r) => r.map((x) => x.dataset.testid));
  assert.deepEqual(rows, res.cities.map((c) => 'cmp-row-' + c.program));
  await screenshot(page, 'compare-form-en');

  // The JSON toggle shows the same profile, and what is written there is sent as written.
  await page.click('[data-testid=compare-mode-json]');
  assert.equal(await page.isVisible('[data-testid=compare-json]'), true);
  assert.deepEqual(JSON.parse(await page.inputValue('[data-testid=compare-json]')), sentBody);
  const edited = Object.assign({}, sentBody, { firm: Object.assign({}, sentBody.firm, { head_count: 7 }) });
  await page.fill('[data-testid=compare-json]', JSON.stringify(edited));
  await Promise.all([page.waitForResponse((x) => x.url().endsWith('/v1/compare')),
    page.click('[data-testid=compare-submit]')]);
  assert.equal(sentBody.firm.head_count, 7);
  // Back to the form: it takes what the JSON said.
  await page.click('[data-testid=compare-mode-form]');
  await ready(page, 'compare');
  assert.equal(await page.inputValue('[data-testid=cmp-head-count]'), '7');
  assert.equal(await page.isVisible('[data-testid=compare-json]'), false);

  // A form that says something wrong is refused by the server, naming the field.
  await page.fill('[data-testid=cmp-signed-on]', '');
  await page.click('[data-testid=compare-submit]');
  await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 15000 });
  assert.match(await text(page, 'error-field'), /signed_on/);
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
