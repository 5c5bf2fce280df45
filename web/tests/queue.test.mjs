// Browser tests of the review queue that can be worked and of the confirmations before money
// moves: a search by a two-character Chinese name and by a USCC prefix, a filter, the pages
// by cursor without repeats, a bulk approval after its confirmation (the amount it shows is the
// sum, and the report's awarded total moves by exactly that), a cancelled confirmation that moves
// nothing, each id's outcome (approved, waiting for a second approver, refused), a disbursement's,
// a clawback's and a milestone's confirmations (cancelled, then confirmed; a milestone's shows
// the tranche it posts), and an objection
// lodged on the notice page and dismissed after its confirmation. As desk.test.mjs:
// playwright-core drives Debian's chromium against a real `quan serve` on a fresh SQLite database.
//
//   cd web && node --test tests/queue.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as kit from './lib.mjs';
import { office, ready, ROOT, ARTIFACTS, EXAMPLES } from './lib.mjs';

// A Monday: the notice opened now runs five working days.
const NOW = '2025-12-01T10:00:00+08:00';

const t = office('queue', { now: NOW, width: 1400 });
const { quan, api, newPage, login } = t;
let rita, rob, fay, notice, corpus, sz, grant;

/* Yuan as the server writes them, summed exactly in fen. */
function sumYuan(list) {
  const fen = list.reduce((acc, s) => {
    const [i, f = ''] = s.split('.');
    return acc + BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
  }, 0n);
  return `${fen / 100n}.${String(fen % 100n).padStart(2, '0')}`;
}

function thousands(s) {
  const [i, f] = s.split('.');
  return i.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f ? '.' + f : '');
}

const screenshot = kit.screenshots(ARTIFACTS, 120, (n, name) => `${n}-queue-${name}.png`);

/* The queue page once it shows the search whose API query holds `part`. */
async function queueWith(page, part) {
  await page.waitForFunction((p) => {
    const v = document.querySelector('#view');
    const s = document.querySelector('[data-testid=queue-view]');
    return v && v.getAttribute('aria-busy') === 'false' && s && s.dataset.query.includes(p);
  }, part, { timeout: 15000 });
}

async function rowIds(page) {
  return page.$$eval('[data-testid=queue-table] tbody tr', (rows) => rows.map((r) => r.dataset.id));
}

async function search(page, fields) {
  for (const [id, v] of Object.entries(fields)) {
    const el = page.locator(`[data-testid=${id}]`);
    if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(v);
    else await el.fill(v);
  }
  await page.click('[data-testid=queue-go]');
}

before(async () => {
  // Shanghai, whose awards are posted in a notice of five working days before they are paid,
  // and Shenzhen, whose awards are paid without one.
  fs.copyFileSync(path.join(ROOT, 'policies/shanghai-2025.yaml'), path.join(t.tmp, 'shanghai.yaml'));
  quan(['init', '--db', t.db, '--policy', path.join(t.tmp, 'shanghai.yaml'),
    '--policy', path.join(ROOT, 'policies/shenzhen-2024.yaml'), '--by', 'admin']);
  // Twelve compute-rent applications, each from its own firm: 华为 first, USCCs 91310115... and
  // 91310104..., amounts and arrival times that vary (tests/e2e/tools/queue_csv.py).
  fs.writeFileSync(path.join(t.tmp, 'apps.csv'),
    execFileSync('python3', [path.join(ROOT, 'tests/e2e/tools/queue_csv.py'), '12'], { encoding: 'utf8' }));
  quan(['apply', '--db', t.db, '--csv', path.join(t.tmp, 'apps.csv'), '--by', 'admin']);
  corpus = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-corpus.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, corpus, '--approve', '--by', 'rob']);
  notice = quan(['notice', 'open', '--db', t.db, 'shanghai-2025', '--by', 'admin']).split(/\s+/)[0];
  sz = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sz-model.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, sz, '--approve', '--by', 'rob']);
  // One award above Shanghai's 1 M yuan: it takes two reviewers (as tests/e2e/queue.bats).
  const big = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'sh-compute-rent.json'), 'utf8'));
  big.client_ref = 'BIG-1';
  big.contract.number = 'HT-BIG-1';
  big.contract.value = '9000000.00';
  fs.writeFileSync(path.join(t.tmp, 'big.json'), JSON.stringify(big));
  quan(['apply', '--db', t.db, '--by', 'admin', path.join(t.tmp, 'big.json')]);
  // The institute grant (500 M, two approvers): its milestones post its tranches.
  grant = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-institute.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, grant, '--approve', '--by', 'rob']);
  quan(['review', '--db', t.db, grant, '--approve', '--by', 'robert']);
  rita = quan(['user', 'add', '--db', t.db, 'rita', '--role', 'reviewer']).trim();
  rob = quan(['user', 'add', '--db', t.db, 'robin', '--role', 'reviewer']).trim();
  fay = quan(['user', 'add', '--db', t.db, 'fay', '--role', 'finance']).trim();
  await t.start();
  await t.launch();
});

test('the reviewer searches by name and USCC prefix, filters, and pages without repeats', async () => {
  const page = await newPage('en-US');
  await login(page, rita, 'queue');
  // Reserved, oldest first: the API's own order.
  await queueWith(page, 'state=reserved');
  const first = (await api('GET', '/v1/applications?state=reserved&sort=received&limit=50', rita)).json.applications;
  assert.ok(first.length >= 12);
  assert.deepEqual(await rowIds(page), first.map((a) => a.id));
  const times = first.map((a) => Date.parse(a.received_at));
  assert.deepEqual(times, [...times].sort((x, y) => x - y), 'oldest first');

  // Two Chinese characters: a firm's name.
  await search(page, { 'queue-search': '华为' });
  await queueWith(page, 'q=%E5%8D%8E%E4%B8%BA');
  assert.equal(await page.getAttribute('[data-testid=queue-search-as]', 'data-as'), 'name');
  const hw = (await api('GET', '/v1/applications?q=%E5%8D%8E%E4%B8%BA&state=reserved&sort=received', rita)).json.applications;
  assert.ok(hw.some((a) => a.name === '华为'));
  assert.deepEqual(await rowIds(page), hw.map((a) => a.id));
  for (const id of await rowIds(page)) {
    assert.ok((await page.textContent(`[data-testid="queue-name-${id}"]`)).includes('华为'));
  }
  await screenshot(page, 'name');

  // Digits: a USCC prefix.
  await search(page, { 'queue-search': '91310115' });
  await queueWith(page, 'uscc_prefix=91310115');
  assert.equal(await page.getAttribute('[data-testid=queue-search-as]', 'data-as'), 'uscc');
  const pre = (await api('GET', '/v1/applications?uscc_prefix=91310115&state=reserved&sort=received', rita)).json.applications;
  assert.ok(pre.length >= 2);
  assert.deepEqual(await rowIds(page), pre.map((a) => a.id));
  for (const id of await rowIds(page)) {
    assert.match(await page.textContent(`[data-testid="queue-uscc-${id}"]`), /^91310115/);
  }

  // A filter: the measure and an amount range, largest first.
  await search(page, { 'queue-search': '', 'queue-program': 'shanghai-2025', 'queue-measure': 'compute-rent',
    'queue-amount-min': '300000', 'queue-sort': '-amount' });
  await queueWith(page, 'amount_min=300000');
  const big = (await api('GET', '/v1/applications?program=shanghai-2025&measure=compute-rent&amount_min=300000&state=reserved&sort=-amount', rita)).json.applications;
  assert.ok(big.length >= 2 && big.length < first.length, `${big.length} of ${first.length}`);
  assert.deepEqual(await rowIds(page), big.map((a) => a.id));
  for (const a of big) assert.ok(Number(a.requested) >= 300000);
  await screenshot(page, 'filter');

  // An amount that is not yuan: the server's refusal is said, and the form stays as typed.
  await search(page, { 'queue-amount-min': '3万' });
  await queueWith(page, 'amount_min=3%E4%B8%87');
  await page.waitForSelector('[data-testid=error]:not([hidden])');
  const bad = await api('GET', '/v1/applications?amount_min=' + encodeURIComponent('3万') + '&sort=received', rita);
  assert.equal(bad.status, 400);
  assert.equal((await page.textContent('[data-testid=error-message]')).trim(), bad.json.error.message);
  assert.equal(await page.inputValue('[data-testid=queue-amount-min]'), '3万');
  assert.equal(await page.locator('[data-testid=queue-empty]').count(), 1);

  // Pages of five, by the server's cursor: each once, all of them, in order.
  await page.goto(t.base + '/#/queue?limit=5');
  await queueWith(page, 'limit=5');
  const seen = [];
  for (let n = 1; ; n++) {
    await page.waitForSelector(`[data-testid=queue-page][data-page="${n}"]`);
    const ids = await rowIds(page);
    assert.ok(ids.length <= 5);
    seen.push(...ids);
    if (await page.locator('[data-testid=queue-next]').count() === 0) break;
    await page.click('[data-testid=queue-next]');
    await queueWith(page, 'after=');
  }
  assert.equal(new Set(seen).size, seen.length, 'no application twice');
  assert.deepEqual(seen, first.map((a) => a.id));
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('a bulk approval shows the sum first; cancelled it moves nothing, confirmed it awards exactly that', async () => {
  const page = await newPage('en-US');
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push({ url: r.url(), headers: r.headers(), body: r.postData() }); });
  await login(page, rita, 'queue');
  await queueWith(page, 'state=reserved');
  const list = (await api('GET', '/v1/applications?state=reserved&sort=received&limit=50', rita)).json.applications;
  const pick = list.slice(0, 3);
  const sum = sumYuan(pick.map((a) => a.requested));
  const awardedBefore = (await api('GET', '/v1/report', rita)).json.total.totals.awarded;

  assert.equal(await page.isDisabled('[data-testid=bulk-approve]'), true, 'nothing selected');
  for (const a of pick) await page.check(`[data-testid="queue-check-${a.id}"]`);
  assert.equal((await page.textContent('[data-testid=queue-selected]')).trim(), '3 selected');
  await page.click('[data-testid=bulk-approve]');
  await page.waitForSelector('[data-testid=confirm-box]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), sum);
  assert.equal((await page.textContent('[data-testid=confirm-text]')).trim(),
    `Approve 3 applications and award ${thousands(sum)} yuan in all?`);
  await screenshot(page, 'bulk-confirm');

  // Cancelled: no request, nothing moved.
  await page.click('[data-testid=confirm-no]');
  assert.equal(await page.locator('[data-testid=confirm-box]').count(), 0);
  assert.deepEqual(sent, []);
  for (const a of pick) assert.equal((await api('GET', `/v1/applications/${a.id}`, rita)).json.state, 'reserved');
  assert.equal((await api('GET', '/v1/report', rita)).json.total.totals.awarded, awardedBefore);

  // Confirmed: one request with a key, each id answered, the awarded total up by the sum.
  await page.click('[data-testid=bulk-approve]');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForSelector('[data-testid=bulk-result]');
  assert.equal(sent.length, 1);
  assert.ok(sent[0].url.endsWith('/v1/applications/approve'));
  assert.match(sent[0].headers['idempotency-key'], /^ui-[0-9a-f]{24}$/);
  assert.deepEqual(JSON.parse(sent[0].body).ids, pick.map((a) => a.id));
  assert.equal((await page.textContent('[data-testid=bulk-summary]')).trim(),
    '3 approved, 0 waiting for a second approver, 0 refused.');
  for (const a of pick) {
    assert.equal(await page.getAttribute(`[data-testid="bulk-result-${a.id}"]`, 'data-outcome'), 'approved');
    const now = (await api('GET', `/v1/applications/${a.id}`, rita)).json;
    assert.equal(now.state, 'awarded');
    assert.equal(now.awarded, a.requested);
  }
  const awardedAfter = (await api('GET', '/v1/report', rita)).json.total.totals.awarded;
  assert.equal(sumYuan([awardedBefore, sum]), awardedAfter);
  // The approved ones have left the reserved queue.
  const ids = await rowIds(page);
  for (const a of pick) assert.ok(!ids.includes(a.id));
  await screenshot(page, 'bulk-done');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('a bulk approval answers each id: approved, waiting for a second approver, refused and why', async () => {
  const page = await newPage('zh-CN');
  await login(page, rita, 'queue');
  await queueWith(page, 'state=reserved');
  const list = (await api('GET', '/v1/applications?state=reserved&sort=received&limit=50', rita)).json.applications;
  const big = list.find((a) => a.client_ref === 'BIG-1');
  assert.ok(big && Number(big.requested) > 1000000, 'an award above the two-person threshold');
  const [one, gone] = list.filter((a) => a !== big);
  // Everything reserved on the page, by the header's box.
  await page.check('[data-testid=queue-check-all]');
  assert.equal((await page.textContent('[data-testid=queue-selected]')).trim(), `已选 ${list.length} 项`);
  await page.uncheck('[data-testid=queue-check-all]');
  for (const a of [one, gone, big]) await page.check(`[data-testid="queue-check-${a.id}"]`);
  await page.click('[data-testid=bulk-approve]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'),
    sumYuan([one.requested, gone.requested, big.requested]));
  // Meanwhile another reviewer approves one of them.
  assert.equal((await api('POST', `/v1/applications/${gone.id}/approve`, rob, {})).status, 200);
  await page.click('[data-testid=confirm-yes]');
  await page.waitForSelector('[data-testid=bulk-result]');
  assert.equal(await page.getAttribute(`[data-testid="bulk-result-${one.id}"]`, 'data-outcome'), 'approved');
  assert.equal(await page.getAttribute(`[data-testid="bulk-result-${big.id}"]`, 'data-outcome'), 'waiting_second_approver');
  assert.equal(await page.getAttribute(`[data-testid="bulk-result-${gone.id}"]`, 'data-outcome'), 'refused');
  assert.equal((await page.textContent(`[data-testid="bulk-outcome-${big.id}"]`)).trim(), '待第二人复核');
  assert.equal((await page.textContent(`[data-testid="bulk-outcome-${gone.id}"]`)).trim(), '被拒绝');
  assert.ok((await page.textContent(`[data-testid="bulk-why-${gone.id}"]`)).includes('conflict'));
  assert.equal((await page.textContent('[data-testid=bulk-summary]')).trim(),
    '已批准 1 项，待第二人复核 1 项，被拒绝 1 项。');
  assert.equal((await api('GET', `/v1/applications/${big.id}`, rita)).json.state, 'reserved');
  await screenshot(page, 'bulk-outcomes');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('a disbursement and a clawback ask first and show the amount; cancelled they move nothing, confirmed once', async () => {
  const page = await newPage('zh-CN');
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.headers()); });
  await login(page, fay, 'pools');
  await page.goto(t.base + `/#/app/${sz}`);
  await ready(page, 'app');
  const before = (await api('GET', `/v1/applications/${sz}`, fay)).json;
  assert.equal(before.state, 'awarded');
  assert.equal(before.paid, '0.00');
  await page.fill('[data-testid=disburse-amount]', '1000.00');
  await page.click('[data-testid=disburse]');
  await page.waitForSelector('[data-testid=confirm-box]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), '1000.00');
  const said = (await page.textContent('[data-testid=confirm-text]')).trim();
  assert.ok(said.includes('拨付 1,000.00 元'), said);
  assert.ok(said.includes(thousands(before.remaining)), said);
  await screenshot(page, 'disburse-confirm');
  await page.click('[data-testid=confirm-no]');
  assert.deepEqual(sent, []);
  assert.equal((await api('GET', `/v1/applications/${sz}`, fay)).json.paid, '0.00');

  await page.click('[data-testid=disburse]');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=app-paid]')?.getAttribute('data-money') === '1000.00');
  assert.equal(sent.length, 1);
  assert.match(sent[0]['idempotency-key'], /^ui-/);
  assert.equal((await api('GET', `/v1/applications/${sz}`, fay)).json.paid, '1000.00');

  // A clawback too: the amount and what was paid; cancelled nothing, confirmed once.
  await page.fill('[data-testid=clawback-amount]', '400.00');
  await page.fill('[data-testid=clawback-reason]', '发票与合同不符');
  await page.click('[data-testid=clawback]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), '400.00');
  const claw = (await page.textContent('[data-testid=confirm-text]')).trim();
  assert.ok(claw.includes('追回 400.00 元') && claw.includes('已拨付 1,000.00 元'), claw);
  await page.click('[data-testid=confirm-no]');
  assert.equal(sent.length, 1);
  assert.equal((await api('GET', `/v1/applications/${sz}`, fay)).json.recovered, '0.00');
  await page.click('[data-testid=clawback]');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForFunction(() =>
    document.querySelector('[data-testid=app-recovered]')?.getAttribute('data-money') === '400.00');
  assert.equal(sent.length, 2);
  assert.notEqual(sent[1]['idempotency-key'], sent[0]['idempotency-key'], 'a key per confirmation');
  assert.equal((await api('GET', `/v1/applications/${sz}`, fay)).json.recovered, '400.00');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('a milestone asks first, naming the grant whose tranche it posts', async () => {
  const page = await newPage('en-US');
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.headers()); });
  await login(page, rita, 'queue');
  await page.goto(t.base + `/#/app/${grant}`);
  await ready(page, 'app');
  const before = (await api('GET', `/v1/applications/${grant}`, rita)).json;
  assert.equal(before.state, 'awarded');
  // The form offers the year of the next open tranche, and the confirmation shows that
  // tranche's amount (settle.js), not the grant's total.
  const tranche = before.tranches.find((tr) => tr.year === 2025);
  assert.equal(tranche.state, 'open');
  assert.equal(await page.inputValue('[data-testid=milestone-year]'), '2025');
  await page.fill('[data-testid=milestone-what]', 'lab opened');
  await page.click('[data-testid=milestone]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), tranche.amount);
  assert.ok((await page.textContent('[data-testid=confirm-text]')).includes(`its 2025 tranche of ${thousands(tranche.amount)} yuan`));
  await page.click('[data-testid=confirm-no]');
  assert.deepEqual(sent, []);
  assert.equal((await api('GET', `/v1/applications/${grant}`, rita)).json.transfers.length, before.transfers.length);
  await page.click('[data-testid=milestone]');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  assert.equal(sent.length, 1);
  assert.match(sent[0]['idempotency-key'], /^ui-/);
  const after = (await api('GET', `/v1/applications/${grant}`, rita)).json;
  assert.ok(after.transfers.length > before.transfers.length, 'the tranche was posted');
  assert.equal(after.awarded, sumYuan([before.awarded, tranche.amount]), 'by exactly the tranche shown');
  await page.waitForSelector('[data-testid=tranche-2025][data-state=posted]');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('an objection is lodged on the notice page and dismissed after a confirmation', async () => {
  const page = await newPage('zh-CN');
  await login(page, rita, 'queue');
  await page.goto(t.base + `/#/notices/${notice}`);
  await ready(page, 'notice');
  assert.equal(await page.textContent(`[data-testid=award-outcome-${corpus}]`), '公示中');
  await page.fill(`[data-testid=object-why-${corpus}]`, '语料供应方疑为关联方');
  await page.click(`[data-testid=object-${corpus}]`);
  await page.waitForFunction((t) => document.querySelector(`[data-testid=award-outcome-${t}]`)
    ?.textContent === '异议待决', corpus);

  // Upholding is asked first, with the award; cancelled, the award stands.
  await page.click(`[data-testid=uphold-${corpus}]`);
  await page.waitForSelector('[data-testid=confirm-box]');
  assert.equal(await page.getAttribute('[data-testid=confirm-box]', 'data-money'), '900000.00');
  assert.ok((await page.textContent('[data-testid=confirm-text]')).includes('900,000.00 元'));
  await page.click('[data-testid=confirm-no]');
  let app = (await api('GET', `/v1/applications/${corpus}`, rita)).json;
  assert.equal(app.state, 'awarded');
  assert.equal(app.awarded, '900000.00');

  // Dismissed: the award stands, the notice runs on.
  await page.fill(`[data-testid=decide-why-${corpus}]`, '经核查，供应方与申请单位无关联关系');
  await page.click(`[data-testid=dismiss-${corpus}]`);
  assert.ok((await page.textContent('[data-testid=confirm-text]')).includes('900,000.00 元'));
  await screenshot(page, 'dismiss-confirm');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForFunction((t) => document.querySelector(`[data-testid=award-outcome-${t}]`)
    ?.textContent === '公示中', corpus);
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  assert.ok((await page.textContent('[data-testid=notice]')).includes('异议不成立'));
  app = (await api('GET', `/v1/applications/${corpus}`, rita)).json;
  assert.equal(app.state, 'awarded');
  assert.equal(app.awarded, '900000.00');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
