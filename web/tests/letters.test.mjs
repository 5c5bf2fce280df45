// Browser test of the letters on an application's page (web/static/letters.js): the buttons offer
// the kinds that fit (decision always; rejection, award, clawback as the application stands), and
// each opens the server's Chinese A4 letter in a new window to print: its title, the reasons in
// words, the amounts, the program's document number and the issuing office, printed to PDF. A
// reviewer prints a rejection, finance a clawback, and the applicant firm its own award letter.
// playwright-core drives Debian's chromium against a real `quan serve` on a fresh SQLite
// database, as queue.test.mjs does.
//
//   cd web && node --test tests/letters.test.mjs

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { office, ready, ROOT, ARTIFACTS, EXAMPLES } from './lib.mjs';

const t = office('letters', { width: 1400 });
const { quan, newPage, login } = t;
let rita, fay, firm, corpus, gone;

before(async () => {
  quan(['init', '--db', t.db, '--policy', path.join(ROOT, 'policies/shanghai-2025.yaml'), '--by', 'admin']);
  // The corpus voucher (900 000.00) awarded, paid 500 000.00, 100 000.00 of it clawed back.
  corpus = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-corpus.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, corpus, '--approve', '--by', 'rob']);
  // Shanghai posts its awards for 5 working days (公示) before any is paid: opened and closed.
  const out = quan(['notice', 'open', '--db', t.db, 'shanghai-2025', corpus, '--by', 'admin']);
  const end = /to (\d{4}-\d{2}-\d{2}) \(/.exec(out)[1];
  const dayAfter = new Date(Date.parse(end + 'T00:00:00Z') + 86400000).toISOString().slice(0, 10);
  t.quanAt(dayAfter + 'T09:00:00+08:00', ['notice', 'close', '--db', t.db, out.split(/\s+/)[0], '--by', 'admin']);
  quan(['disburse', '--db', t.db, corpus, '500000.00', '--by', 'fiona']);
  quan(['clawback', '--db', t.db, corpus, '100000.00', '--why', '语料未按合同交付', '--by', 'fiona']);
  // A compute-rent application rejected with a reason.
  gone = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-compute-rent.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, gone, '--reject', '--why', '合同金额与发票不符', '--by', 'rob']);
  rita = quan(['user', 'add', '--db', t.db, 'rita', '--role', 'reviewer']).trim();
  fay = quan(['user', 'add', '--db', t.db, 'fay', '--role', 'finance']).trim();
  const uscc = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'sh-corpus.json'), 'utf8')).applicant.uscc;
  firm = quan(['user', 'add', '--db', t.db, 'firm', '--role', 'applicant', '--uscc', uscc]).trim();
  await t.start();
  await t.launch();
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
  await page.goto(t.base + `/#/app/${gone}`);
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
  await page.goto(t.base + `/#/app/${corpus}`);
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
  await page.goto(t.base + `/#/app/${corpus}`);
  await ready(page, 'app');
  const popup = await letter(page, 'award');
  assert.equal(await popup.textContent('h1'), '资助决定通知书');
  assert.match(await popup.content(), /核定资助金额为人民币<b>900000\.00<\/b>元/);
  await popup.close();
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});
