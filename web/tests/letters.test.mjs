// Browser test of the letters on an application's page (web/static/letters.js): the buttons offer
// the kinds that fit (decision always; rejection, award, clawback as the application stands), and
// each opens the server's Chinese A4 letter in a new window to print: its title, the reasons in
// words, the amounts, the program's document number and the issuing office, printed to PDF. A
// reviewer prints a rejection, finance a clawback, and the applicant firm its own award letter.
// playwright-core drives Debian's chromium against a real `quan serve` on a fresh SQLite
// database, as queue.test.mjs does.
//
//   cd web && node --test tests/letters.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import * as kit from './lib.mjs';
import { ready } from './lib.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(WEB, '..');
const QUAN = path.resolve(process.env.QUAN || path.join(ROOT, 'build/quan'));
const QUAN_WEB = path.resolve(process.env.QUAN_WEB || path.join(ROOT, 'build/web'));
const ARTIFACTS = path.resolve(process.env.ARTIFACTS || path.join(ROOT, 'build/artifacts/screenshots'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const EXAMPLES = path.join(ROOT, 'examples/applications');
const QUAN_ENV = Object.assign({}, process.env, { QUAN_NOW: '2025-11-20T10:00:00+08:00' });

let tmp, db, server, base, browser, rita, fay, firm, corpus, gone;

function quan(args) {
  return kit.quan(QUAN, args, { env: QUAN_ENV });
}

async function startServer() {
  const s = await kit.startServer({ quan: QUAN, db, env: QUAN_ENV, web: QUAN_WEB });
  server = s.proc;
  return s.url;
}

function api(method, route, token, body) {
  return kit.api(base, method, route, token, body);
}

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

function newPage(locale = 'en-US') {
  return kit.newPage(browser, locale, 1400);
}

function login(page, token, route) {
  return kit.login(page, base, token, route);
}

before(async () => {
  assert.ok(fs.existsSync(QUAN), `quan binary at ${QUAN} (set QUAN)`);
  if (!process.env.QUAN_WEB) execFileSync(path.join(WEB, 'build.sh'), [QUAN_WEB], { stdio: 'inherit' });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quan-letters-test-'));
  db = path.join(tmp, 'office.db');
  quan(['init', '--db', db, '--policy', path.join(ROOT, 'policies/shanghai-2025.yaml'), '--by', 'admin']);
  // The corpus voucher (900 000.00) awarded, paid 500 000.00, 100 000.00 of it clawed back.
  corpus = quan(['apply', '--db', db, '--by', 'applicant', path.join(EXAMPLES, 'sh-corpus.json')]).split(/\s+/)[0];
  quan(['review', '--db', db, corpus, '--approve', '--by', 'rob']);
  // Shanghai posts its awards for 5 working days (公示) before any is paid: opened and closed.
  const out = quan(['notice', 'open', '--db', db, 'shanghai-2025', corpus, '--by', 'admin']);
  const end = /to (\d{4}-\d{2}-\d{2}) \(/.exec(out)[1];
  const dayAfter = new Date(Date.parse(end + 'T00:00:00Z') + 86400000).toISOString().slice(0, 10);
  execFileSync(QUAN, ['notice', 'close', '--db', db, out.split(/\s+/)[0], '--by', 'admin'],
    { stdio: 'ignore', env: Object.assign({}, QUAN_ENV, { QUAN_NOW: dayAfter + 'T09:00:00+08:00' }) });
  quan(['disburse', '--db', db, corpus, '500000.00', '--by', 'fiona']);
  quan(['clawback', '--db', db, corpus, '100000.00', '--why', '语料未按合同交付', '--by', 'fiona']);
  // A compute-rent application rejected with a reason.
  gone = quan(['apply', '--db', db, '--by', 'applicant', path.join(EXAMPLES, 'sh-compute-rent.json')]).split(/\s+/)[0];
  quan(['review', '--db', db, gone, '--reject', '--why', '合同金额与发票不符', '--by', 'rob']);
  rita = quan(['user', 'add', '--db', db, 'rita', '--role', 'reviewer']).trim();
  fay = quan(['user', 'add', '--db', db, 'fay', '--role', 'finance']).trim();
  const uscc = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'sh-corpus.json'), 'utf8')).applicant.uscc;
  firm = quan(['user', 'add', '--db', db, 'firm', '--role', 'applicant', '--uscc', uscc]).trim();
  base = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], headless: true });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/* Click the letter button of kind on page; the letter's window once its title is drawn. */
async function letter(page, kind) {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click(`[data-testid=letter-kind-${kind}]`)]);
  await popup.waitForFunction(() => document.querySelector('h1') !== null, null, { timeout: 15000 });
  return popup;
}

async function buttons(page) {
  return page.$$eval('[data-testid=letters] button', (bs) => bs.map((b) => b.dataset.testid.replace('letter-kind-', '')));
}

test('a reviewer prints the rejection letter: its title, the reason in words, the document number', async () => {
  const page = await newPage('zh-CN');
  await login(page, rita);
  await page.goto(base + `/#/app/${gone}`);
  await ready(page, 'app');
  assert.deepEqual(await buttons(page), ['decision', 'rejection']);
  assert.equal((await page.textContent('[data-testid=letter-kind-rejection]')).trim(), '打印不予资助通知书');
  const popup = await letter(page, 'rejection');
  assert.equal(await popup.textContent('h1'), '不予资助通知书');
  const html = await popup.content();
  assert.match(html, /合同金额与发票不符/);
  assert.match(html, /沪经信智〔2025〕489号/);
  assert.match(html, /@page[^}]*A4/);
  const pdf = await popup.pdf({ format: 'A4', path: path.join(ARTIFACTS, 'letter-rejection.pdf') });
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
  await popup.close();
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('finance prints the clawback letter with the amount recovered', async () => {
  const page = await newPage('en-US');
  await login(page, fay);
  await page.goto(base + `/#/app/${corpus}`);
  await ready(page, 'app');
  assert.deepEqual(await buttons(page), ['decision', 'award', 'clawback']);
  const popup = await letter(page, 'clawback');
  assert.equal(await popup.textContent('h1'), '追回资助资金通知书');
  const html = await popup.content();
  assert.match(html, /100000\.00/);
  assert.match(html, /语料未按合同交付/);
  await popup.close();
  await page.context().close();
});

test('the applicant firm prints its own award letter', async () => {
  const page = await newPage('zh-CN');
  await login(page, firm);
  await page.goto(base + `/#/app/${corpus}`);
  await ready(page, 'app');
  const popup = await letter(page, 'award');
  assert.equal(await popup.textContent('h1'), '资助决定通知书');
  assert.match(await popup.content(), /核定资助金额为人民币<b>900000\.00<\/b>元/);
  await popup.close();
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
