// Browser test of the public notice (公示): an administrator opens a notice in the dashboard,
// lodges an objection, exports the notice, prints an award letter, and closes the notice once
// its five working days have run. Playwright-core drives Debian's chromium against a real
// `quan serve` on a fresh SQLite database; the server is restarted with a later QUAN_NOW to
// stand on the day after the notice's end.
//
//   cd web && node --test tests/notice.test.mjs

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as kit from './lib.mjs';
import { office, ready, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

// A Friday: five working days run over 国庆 to 9 October; the 10th is the day after.
const OPENED = '2025-09-26T10:00:00+08:00';
const AFTER = '2025-10-10T09:00:00+08:00';

const t = office('notice', { now: OPENED });
const { quan, quanAt } = t;
let admin, id;

// login(page, url): the administrator signs in to the server at url.
function login(page, url) {
  return kit.login(page, url, admin, 'pools');
}

before(async () => {
  // The bundled Shanghai policy: a notice of five working days before an award is paid.
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  id = quan(['apply', '--db', t.db, '--by', 'applicant', path.join(EXAMPLES, 'sh-corpus.json')]).split(/\s+/)[0];
  quan(['review', '--db', t.db, id, '--approve', '--by', 'reviewer']);
  admin = quan(['user', 'add', '--db', t.db, 'ada', '--role', 'administrator']).trim();
  await t.start();
  await t.launch();
});

test('an administrator opens a notice, objects, exports it, prints a letter and closes it', async () => {
  const context = await t.browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 900 },
    acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, t.base);

  await page.click('[data-testid=nav-notices]');
  await ready(page, 'notices');
  assert.equal(await page.locator('[data-testid=notices-none]').count(), 1);
  await page.click('[data-testid=notice-open]');
  await page.waitForSelector('[data-testid=notice-id]');
  await ready(page, 'notice');
  assert.equal(await page.textContent('[data-testid=notice-id]'), 'shanghai-2025-notice-1');
  assert.equal(await page.textContent('[data-testid=notice-runs]'), '2025-09-26 – 2025-10-09');
  assert.equal(await page.getAttribute(`[data-testid=award-amount-${id}]`, 'data-money'), '900000.00');
  assert.equal(await page.textContent(`[data-testid=award-outcome-${id}]`), '公示中');

  // An objection holds the award.
  await page.fill(`[data-testid=object-why-${id}]`, '语料供应方疑为关联方');
  await page.click(`[data-testid=object-${id}]`);
  await page.waitForFunction((t) => document.querySelector(`[data-testid=award-outcome-${t}]`)
    .textContent === '异议待决', id);

  // The XLSX export is a real workbook.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-xlsx]')]);
  const xlsx = path.join(t.tmp, 'notice.xlsx');
  await download.saveAs(xlsx);
  assert.equal(fs.readFileSync(xlsx).subarray(0, 2).toString(), 'PK');
  assert.match(execFileSync('unzip', ['-p', xlsx, 'xl/sharedStrings.xml'], { encoding: 'utf8' }), /900000\.00/);

  // The award letter opens to print: Chinese, the amount, the document number; printed to PDF.
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click(`[data-testid=letter-${id}]`)]);
  await popup.waitForFunction(() => document.querySelector('h1') !== null, null, { timeout: 15000 });
  assert.equal(await popup.textContent('h1'), '资助决定通知书');
  const letter = await popup.content();
  assert.match(letter, /核定资助金额为人民币<b>900000\.00<\/b>元/);
  assert.match(letter, /沪经信智〔2025〕489号/);
  const pdf = await popup.pdf({ format: 'A4', path: path.join(ARTIFACTS, 'notice-letter.pdf') });
  assert.equal(pdf.subarray(0, 4).toString(), '%PDF');
  await popup.close();
  await page.screenshot({ path: path.join(ARTIFACTS, 'notice-01-objection.png'), fullPage: true });

  // Closing while the notice runs is refused, and said so.
  await page.click('[data-testid=notice-close]');
  await page.waitForSelector('#alert:not([hidden])');
  assert.match(await page.textContent('#alert'), /至 \d{4}-\d{2}-\d{2} 结束，次日起方可结束公示/);

  // A reviewer dismisses the objection; the day after the notice's end it is closed.
  quanAt(AFTER, ['objection', 'decide', '--db', t.db, id, '--dismiss', '--by', 'reviewer']);
  await t.stop();
  const again = await t.start({ now: AFTER });
  await login(page, again); // another port: another origin, another session storage
  await page.goto(again + '/#/notices/shanghai-2025-notice-1');
  await ready(page, 'notice');
  assert.equal(await page.textContent(`[data-testid=award-outcome-${id}]`), '公示中');
  await page.click('[data-testid=notice-close]');
  await page.waitForSelector('[data-testid=notice-closed][data-closed=true]');
  assert.equal(await page.textContent(`[data-testid=award-outcome-${id}]`), '公示期满，准予拨付');
  assert.equal(await page.locator('[data-testid=notice-close]').count(), 0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'notice-02-closed.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});
