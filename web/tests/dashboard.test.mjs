// Browser tests of the dashboard: playwright-core drives Debian's chromium (headless) against a
// real `quan serve` on a fresh SQLite database.
//
//   cd web && node --test tests/
//
// Environment: QUAN (the quan binary, default ../build/quan), QUAN_WEB (the built dashboard,
// default ../build/web, rebuilt with web/build.sh when QUAN_WEB is not given), CHROMIUM
// (default /usr/bin/chromium), ARTIFACTS (screenshots, default ../build/artifacts/screenshots).
//
// The office's clock: every quan command here, `quan serve` included, runs with QUAN_NOW set
// to NOW, inside the Shanghai 2025 application window (the real date may be long after it);
// the server's clock moves on from there. The office numbers the applications in the order
// it receives them: the ids below are taken from its answers.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as kit from './lib.mjs';
import { office, ready, text, moneyOf, confirmMove, ARTIFACTS, POLICY, EXAMPLES, NOW } from './lib.mjs';

const RENT_USCC = '91310115MA1K4ABCDD';    // the applicant user's firm
const MODEL_USCC = '91310110MA1G9C3R1D';   // another firm (sh-model.json), a second applicant user
const POOL = 'shanghai-2025-compute-2025';

// The office's numbers of the applications the set-up submits, from its answers.
let RENT;   // compute-rent, applicant RENT_USCC, 360000.00 reserved
let EARLY;  // compute-early, for the finance officer
let MODEL;  // model voucher, another applicant
const ids = {};

const t = office('web');
const { quan, api, newPage, login, addUser } = t;
const tokens = {};

/* ---------- helpers ---------- */

// The bundled Shanghai policy posts an award for 5 working days (公示) before it is paid: a
// notice opened over it at the office's clock and closed on the CLI with the clock a week on
// (2025-11-27, the day after its last working day). Payment reads the notice's state, so the
// running server, whose clock still reads the 20th, pays it.
function throughNotice(id) {
  const nid = quan(['notice', 'open', '--db', t.db, 'shanghai-2025', id, '--by', 'admin']).split(/\s+/)[0];
  t.quanAt('2025-11-27T09:00:00+08:00', ['notice', 'close', '--db', t.db, nid, '--by', 'admin']);
}

function example(name, changes) {
  const a = JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
  return Object.assign(a, changes || {});
}

// Screenshots 01-NAME.png, 02-..., in ARTIFACTS.
const screenshot = kit.screenshots(ARTIFACTS, 0, (n, name) => `${String(n).padStart(2, '0')}-${name}.png`);

async function chartData(page) {
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid=burndown-chart]');
    const chart = canvas && window.Chart.getChart(canvas);
    if (!chart) return null;
    return chart.data.datasets.map((d) => ({
      key: d.key, label: d.label, raw: d.data.map((p) => p.raw), y: d.data.map((p) => p.y),
    }));
  });
}

function series(data, key) {
  const s = data.find((d) => d.key === key);
  assert.ok(s, `the chart has a ${key} series`);
  return s;
}

/* ---------- set-up ---------- */

before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  tokens.admin = addUser('admin', 'administrator');
  tokens.reviewer = addUser('wang.fang', 'reviewer');
  tokens.reviewer2 = addUser('chen.jing', 'reviewer');
  tokens.finance = addUser('li.ming', 'finance');
  tokens.auditor = addUser('zhao.lei', 'auditor');
  tokens.applicant = addUser('示例智能', 'applicant', RENT_USCC);
  tokens.applicant2 = addUser('申城智能', 'applicant', MODEL_USCC);

  await t.start();
  // Its stderr (a pipe of its own) may arrive after the listening line.
  for (let i = 0; i < 100 && !/QUAN_NOW/.test(t.serverErr()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(t.serverErr(), /QUAN_NOW/, 'quan serve announces that its clock is set');

  for (const f of ['sh-compute-rent.json', 'sh-model.json', 'sh-compute-early.json', 'sh-corpus.json']) {
    const sent = example(f);
    const r = await api('POST', '/v1/applications', tokens.admin, sent);
    assert.equal(r.status, 201, `POST /v1/applications ${f}: ${r.text}`);
    assert.match(r.json.id, /^SH-2025-\d{6}$/, `the office numbers ${f}`);
    assert.equal(r.json.client_ref, sent.client_ref);
    assert.ok(Date.parse(r.json.received_at) >= Date.parse(NOW), `${f} received at ${r.json.received_at}`);
    ids[f] = r.json.id;
  }
  RENT = ids['sh-compute-rent.json'];
  MODEL = ids['sh-model.json'];
  EARLY = ids['sh-compute-early.json'];
  assert.equal(new Set(Object.values(ids)).size, 4, 'four numbers');
  assert.equal((await api('GET', `/v1/applications/${RENT}`, tokens.admin)).json.state, 'reserved');
  // The finance officer's application is awarded through the API (a different reviewer
  // from the finance officer, as separation of duties wants).
  const r = await api('POST', `/v1/applications/${EARLY}/approve`, tokens.reviewer, {});
  assert.equal(r.status, 200, `approve ${EARLY}: ${r.text}`);
  // 1 200 000.00 is above the policy's 1 M: a second, different approver.
  const r2 = await api('POST', `/v1/applications/${EARLY}/approve`, tokens.reviewer2, {});
  assert.equal(r2.status, 200, `second approval of ${EARLY}: ${r2.text}`);
  assert.equal(r2.json.state, 'awarded');
  throughNotice(EARLY);

  await t.launch();
});

/* ---------- tests ---------- */

test('a reviewer approves from the queue; pool figures and the burn-down chart follow', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.reviewer, 'queue');
  assert.equal(await text(page, 'user-name'), 'wang.fang');
  assert.equal(await page.getAttribute('[data-testid=user-role]', 'data-role'), 'reviewer');
  assert.equal(await text(page, 'user-role'), 'reviewer');
  await screenshot(page, 'reviewer-queue');

  // Pools before: the compute pool holds RENT's reservation.
  await page.click('[data-testid=nav-pools]');
  await ready(page, 'pools');
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid=burndown-chart]');
    return c && window.Chart && window.Chart.getChart(c);
  });
  const reservedBefore = await moneyOf(page, `pool-reserved-${POOL}`);
  const awardedBefore = await moneyOf(page, `pool-awarded-${POOL}`);
  const chartBefore = await chartData(page);
  const reservedSeriesBefore = series(chartBefore, 'reserved').raw;
  assert.equal(reservedSeriesBefore[reservedSeriesBefore.length - 1], reservedBefore,
    'the last point of the chart is the pool as the table shows it');
  await screenshot(page, 'pools-before');

  // The queue lists RENT with its figures.
  await page.click('[data-testid=nav-queue]');
  await ready(page, 'queue');
  const row = page.locator(`[data-testid="queue-row-${RENT}"]`);
  await row.waitFor();
  const list = (await api('GET', '/v1/applications?state=reserved', tokens.reviewer)).json.applications;
  const item = list.find((a) => a.id === RENT);
  assert.equal(await moneyOf(page, `queue-requested-${RENT}`), item.requested);
  assert.match(await text(page, `queue-age-${RENT}`), /^\d+ (d \d+ h|h \d+ min|min)$|^\d+ min$/);
  assert.ok((await row.textContent()).includes(item.rate), 'the rate is shown');
  assert.ok((await row.textContent()).includes(item.name), 'the applicant name is shown');
  assert.equal(await text(page, `queue-ref-${RENT}`), item.client_ref);
  assert.equal(item.client_ref, 'sh-compute-rent-1');
  assert.equal(await page.getAttribute(`[data-testid="queue-received-${RENT}"]`, 'data-at'), item.received_at);
  assert.ok(!('submitted_at' in item), 'the list has no submitted_at');

  // Open it and approve.
  await page.click(`[data-testid="queue-link-${RENT}"]`);
  await ready(page, 'app');
  assert.equal(await page.getAttribute('[data-testid=app-state]', 'data-state'), 'reserved');
  assert.equal(await text(page, 'app-id'), RENT);
  assert.equal(await text(page, 'app-client-ref'), item.client_ref);
  assert.equal(await page.getAttribute('[data-testid=app-received-at]', 'data-at'), item.received_at);
  const trace = await page.locator('[data-testid=app-trace] li').allTextContents();
  assert.ok(trace.length > 0, 'the decision comes with its trace');
  assert.ok(trace.some((t) => t.includes('registered in Shanghai')), 'the trace is in words');
  await screenshot(page, 'application-reserved');
  await page.click('[data-testid=approve]');
  // The confirmation names the amount to be awarded: the reservation.
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), item.requested);
  await confirmMove(page);
  await page.waitForSelector('[data-testid=app-state][data-state=awarded]', { timeout: 15000 });
  assert.equal(await text(page, 'app-state'), 'awarded');
  const shown = (await api('GET', `/v1/applications/${RENT}`, tokens.reviewer)).json;
  assert.equal(shown.state, 'awarded');
  assert.equal(await moneyOf(page, 'app-awarded'), shown.awarded);
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  await screenshot(page, 'application-awarded');

  // Pools after: the table and the chart show what the API now says.
  await page.click('[data-testid=nav-pools]');
  await ready(page, 'pools');
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid=burndown-chart]');
    return c && window.Chart && window.Chart.getChart(c);
  });
  const report = (await api('GET', '/v1/report', tokens.reviewer)).json.pools
    .find((p) => `${p.program}-${p.pool}-${p.year}` === POOL);
  const reservedAfter = await moneyOf(page, `pool-reserved-${POOL}`);
  const awardedAfter = await moneyOf(page, `pool-awarded-${POOL}`);
  assert.notEqual(reservedAfter, reservedBefore, 'reserved changed');
  assert.notEqual(awardedAfter, awardedBefore, 'awarded changed');
  assert.equal(reservedAfter, report.reserved);
  assert.equal(awardedAfter, report.awarded);
  assert.equal(await moneyOf(page, `pool-available-${POOL}`), report.available);

  const burn = (await api('GET', '/v1/burndown?program=shanghai-2025&pool=compute&year=2025',
    tokens.reviewer)).json;
  const chartAfter = await chartData(page);
  const reservedSeries = series(chartAfter, 'reserved').raw;
  const lastPoint = burn.points[burn.points.length - 1];
  assert.equal(reservedSeries.length, burn.points.length, 'one chart point per burn-down point');
  assert.equal(reservedSeries[reservedSeries.length - 1], lastPoint.reserved);
  assert.equal(series(chartAfter, 'available').raw.at(-1), lastPoint.available);
  assert.equal(series(chartAfter, 'paid').raw.at(-1), lastPoint.paid);
  assert.ok(reservedSeries.length !== reservedSeriesBefore.length ||
    reservedSeries.at(-1) !== reservedSeriesBefore.at(-1), 'the chart changed');
  assert.equal(reservedSeries.at(-1), reservedAfter, 'chart and table agree');
  await screenshot(page, 'pools-after');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('switching to Chinese relabels the page; the choice is kept', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.reviewer, 'queue');
  await page.click('[data-testid=nav-pools]');
  await ready(page, 'pools');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await text(page, 'nav-pools'), 'Pools');
  assert.equal(await page.locator('#view h1').textContent(), 'Pools');
  assert.equal(await text(page, 'lang-toggle'), '中文');

  await page.click('#lang-toggle');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await text(page, 'nav-pools'), '资金池');
  assert.equal(await text(page, 'nav-queue'), '审核队列');
  assert.equal(await text(page, 'nav-estimate'), '补贴测算');
  assert.equal(await text(page, 'user-role'), '审核员');
  assert.equal(await text(page, 'logout'), '退出登录');
  assert.equal(await text(page, 'lang-toggle'), 'English');
  const heads = await page.locator('[data-testid=pools-table] thead th').allTextContents();
  assert.deepEqual(heads.slice(0, 5), ['资金池', '财政年度', '预算', '可用', '预留']);
  assert.ok(heads.includes('已批准') && heads.includes('已拨付') && heads.includes('各状态申请数'));
  assert.equal(await text(page, `pool-select-${POOL}`), '算力');
  const labels = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=burndown-chart]');
    return window.Chart.getChart(c).data.datasets.map((d) => d.label);
  });
  assert.ok(labels.includes('可用') && labels.includes('预留') && labels.includes('已拨付'), labels.join());
  await screenshot(page, 'pools-zh');

  // Kept across a reload (localStorage), and the queue speaks Chinese too.
  await page.goto(t.base + '/#/queue');
  await ready(page, 'queue');
  assert.equal(await page.locator('#view h1').textContent(), '审核队列');
  assert.match(await text(page, `queue-age-${MODEL}`), /^\d+(天\d+小时|小时\d+分钟|分钟)$/);
  assert.equal(await text(page, `queue-state-${MODEL}`), '已预留');
  await screenshot(page, 'queue-zh');

  await page.click('#lang-toggle');
  assert.equal(await page.locator('#view h1').textContent(), 'Review queue');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.context().close();
});

test('the browser locale sets the default language', async () => {
  const zh = await newPage('zh-CN');
  await zh.goto(t.base + '/');
  await ready(zh, 'login');
  assert.equal(await zh.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await zh.locator('#view h1').textContent(), '登录');
  assert.equal(await text(zh, 'login-submit'), '登录');
  await screenshot(zh, 'login-zh-locale');
  assert.equal(await text(zh, 'use-token'), '使用访问令牌');
  await zh.click('[data-testid=use-token]');
  await zh.fill('[data-testid=token-input]', tokens.auditor);
  await zh.click('[data-testid=token-submit]');
  await ready(zh, 'pools');
  assert.equal(await zh.locator('#view h1').textContent(), '资金池');
  assert.equal(await text(zh, 'user-role'), '审计员');
  await screenshot(zh, 'pools-zh-locale');
  await zh.context().close();

  const en = await newPage('en-US');
  await en.goto(t.base + '/');
  await ready(en, 'login');
  assert.equal(await en.getAttribute('html', 'lang'), 'en');
  assert.equal(await en.locator('#view h1').textContent(), 'Sign in');
  await en.context().close();
});

test('an applicant sees only its own applications', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.applicant, 'queue');
  assert.equal(await text(page, 'user-uscc'), RENT_USCC);
  assert.equal(await page.locator('[data-testid=nav-pools]').count(), 0, 'no pools page for applicants');
  const ids = await page.locator('[data-testid^=queue-row-]').evaluateAll(
    (rows) => rows.map((r) => r.getAttribute('data-testid').replace('queue-row-', '')));
  const mine = (await api('GET', '/v1/applications', tokens.applicant)).json.applications;
  assert.ok(mine.length > 0 && mine.every((a) => a.uscc === RENT_USCC));
  assert.deepEqual(ids.sort(), mine.map((a) => a.id).sort());
  assert.ok(ids.includes(RENT));
  assert.ok(!ids.includes(MODEL) && !ids.includes(EARLY), 'no one else\'s applications');
  await screenshot(page, 'applicant-list');

  // Another applicant's application is not found.
  await page.goto(t.base + `/#/app/${MODEL}`);
  await page.waitForSelector('[data-testid=error]:not([hidden])');
  const theirs = await api('GET', `/v1/applications/${MODEL}`, tokens.applicant);
  assert.equal(theirs.status, 404);
  assert.equal(await text(page, 'error-message'), theirs.json.error.message);
  await screenshot(page, 'applicant-other-404');
  await page.context().close();
});

test('an error from the server is shown; a valid tranche is paid', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.finance, 'pools');
  await page.goto(t.base + `/#/app/${EARLY}`);
  await ready(page, 'app');
  assert.equal(await page.getAttribute('[data-testid=app-state]', 'data-state'), 'awarded');
  assert.equal(await page.locator('[data-testid=approve]').count(), 0, 'finance cannot approve');
  const awarded = await moneyOf(page, 'app-awarded');

  // More than awarded: the server refuses, and says why.
  const tooMuch = '999999999.00';
  await page.fill('[data-testid=disburse-amount]', tooMuch);
  await page.click('[data-testid=disburse]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=error]:not([hidden])');
  const refused = await api('POST', `/v1/applications/${EARLY}/disburse`, tokens.finance, { amount: tooMuch });
  assert.ok(refused.status >= 400 && refused.status < 500, `disburse too much: ${refused.status}`);
  assert.equal(await text(page, 'error-message'), refused.json.error.message);
  assert.ok(await page.locator('[data-testid=error]').isVisible());
  if (refused.json.error.field) assert.equal(await text(page, 'error-field'), refused.json.error.field);
  await screenshot(page, 'disburse-refused');

  // Money as the server refuses it (three decimals): its message and field are shown.
  await page.fill('[data-testid=disburse-amount]', '10.001');
  await page.click('[data-testid=disburse]');
  await confirmMove(page);
  const bad = await api('POST', `/v1/applications/${EARLY}/disburse`, tokens.finance, { amount: '10.001' });
  assert.ok(bad.status >= 400 && bad.status < 500, `disburse 10.001: ${bad.status}`);
  await page.waitForFunction((m) =>
    document.querySelector('[data-testid=error-message]')?.textContent === m, bad.json.error.message);
  await screenshot(page, 'disburse-bad-money');

  // A real tranche.
  await page.fill('[data-testid=disburse-amount]', '100000.00');
  await page.click('[data-testid=disburse]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=app-paid]')?.getAttribute('data-money') !== '0.00');
  const now = (await api('GET', `/v1/applications/${EARLY}`, tokens.finance)).json;
  assert.equal(await moneyOf(page, 'app-paid'), now.paid);
  assert.equal(await moneyOf(page, 'app-awarded'), now.awarded);
  assert.equal(now.paid, '100000.00');
  assert.ok(awarded);
  assert.equal(await page.locator('[data-testid=error]').isVisible(), false);
  await screenshot(page, 'disburse-paid');
  await page.context().close();
});

test('an applicant estimates a subsidy from the form and from raw JSON', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.applicant, 'queue');
  await page.click('[data-testid=nav-estimate]');
  await ready(page, 'estimate');
  assert.equal(await page.inputValue('[data-testid=est-uscc]'), RENT_USCC);
  assert.equal(await page.locator('[data-testid=est-id], [data-testid=est-submitted-at]').count(), 0,
    'no id and no submission time in the form');
  await page.selectOption('[data-testid=est-measure]', 'compute-rent');
  await page.fill('[data-testid=ct-value]', '2000000.00');
  await page.click('[data-testid=estimate-submit]');
  await page.waitForSelector('[data-testid=estimate-decision]');

  // The same application through the API gives the same decision.
  await page.click('[data-testid=mode-json]');
  const sent = JSON.parse(await page.inputValue('[data-testid=estimate-json]'));
  assert.equal(sent.contract.value, '2000000.00');
  assert.equal(sent.applicant.uscc, RENT_USCC);
  const d = (await api('POST', '/v1/estimate', tokens.applicant, sent)).json;
  assert.equal(await page.getAttribute('[data-testid=estimate-eligible]', 'data-eligible'), String(d.eligible));
  assert.equal(await moneyOf(page, 'estimate-amount'), d.amount);
  assert.equal(await text(page, 'estimate-rate'), d.rate);
  const steps = await page.locator('[data-testid=estimate-trace] li').count();
  assert.equal(steps, d.trace.length);
  assert.equal(d.eligible, true, 'eligible now, by the office\'s clock (inside the window)');
  // With no time given the estimate assumes the office's now (its clock moves on from NOW).
  const assumed = await page.getAttribute('[data-testid=estimate-received-at]', 'data-at');
  assert.ok(Date.parse(assumed) >= Date.parse(NOW) && Math.abs(Date.parse(assumed) - Date.parse(d.received_at)) < 60000,
    `the estimate assumed ${assumed}, the API ${d.received_at}`);
  await screenshot(page, 'estimate-form');

  // As if received after the window closed: ?at=, the same answer as the API's.
  await page.fill('[data-testid=est-at]', '2026-01-05T09:30');
  await page.click('[data-testid=estimate-submit]');
  await page.waitForSelector('[data-testid=estimate-eligible][data-eligible=false]');
  const late = (await api('POST', '/v1/estimate?at=' + encodeURIComponent('2026-01-05T09:30:00+08:00'),
    tokens.applicant, sent)).json;
  assert.equal(late.eligible, false);
  assert.ok(late.reasons.some((r) => /window/.test(r.rule)), 'refused by the window');
  assert.equal(await page.getAttribute('[data-testid=estimate-received-at]', 'data-at'), '2026-01-05T09:30:00+08:00');
  assert.equal(late.received_at, '2026-01-05T09:30:00+08:00');
  assert.equal(await moneyOf(page, 'estimate-amount'), late.amount);
  const reasons = await page.locator('[data-testid=estimate-reasons] li').allTextContents();
  assert.equal(reasons.length, late.reasons.length);
  await screenshot(page, 'estimate-at-late');
  await page.fill('[data-testid=est-at]', '');

  // Raw JSON with an unknown field: the server's refusal is shown, with the field.
  sent.contract.colour = 'blue';
  await page.fill('[data-testid=estimate-json]', JSON.stringify(sent, null, 2));
  await page.click('[data-testid=estimate-submit]');
  await page.waitForSelector('[data-testid=error]:not([hidden])');
  const refused = await api('POST', '/v1/estimate', tokens.applicant, sent);
  assert.ok(refused.status >= 400 && refused.status < 500, `unknown field: ${refused.status}`);
  assert.equal(await text(page, 'error-message'), refused.json.error.message);
  await screenshot(page, 'estimate-json-refused');

  // Back to the form: apply for real, follow the link, withdraw.
  await page.click('[data-testid=mode-form]');
  await page.fill('[data-testid=est-client-ref]', 'my-ref-0777');
  await page.fill('[data-testid=ct-number]', 'HT-2025-0777');
  await page.click('[data-testid=apply-submit]');
  await page.waitForSelector('[data-testid=applied-state]');
  const number = await text(page, 'applied-link');
  assert.match(number, /^SH-2025-\d{6}$/, 'the office\'s number');
  const filed = (await api('GET', `/v1/applications/${number}`, tokens.applicant)).json;
  assert.equal(await page.getAttribute('[data-testid=applied-state]', 'data-state'), filed.state);
  assert.equal(filed.state, 'reserved');
  assert.equal(filed.uscc, RENT_USCC);
  assert.equal(filed.client_ref, 'my-ref-0777');
  assert.equal(await text(page, 'applied-client-ref'), 'my-ref-0777');
  assert.equal(await page.getAttribute('[data-testid=applied-received-at]', 'data-at'), filed.received_at);
  await screenshot(page, 'applied');
  await page.click('[data-testid=applied-link]');
  await ready(page, 'app');
  assert.equal(await page.getAttribute('[data-testid=app-state]', 'data-state'), filed.state);
  assert.equal(await page.locator('[data-testid=approve]').count(), 0, 'applicants cannot approve');
  // Withdrawing asks first, saying what returns to the pool (settle.js).
  await page.click('[data-testid=withdraw]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), filed.requested);
  assert.equal((await api('GET', `/v1/applications/${number}`, tokens.applicant)).json.state, 'reserved');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForSelector('[data-testid=app-state][data-state=withdrawn]', { timeout: 15000 });
  assert.equal((await api('GET', `/v1/applications/${number}`, tokens.applicant)).json.state, 'withdrawn');
  await screenshot(page, 'withdrawn');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('an applicant compares cities, in English and in Chinese', async () => {
  for (const lang of ['en-US', 'zh-CN']) {
    const page = await newPage(lang);
    await login(page, tokens.applicant, 'queue');
    await page.click('[data-testid=nav-compare]');
    await ready(page, 'compare');
    const sent = JSON.parse(await page.inputValue('[data-testid=compare-json]'));
    await page.click('[data-testid=compare-submit]');
    await page.waitForSelector('[data-testid=compare-table]');
    const res = (await api('POST', '/v1/compare', tokens.applicant, sent)).json;
    assert.equal(res.winner, 'shanghai-2025');
    for (const c of res.cities) {
      assert.equal(await moneyOf(page, `cmp-subsidies-${c.program}`), c.subsidies);
      assert.equal(await moneyOf(page, `cmp-operating-${c.program}`), c.operating_costs);
      assert.equal(await moneyOf(page, `cmp-net-${c.program}`), c.net_cost);
    }
    const first = page.locator('[data-testid=compare-table] tbody tr').first();
    assert.equal(await first.getAttribute('data-testid'), 'cmp-row-shanghai-2025');
    const why = await text(page, 'cmp-why');
    if (lang === 'zh-CN') {
      assert.equal(await text(page, 'cmp-city-shanghai-2025'), '上海');
      assert.match(why, /上海比成都净成本低 722,720\.00 元/);
      // the assumption in the office's Chinese wording (data/costs.yaml assumption_zh)
      assert.match(await text(page, 'cmp-cost-hangzhou-2024-salaries'), /直接用于杭州，不加溢价/);
    } else {
      assert.equal(await text(page, 'cmp-city-hangzhou-2024'), 'Hangzhou');
      assert.match(why, /Shanghai wins by 722,720\.00 yuan over Chengdu/);
      assert.match(await text(page, 'cmp-cost-hangzhou-2024-salaries'), /taken for Hangzhou without a premium/);
    }
    assert.equal(await page.getAttribute('[data-testid=cmp-cost-hangzhou-2024-salaries]', 'data-assumption'), 'true');
    await screenshot(page, `compare-${lang}`);
    assert.deepEqual(page.jsErrors || [], []);
    await page.context().close();
  }
});

test('the pools page shows the domestic share of subsidised compute beside the 2027 forecast', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.reviewer, 'queue');
  await page.click('[data-testid=nav-pools]');
  await ready(page, 'pools');
  await page.waitForSelector('[data-testid=self-reliance]');
  const sr = (await api('GET', '/v1/report', tokens.reviewer)).json.self_reliance;
  assert.equal(await text(page, 'sr-share-yuan-all'), sr.total.share_yuan);
  assert.equal(await text(page, 'sr-share-hours-all'), sr.total.share_hours);
  assert.match(await text(page, 'sr-summary'), /55%/);
  assert.match(await text(page, 'sr-forecast'), /Bernstein/);
  await screenshot(page, 'self-reliance');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('two firms submitting through the form with the same client reference get two office numbers', async () => {
  const REF = 'PO-2025-0042';
  const filed = {};
  const firms = [
    { who: 'applicant', uscc: RENT_USCC, number: 'HT-2025-4201', value: '1300000.00' },
    { who: 'applicant2', uscc: MODEL_USCC, number: 'HT-2025-4202', value: '1400000.00' },
  ];
  for (const f of firms) {
    const page = await newPage(f.who === 'applicant' ? 'en-US' : 'zh-CN');
    await login(page, tokens[f.who], 'queue');
    await page.click('[data-testid=nav-estimate]');
    await ready(page, 'estimate');
    assert.equal(await page.inputValue('[data-testid=est-uscc]'), f.uscc);

    // Before anyone types: no id or submission-time field, an empty reference the browser may
    // not fill, no time of receipt, and no field holding an application number or a time.
    assert.equal(await page.locator('[data-testid=est-id], [data-testid=est-submitted-at]').count(), 0);
    assert.equal(await page.inputValue('[data-testid=est-client-ref]'), '');
    assert.equal(await page.getAttribute('[data-testid=est-client-ref]', 'autocomplete'), 'off');
    assert.equal(await page.getAttribute('[data-testid=est-client-ref]', 'list'), null);
    assert.equal(await page.inputValue('[data-testid=est-at]'), '');
    const fields = await page.locator('#view input, #view textarea, #view select').evaluateAll(
      (els) => els.map((el) => ({ id: el.id, value: el.value })));
    assert.ok(fields.length > 20, 'the form is there');
    for (const x of fields) {
      assert.doesNotMatch(x.value, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, `${x.id} holds no time`);
      assert.doesNotMatch(x.value, /^[A-Z]+-\d{4}-\d{6}$/, `${x.id} holds no application number`);
    }
    await page.click('[data-testid=mode-json]');
    const untouched = JSON.parse(await page.inputValue('[data-testid=estimate-json]'));
    for (const k of ['id', 'submitted_at', 'received_at', 'client_ref']) {
      assert.ok(!(k in untouched), `the application the form builds has no ${k}`);
    }
    await page.click('[data-testid=mode-form]');
    if (f.who === 'applicant2') {
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.equal(await page.locator('label[for=est-client-ref]').textContent(), '我方编号（可选）');
      assert.equal(await page.locator('label[for=est-at]').textContent(), '按此受理时间测算（北京时间，可选）');
    } else {
      assert.equal(await page.locator('label[for=est-client-ref]').textContent(), 'Your reference (optional)');
    }

    // The same reference from both firms.
    await page.selectOption('[data-testid=est-measure]', 'compute-rent');
    await page.fill('[data-testid=est-client-ref]', REF);
    await page.fill('[data-testid=ct-number]', f.number);
    await page.fill('[data-testid=ct-value]', f.value);
    await page.click('[data-testid=apply-submit]');
    await page.waitForSelector('[data-testid=applied-state]');
    const number = await text(page, 'applied-link');
    assert.match(number, /^SH-2025-\d{6}$/);
    assert.equal(await text(page, 'applied-client-ref'), REF);
    assert.equal(await page.locator('[data-testid=applied-existed]').count(), 0, 'a new application');
    const mine = (await api('GET', `/v1/applications/${number}`, tokens[f.who])).json;
    assert.equal(mine.uscc, f.uscc);
    assert.equal(mine.client_ref, REF);
    assert.equal(mine.state, 'reserved');
    assert.equal(await page.getAttribute('[data-testid=applied-state]', 'data-state'), mine.state);
    assert.equal(await page.getAttribute('[data-testid=applied-received-at]', 'data-at'), mine.received_at);
    assert.ok(Date.parse(mine.received_at) >= Date.parse(NOW), `received at ${mine.received_at}, by the office's clock`);
    assert.equal(mine.application.contract.number, f.number);
    assert.ok(!('id' in mine.application) && !('submitted_at' in mine.application));
    await screenshot(page, `same-ref-${f.who}`);

    // The same firm, reference and application again: the same number, not a second one.
    await page.click('[data-testid=apply-submit]');
    await page.waitForSelector('[data-testid=applied-existed]');
    assert.equal(await text(page, 'applied-link'), number);
    filed[f.who] = number;
    assert.deepEqual(page.jsErrors || [], []);
    await page.context().close();
  }

  assert.notEqual(filed.applicant, filed.applicant2, 'two firms, one reference: two numbers');
  // Each firm sees its own under that reference, and not the other's.
  assert.equal((await api('GET', `/v1/applications/${filed.applicant2}`, tokens.applicant)).status, 404);
  assert.equal((await api('GET', `/v1/applications/${filed.applicant}`, tokens.applicant2)).status, 404);
  const all = (await api('GET', '/v1/applications?limit=100', tokens.reviewer)).json.applications
    .filter((a) => a.client_ref === REF);
  assert.deepEqual(all.map((a) => a.id).sort(), [filed.applicant, filed.applicant2].sort());
  assert.deepEqual(all.map((a) => a.uscc).sort(), [RENT_USCC, MODEL_USCC].sort());

  // The reviewer's queue shows both numbers with the same reference.
  const page = await newPage('en-US');
  await login(page, tokens.reviewer, 'queue');
  for (const id of Object.values(filed)) {
    await page.locator(`[data-testid="queue-row-${id}"]`).waitFor();
    assert.equal(await text(page, `queue-ref-${id}`), REF);
  }
  await screenshot(page, 'same-ref-queue');
  await page.context().close();
});

test('a wrong token is refused in plain words, with nothing after them', async () => {
  const page = await newPage('en-US');
  await page.goto(t.base + '/#/login');
  await ready(page, 'login');
  await page.click('[data-testid=use-token]');
  await page.fill('[data-testid=token-input]', 'qt_' + '0'.repeat(64));
  await page.click('[data-testid=token-submit]');
  await page.waitForSelector('#alert:not([hidden])');
  assert.equal(await text(page, 'error-message'), 'this token belongs to no user');
  const alert = (await page.locator('#alert').textContent()).replace(/\s+/g, ' ').trim();
  assert.ok(!/null|undefined/.test(alert), `the banner reads: ${alert}`);
  assert.match(alert, /this token belongs to no user \[HTTP 401, unauthorized\]$/);
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('the dashboard has a favicon', async () => {
  for (const [file, type] of [['/favicon.ico', 'image/x-icon'], ['/favicon.svg', 'image/svg+xml']]) {
    const res = await fetch(t.base + file);
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('content-type'), type, file);
    assert.ok((await res.arrayBuffer()).byteLength > 100, file);
  }
});

test('Chinese is drawn with a CJK font, not as boxes', async () => {
  // scripts/bootstrap installs fonts-noto-cjk; without a CJK font Chromium draws 券 as a box.
  const fonts = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim();
  assert.ok(fonts.length > 0, 'fc-list :lang=zh finds a font (apt-get install fonts-noto-cjk)');
  const page = await newPage('zh-CN');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  // A CJK glyph is one em wide; U+10FFFD (private use, in no font) is drawn as the fallback box.
  const w = await page.evaluate(() => {
    const c = document.createElement('canvas').getContext('2d');
    c.font = '40px sans-serif';
    return { quan: c.measureText('券').width, zhong: c.measureText('中').width,
      box: c.measureText(String.fromCodePoint(0x10FFFD)).width };
  });
  assert.ok(Math.abs(w.quan - 40) < 1 && Math.abs(w.zhong - 40) < 1, `券 and 中 one em wide: ${JSON.stringify(w)}`);
  assert.notEqual(w.quan, w.box, `券 is not the box glyph: ${JSON.stringify(w)}`);
  await screenshot(page, 'login-zh-cjk-font');
  await page.context().close();
});

test('city, industry and chip are drop-down lists fed by the server, in both languages', async () => {
  const choices = (await api('GET', '/v1/choices', tokens.applicant)).json;
  assert.ok(choices.cities.some((c) => c.id === 'shanghai' && c.name_zh === '上海'));
  assert.ok(choices.industries.some((c) => c.code === 'I65'));
  assert.ok(choices.chips.some((c) => c.id === 'ascend-910c' && c.domestic === true));

  const page = await newPage('en-US');
  await login(page, tokens.applicant, 'queue');
  await page.click('[data-testid=nav-estimate]');
  await ready(page, 'estimate');
  for (const id of ['est-city', 'est-industry', 'cp-chip']) {
    assert.equal(await page.locator(`[data-testid=${id}]`).evaluate((e) => e.tagName), 'SELECT', id);
  }
  assert.equal(await page.inputValue('[data-testid=est-city]'), 'shanghai');
  assert.equal(await page.inputValue('[data-testid=est-industry]'), 'I65');
  assert.equal(await page.inputValue('[data-testid=cp-chip]'), 'ascend-910c');
  assert.equal(await page.locator('[data-testid=est-city] option').count(), choices.cities.length);
  assert.equal(await page.locator('[data-testid=cp-chip] option').count(), choices.chips.length);
  assert.equal((await page.locator('[data-testid=est-city] option:checked').textContent()).trim(), 'Shanghai');
  await page.click('#lang-toggle');
  assert.equal((await page.locator('[data-testid=est-city] option:checked').textContent()).trim(), '上海');
  assert.match(await page.locator('[data-testid=est-industry] option:checked').textContent(), /^I65 软件和信息技术服务业$/);
  // A choice from the lists goes into the application as its code.
  await page.selectOption('[data-testid=est-city]', 'hangzhou');
  await page.selectOption('[data-testid=est-measure]', 'compute-rent');
  await page.click('[data-testid=estimate-submit]');
  await page.waitForSelector('[data-testid=estimate-decision]');
  const shown = (await page.locator('[data-testid=estimate-decision]').textContent());
  assert.match(shown, /registered-in-city/);
  await screenshot(page, 'estimate-choices-zh');
  await page.click('#lang-toggle');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
