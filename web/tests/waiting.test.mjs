// Browser test of why an application waits (web/static/waiting.js), under `waitlist: fit`:
// Shanghai 2025 with its corpus pool cut to 10 M yuan and the corpus voucher serving whatever
// fits. A (5 M), B1 and B2 leave 4 900 000.00; the head H (5 M) waits; C (2 487.00) is
// reserved past it; D (4 950 000.00) waits behind H. A reviewer reads, in English, that H does
// not fit (amount against available) and what D waits behind; H's applicant reads it in
// Chinese. playwright-core drives Debian's chromium against a real `quan serve` on a fresh
// SQLite database, as dashboard.test.mjs does.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { office, ready, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

const t = office('waiting');
const { quan, newPage, login, addUser } = t;
const ids = {};
const tokens = {};

/* A valid USCC of the n-th test firm (GB 32100-2015 check character). */
function uscc(n) {
  const C = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const b = '91310000M' + String(n).padStart(7, '0') + 'X';
  let s = 0;
  for (let i = 0; i < 17; i++) s += C.indexOf(b[i]) * W[i];
  return b + C[(31 - (s % 31)) % 31];
}

/* Apply a corpus application of firm n for a contract of value yuan; its number. */
function corpus(n, value) {
  const a = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'sh-corpus.json'), 'utf8'));
  a.client_ref = 'wf-' + n;
  a.applicant.uscc = uscc(n);
  a.contract.number = 'HT-WF-' + n;
  a.contract.value = value;
  const file = path.join(t.tmp, `app-${n}.json`);
  fs.writeFileSync(file, JSON.stringify(a));
  return /^(SH-2025-\d{6})\s+(\S+)/m.exec(quan(['apply', '--db', t.db, '--by', 'admin', file])).slice(1);
}

before(async () => {
  let yaml = fs.readFileSync(POLICY, 'utf8');
  const budget = /(  - id: corpus\n[^]*?2025: )"100000000.00"/;
  assert.ok(budget.test(yaml));
  yaml = yaml.replace(budget, '$1"10000000.00"');
  const alloc = /(    kinds: \[corpus\]\n    allocation: first-come-first-served[^\n]*\n)/;
  assert.ok(alloc.test(yaml));
  yaml = yaml.replace(alloc, '$1    waitlist: fit\n');
  const policy = path.join(t.tmp, 'shanghai-fit.yaml');
  fs.writeFileSync(policy, yaml);
  quan(['init', '--db', t.db, '--policy', policy, '--by', 'admin']);
  const want = [['A', '20000000.00', 'reserved'], ['B1', '200000.00', 'reserved'],
    ['B2', '133333.34', 'reserved'], ['H', '20000000.00', 'waitlisted'],
    ['C', '8290.00', 'reserved'], ['D', '16500000.00', 'waitlisted']];
  want.forEach(([name, value, state], i) => {
    const [id, got] = corpus(i + 1, value);
    assert.equal(got, state, `${name} ${value}`);
    ids[name] = id;
  });
  tokens.reviewer = addUser('wang.fang', 'reviewer');
  tokens.applicant = addUser('语料四号', 'applicant', uscc(4));
  await t.start();
  await t.launch();
});

test('a reviewer reads why the head waits under fit, and what a later one waits behind', async () => {
  const page = await newPage('en-US');
  await login(page, tokens.reviewer, 'queue');
  await page.goto(t.base + `/#/app/${ids.H}`);
  await ready(page, 'app');
  await page.waitForSelector('[data-testid=waiting][data-order=fit]');
  assert.match(await page.textContent('[data-testid=wait-why]'),
    /does not fit: it asks 5000000\.00 yuan and pool 'corpus' has 4897513\.00 available/);
  assert.match(await page.textContent('[data-testid=wait-order]'), /whatever fits/);
  assert.equal(await page.textContent('[data-testid=wait-requested]'), '5,000,000.00');
  assert.equal(await page.textContent('[data-testid=wait-available]'), '4,897,513.00');
  assert.match(await page.textContent('[data-testid=wait-fits]'), /^no/);
  assert.equal(await page.textContent('[data-testid=wait-position]'), '1');
  await page.screenshot({ path: path.join(ARTIFACTS, 'waiting-fit-head.png'), fullPage: true });
  // D waits behind H, and links to it.
  await page.goto(t.base + `/#/app/${ids.D}`);
  await ready(page, 'app');
  await page.waitForSelector('[data-testid=waiting]');
  assert.equal(await page.textContent('[data-testid=wait-position]'), '2');
  assert.equal(await page.textContent('[data-testid=wait-head]'), ids.H);
  assert.equal(await page.textContent('[data-testid=wait-ahead-amount]'), '5,000,000.00');
  // C was reserved past H: its page has no waiting section.
  await page.goto(t.base + `/#/app/${ids.C}`);
  await ready(page, 'app');
  assert.equal(await page.locator('[data-testid=waiting]').count(), 0);
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test("the head's applicant reads it in Chinese", async () => {
  const zh = await newPage('zh-CN');
  await login(zh, tokens.applicant, 'queue');
  await zh.goto(t.base + `/#/app/${ids.H}`);
  await ready(zh, 'app');
  await zh.waitForSelector('[data-testid=waiting]');
  assert.equal(await zh.textContent('[data-testid=waiting] h2'), '候补原因');
  const why = await zh.textContent('[data-testid=wait-why]');
  assert.match(why, /超过资金池 corpus 可用的 4897513\.00 元/);
  // No English words, only the pool's id.
  assert.doesNotMatch(why, /\b(?!corpus\b)[A-Za-z]{3,}\b/);
  assert.match(await zh.textContent('[data-testid=wait-fits]'), /^否/);
  await zh.screenshot({ path: path.join(ARTIFACTS, 'waiting-fit-zh.png'), fullPage: true });
  assert.deepEqual(zh.jsErrors || [], []);
  await zh.context().close();
});

test('the pools page: under fit the corpus pool is not dry while the head waits; its first refusal is shown', async () => {
  const page = await newPage('zh-CN');
  await login(page, tokens.reviewer, 'queue');
  await page.goto(t.base + '/#/pools');
  await page.waitForSelector('#view[data-route="pools"][aria-busy="false"]', { timeout: 15000 });
  const fc = await fetch(t.base + '/v1/forecast', { headers: { Authorization: 'Bearer ' + tokens.reviewer } })
    .then((r) => r.json());
  const corpus = fc.pools.find((p) => p.pool === 'corpus' && p.year === 2025);
  assert.equal(corpus.waitlist, 'fit');
  assert.notEqual(corpus.status, 'dry', 'what is left covers the smallest ask');
  const k = 'shanghai-2025-corpus-2025';
  assert.equal(await page.getAttribute(`[data-testid=pool-forecast-${k}]`, 'data-status'), corpus.status);
  assert.equal(await page.getAttribute(`[data-testid=pool-refusal-${k}]`, 'data-date'), corpus.first_refusal.p50);
  assert.ok((await page.textContent(`[data-testid=pool-refusal-${k}]`)).includes('按可容纳者安排'));
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
