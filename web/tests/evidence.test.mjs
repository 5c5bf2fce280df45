// Browser test of evidence on an application's page (web/static/evidence.js): a reviewer
// files a PNG through the form and opens it; the applicant of the firm sees it, another
// firm's applicant does not reach the page. playwright-core drives Debian's chromium
// against a real `quan serve` on a fresh SQLite database, as dashboard.test.mjs does.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { office, ready, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

const RENT_USCC = '91310115MA1K4ABCDD';
const MODEL_USCC = '91310110MA1G9C3R1D';

const t = office('evidence');
const { quan, newPage, login, addUser } = t;
let RENT;
const tokens = {};

/* A small valid PNG (1 x 1, one grey pixel). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010800000000' +
  '3a7e9b550000000a49444154789c63600000000200015a6fd4a90000000049454e44ae426082', 'hex');

before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  tokens.reviewer = addUser('wang.fang', 'reviewer');
  tokens.applicant = addUser('示例智能', 'applicant', RENT_USCC);
  tokens.other = addUser('申城智能', 'applicant', MODEL_USCC);
  const out = quan(['apply', '--db', t.db, '--by', 'admin', path.join(EXAMPLES, 'sh-compute-rent.json')]);
  RENT = /^(SH-2025-\d{6})/m.exec(out)[1];
  await t.start();
  await t.launch();
});

test('a reviewer files a document on an application and opens it; the firm sees it, in Chinese', async () => {
  const file = path.join(t.tmp, 'invoice.png');
  fs.writeFileSync(file, PNG);
  const sha = crypto.createHash('sha256').update(PNG).digest('hex');

  const page = await newPage('en-US');
  await login(page, tokens.reviewer, 'queue');
  await page.goto(t.base + `/#/app/${RENT}`);
  await ready(page, 'app');
  await page.waitForSelector('[data-testid=ev-none]');
  await page.setInputFiles('[data-testid=ev-file]', file);
  await page.selectOption('[data-testid=ev-kind]', 'invoice');
  await page.click('[data-testid=ev-submit]');
  await page.waitForSelector('[data-testid=ev-row-1]');
  assert.equal(await page.getAttribute('[data-testid=ev-row-1]', 'data-sha256'), sha);
  assert.match(await page.textContent('[data-testid=ev-msg]'), /Filed invoice\.png \(png, \d+ bytes\)/);
  // Opening it fetches the bytes the server keeps and shows them in a new tab.
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('[data-testid=ev-open-1]')]);
  assert.match(popup.url(), /^blob:/);
  const got = await page.evaluate(async (args) => {
    const res = await fetch('/v1/documents/' + args.sha, { headers: { Authorization: 'Bearer ' + args.token } });
    return { type: res.headers.get('content-type'), hex: Array.from(new Uint8Array(await res.arrayBuffer()))
      .map((b) => b.toString(16).padStart(2, '0')).join('') };
  }, { sha, token: tokens.reviewer });
  assert.equal(got.type, 'image/png');
  assert.equal(got.hex, PNG.toString('hex'));
  // A file of another type is refused with the server's words, and nothing is added.
  fs.writeFileSync(path.join(t.tmp, 'notes.txt'), 'not a document');
  await page.setInputFiles('[data-testid=ev-file]', path.join(t.tmp, 'notes.txt'));
  await page.click('[data-testid=ev-submit]');
  await page.waitForSelector('[data-testid=ev-msg].error');
  assert.match(await page.textContent('[data-testid=ev-msg]'), /not a PDF, JPEG, PNG or OFD/);
  assert.equal(await page.locator('[data-testid^=ev-row-]').count(), 1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'evidence-reviewer.png'), fullPage: true });
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();

  // The firm's applicant sees it, in Chinese.
  const zh = await newPage('zh-CN');
  await login(zh, tokens.applicant, 'queue');
  await zh.goto(t.base + `/#/app/${RENT}`);
  await ready(zh, 'app');
  await zh.waitForSelector('[data-testid=ev-row-1]');
  assert.equal(await zh.textContent('[data-testid=evidence] h2'), '证明材料');
  assert.equal((await zh.textContent('[data-testid=ev-row-1] [data-kind]')).trim(), '发票');
  // The filing is in the application's history, in words.
  assert.ok((await zh.textContent('#view')).includes('上传材料'), 'the attach event is named in Chinese');
  await zh.screenshot({ path: path.join(ARTIFACTS, 'evidence-applicant-zh.png'), fullPage: true });
  await zh.context().close();

  // Another firm cannot read its bytes.
  const res = await fetch(`${t.base}/v1/documents/${sha}`, { headers: { Authorization: 'Bearer ' + tokens.other } });
  assert.equal(res.status, 404);
});
