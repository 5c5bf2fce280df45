// "No English left on a Chinese page" (issue 13): the dashboard in Chinese mode, walked page by
// page for each role, with document.body.innerText scanned for English words. Not a few spot
// checks: every visible word of Latin letters must be one the ruling allows (RULINGS.md,
// "Chinese texts"): ids, USCCs, codes, chip model names, numbers, dates, file:line references and
// rule ids. Those are told apart by their shape (a digit, or one of - _ . / : inside the word:
// "SH-2025-000001", "compute-rent.rate.ceiling", "policies/shanghai-2025.yaml:41:7", "I65",
// "ascend-910c", "wang.fang") or named in ALLOWED below with the reason.
//
// Pages covered (those on base2): sign-in; the applicant's own list, estimate/apply form and
// application; the reviewer's queue, an application's page (decision, reasons, flags, trace
// with assumptions, transfers, history), the approval notice and a rejection; finance's pools
// and an awarded application; the auditor's pools and queue; the administrator's users; the
// analyst's pools and simulation form; the compare page. Pages other helpers add after base2
// (notices, evidence, finance, auditor's desk) are not walked here.
//
//   cd web && node --test tests/zh.test.mjs   (QUAN, QUAN_WEB, CHROMIUM as dashboard.test.mjs)

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { office, ready, confirmMove, ROOT, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

const RENT_USCC = '91310115MA1K4ABCDD';

// Words without a digit or separator that a Chinese page may still show, each with its reason.
const ALLOWED = new Map([
  ['quan', 'the product\'s name (券 in pinyin), in the title bar'],
  ['CNY', 'the currency code'],
  ['GB', 'the standard\'s code, GB/T 4754'],
  ['T', 'the standard\'s code, GB/T 4754'],
  ['H', 'H100, a chip model, when split by a line break'],
  ['PFLOPS', 'a unit, quoted from the Henan text (100P FLOPS)'],
  ['FLOPS', 'a unit, quoted from the Henan text (100P FLOPS)'],
  ['P', 'a unit prefix, quoted from the Henan text (100P FLOPS)'],
  ['MaaS', 'quoted from the Hangzhou text, 模型服务(MaaS)'],
  ['JSON', 'the name of a file format, as in 原始 JSON'],
  ['YAML', 'the name of a file format, as in 政策调整（YAML）'],
  ['PDF', 'a document format the evidence upload accepts, by its name'],
  ['JPEG', 'a document format the evidence upload accepts, by its name'],
  ['PNG', 'a document format the evidence upload accepts, by its name'],
  ['OFD', 'a document format the evidence upload accepts, by its name (China\'s e-invoice format)'],
]);

// Chip model names (data/chips.yaml's `name:`), allowed by the ruling: "Huawei Ascend 910C".
const CHIP_WORDS = new Set(fs.readFileSync(path.join(ROOT, 'data/chips.yaml'), 'utf8')
  .split('\n').map((l) => /^\s+name:\s*"?([^"#]+?)"?\s*$/.exec(l)).filter(Boolean)
  .flatMap((m) => m[1].split(/[\s()]+/)).filter(Boolean));

// The ids of the bundled policies' programs, pools, measures, rules and sources ("corpus",
// "institute"): ids, whatever they look like.
const POLICY_IDS = new Set(fs.readdirSync(path.join(ROOT, 'policies'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => [...fs.readFileSync(path.join(ROOT, 'policies', f), 'utf8')
    .matchAll(/^\s*(?:- )?id:\s*([a-z0-9-]+)\s*$/gm)].map((m) => m[1])));

// Region and city ids the office stores in an application (registered_city, compute.location):
// codes, in pinyin, not English.
const CODES = new Set(['shanghai', 'beijing', 'hangzhou', 'shenzhen', 'chengdu', 'zhengzhou', 'henan']);

/* The words of text that are English: a run of Latin letters that is not inside an id, a code or
 * a reference (it has a digit, or - _ . / : within it), not an allowed word, not a code. */
function englishWords(text, fields) {
  const out = [];
  for (const m of text.matchAll(/[A-Za-z0-9][A-Za-z0-9_.\-/:@]*[A-Za-z0-9]|[A-Za-z0-9]/g)) {
    const w = m[0];
    if (!/[A-Za-z]/.test(w)) continue;             // a number, a date
    if (/[0-9]/.test(w)) continue;                 // an id, a USCC, a code, a chip model
    if (/[_.\-/:@]/.test(w)) continue;             // a rule id, file:line, a user name
    if (ALLOWED.has(w) || CODES.has(w) || CHIP_WORDS.has(w) || POLICY_IDS.has(w)) continue;
    if (fields && fields.has(w)) continue;         // the field an error names: a code
    if (/^[A-Z]$/.test(w)) continue;               // a GB/T 4754 section code, A to T
    const at = Math.max(0, m.index - 40);
    out.push(`${w} (…${text.slice(at, m.index + w.length + 40).replace(/\s+/g, ' ')}…)`);
  }
  return out;
}

const t = office('zh');
const { quan, api, login, addUser } = t;
const tokens = {};
const ids = {};

function example(name, edit) {
  const a = JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
  if (edit) edit(a);
  return a;
}

async function submit(key, name, edit) {
  const r = await api('POST', '/v1/applications', tokens.admin, example(name, edit));
  assert.equal(r.status, 201, `POST ${name}: ${r.text}`);
  ids[key] = r.json.id;
}

/* A page in Chinese: the browser's locale is zh-CN and the saved choice is zh. */
async function zhPage() {
  const context = await t.browser.newContext({ locale: 'zh-CN', viewport: { width: 1360, height: 900 } });
  await context.addInitScript(() => { try { localStorage.setItem('quan.lang', 'zh'); } catch { /* */ } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.jsErrors = (page.jsErrors || []).concat(String(e)); });
  return page;
}

async function go(page, hash, route) {
  await page.goto(t.base + '/#/' + hash);
  await ready(page, route);
}

/* Open every <details> so that what it folds is scanned too, except the application as the
 * applicant submitted it (raw JSON: data as sent, its keys the format's field names). */
async function unfold(page) {
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => {
    if (!d.closest('.raw') && !/app\.raw/.test(d.querySelector('summary')?.dataset.i18n || '')) d.open = true;
  }));
}

/* The words of the error banner's field ("rate", "contract.value": the format's name for it,
 * which the message keeps as written) and its code ("forbidden"): codes, not English. */
async function bannerCodes(page) {
  const codes = await page.evaluate(() => [...document.querySelectorAll(
    '[data-testid=error-field], [data-testid=error-code]')].map((e) => e.textContent.trim()));
  return new Set(codes.flatMap((f) => f.split(/[.[\]]+/)).filter(Boolean));
}

const scanned = [];
async function scan(page, where) {
  await unfold(page);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN', `${where}: the page is in Chinese`);
  // The language switch names the other language in that language ("English", marked
  // lang="en"), so that a reader who cannot read Chinese can find it: it is left out.
  const text = await page.evaluate(() => {
    const toggle = document.getElementById('lang-toggle');
    const saved = toggle ? toggle.style.display : '';
    if (toggle) toggle.style.display = 'none';
    const t = document.body.innerText;
    if (toggle) toggle.style.display = saved;
    return t;
  });
  assert.ok(/[\u4e00-\u9fff]/.test(text), `${where}: the page shows Chinese`);
  const left = englishWords(text, await bannerCodes(page));
  scanned.push(where);
  await page.screenshot({ path: path.join(ARTIFACTS, `zh-${scanned.length}-${where.replace(/\W+/g, '-')}.png`), fullPage: true });
  assert.deepEqual(left, [], `${where}: English left on the Chinese page`);
  assert.deepEqual(page.jsErrors || [], [], `${where}: no script errors`);
  return text;
}

/* Every action that moves money asks first, showing the amount (app.js's confirmMove): confirm. */
before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin.1']);
  tokens.admin = addUser('admin.1', 'administrator');
  tokens.reviewer = addUser('wang.fang', 'reviewer');
  tokens.reviewer2 = addUser('chen.jing', 'reviewer');
  tokens.finance = addUser('li.ming', 'finance');
  tokens.auditor = addUser('zhao.lei', 'auditor');
  tokens.analyst = addUser('sun.li', 'analyst');
  tokens.applicant = addUser('firm.a1', 'applicant', RENT_USCC);
  await t.start();

  await submit('rent', 'sh-compute-rent.json');
  // Compute outside Shanghai: a review flag with its evidence.
  await submit('away', 'sh-compute-rent.json', (a) => {
    a.client_ref = 'zh-away-1';
    a.contract.number = 'HT-ZH-AWAY';
    a.contract.compute.location = 'beijing';
  });
  // Registered elsewhere: ineligible, with its reasons.
  await submit('out', 'sh-compute-rent.json', (a) => {
    a.client_ref = 'zh-out-1';
    a.contract.number = 'HT-ZH-OUT';
    a.applicant.registered_city = 'hangzhou';
  });
  await submit('early', 'sh-compute-early.json');
  await submit('corpus', 'sh-corpus.json');
  // model: above the second approver's threshold, for the refused approval below.
  await submit('model', 'sh-model.json');
  // early: awarded by two reviewers, then part paid by finance.
  assert.equal((await api('POST', `/v1/applications/${ids.early}/approve`, tokens.reviewer, {})).status, 200);
  assert.equal((await api('POST', `/v1/applications/${ids.early}/approve`, tokens.reviewer2, {})).status, 200);
  // corpus: rejected, with a reason written in Chinese.
  const rj = await api('POST', `/v1/applications/${ids.corpus}/reject`, tokens.reviewer, { why: '合同附件不全' });
  assert.equal(rj.status, 200, rj.text);

  await t.launch();
});

test('the scan itself: English words are found, ids and codes are not', () => {
  assert.deepEqual(englishWords('通过：在上海注册 SH-2025-000001 compute-rent.rate.ceiling I65 2025-11-20 ' +
    'policies/shanghai-2025.yaml:41:7 91310115MA1K4ABCDD ascend-910c wang.fang 1,200,000.00 H100 shanghai'), []);
  assert.equal(englishWords('通过：registered in Shanghai').length, 3);
  assert.equal(englishWords('已批准。申请当前状态：awarded。').length, 1);
});

test('sign-in page in Chinese', async () => {
  const page = await zhPage();
  await page.goto(t.base + '/#/login');
  await ready(page, 'login');
  await scan(page, 'sign-in');
  await page.context().close();
});

test('applicant: own list, the estimate and apply form, an application with its explanation', async () => {
  const page = await zhPage();
  await login(page, tokens.applicant, 'queue');
  await scan(page, 'applicant list');
  await go(page, 'estimate', 'estimate');
  await scan(page, 'applicant estimate and apply');
  await go(page, 'app/' + ids.rent, 'app');
  const t = await scan(page, 'applicant application');
  assert.ok(t.includes('通过：在上海注册'), 'the trace is in Chinese');
  assert.ok(!/通过\s+通过\s*\n/.test(t), 'an outcome without words is not said twice');
  await page.context().close();
});

test('reviewer: queue, an application with flags, reasons, trace and history; approval notice; rejection', async () => {
  const page = await zhPage();
  await login(page, tokens.reviewer, 'queue');
  await scan(page, 'reviewer queue');
  // Every state, so the flagged and the ineligible applications are listed with their flags.
  await go(page, 'queue?state=', 'queue');
  const all = await scan(page, 'reviewer queue, every state');
  assert.ok(all.includes('所租算力位于“beijing”'), 'the queue shows the flag\'s evidence in Chinese');
  await go(page, 'app/' + ids.away, 'app');
  let t = await scan(page, 'application with a flag');
  assert.ok(t.includes('所租算力位于“beijing”'), 'the flag\'s evidence is in Chinese');
  await go(page, 'app/' + ids.out, 'app');
  t = await scan(page, 'ineligible application');
  assert.ok(t.includes('未通过：在上海注册'), 'the failed rule is in Chinese');
  await go(page, 'app/' + ids.corpus, 'app');
  t = await scan(page, 'rejected application and its history');
  assert.ok(t.includes('合同附件不全'), 'the rejection\'s reason is in the history');
  assert.ok(t.includes('理由：合同附件不全'), 'the history detail is labelled in Chinese');
  // Approve RENT from its page: the notice names the state in Chinese.
  await go(page, 'app/' + ids.rent, 'app');
  await scan(page, 'application before approval');
  await page.click('[data-testid=approve]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=app-state][data-state=awarded]', { timeout: 15000 });
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  const notice = (await page.locator('[data-testid=notice]').textContent()).trim();
  assert.ok(notice.includes('已批准'), `the notice: ${notice}`);
  assert.deepEqual(englishWords(notice), [], `the notice has no English: ${notice}`);
  await scan(page, 'approved application with its notice');
  await page.context().close();
});

test('a refused approval: the error banner in Chinese, its code kept', async () => {
  const page = await zhPage();
  await login(page, tokens.reviewer, 'queue');
  await go(page, 'app/' + ids.model, 'app');
  // A rate that is not one: a field's validation, the field named.
  await page.fill('[data-testid=approve-rate]', 'abc');
  await page.click('[data-testid=approve]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 15000 });
  let message = (await page.locator('[data-testid=error-message]').textContent()).trim();
  assert.ok(/[\u4e00-\u9fff]/.test(message), `the message is Chinese: ${message}`);
  assert.equal((await page.locator('[data-testid=error-field]').textContent()).trim(), 'rate');
  await scan(page, 'approval refused: a bad rate');
  // The first approval of an award above the threshold, then the same reviewer again: refused.
  await page.fill('[data-testid=approve-rate]', '');
  await page.click('[data-testid=approve]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=notice]:not([hidden])', { timeout: 15000 });
  await page.click('[data-testid=approve]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 15000 });
  message = (await page.locator('[data-testid=error-message]').textContent()).trim();
  assert.equal(message, 'wang.fang 已作第一次审批：该奖励需由另一位审批人确认');
  assert.equal((await page.locator('[data-testid=error-code]').textContent()).trim(), 'forbidden');
  const banner = (await page.locator('[data-testid=error]').textContent()).trim();
  assert.ok(banner.includes('状态码 403'), `the banner: ${banner}`);
  assert.deepEqual(englishWords(banner, await bannerCodes(page)), [], `the banner has no English: ${banner}`);
  await scan(page, 'approval refused: a second approver needed');
  // The switch turns the banner back to English, without asking the server again.
  await page.click('[data-testid=lang-toggle]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  message = (await page.locator('[data-testid=error-message]').textContent()).trim();
  assert.match(message, /approved 'SH-2025-\d+' already/);
  await page.context().close();
});

test('finance: pools and an awarded application', async () => {
  const page = await zhPage();
  await login(page, tokens.finance, 'pools');
  await scan(page, 'finance pools');
  await go(page, 'queue', 'queue');
  await scan(page, 'finance queue');
  await go(page, 'app/' + ids.early, 'app');
  await scan(page, 'awarded application (finance)');
  await page.context().close();
});

test('auditor, administrator and analyst pages', async () => {
  let page = await zhPage();
  await login(page, tokens.auditor, 'pools');
  await scan(page, 'auditor pools');
  await go(page, 'queue', 'queue');
  await scan(page, 'auditor queue');
  await page.context().close();

  page = await zhPage();
  await login(page, tokens.admin, 'pools');
  await go(page, 'users', 'users');
  await scan(page, 'administrator users');
  await go(page, 'compare', 'compare');
  await scan(page, 'compare');
  await page.context().close();

  page = await zhPage();
  await login(page, tokens.analyst, 'pools');
  await scan(page, 'analyst pools');
  await go(page, 'simulate', 'simulate');
  await scan(page, 'analyst simulate');
  await page.context().close();
});

test('the language switch turns the server\'s texts too, without a reload', async () => {
  const context = await t.browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
  await context.addInitScript(() => { try { localStorage.setItem('quan.lang', 'en'); } catch { /* */ } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.jsErrors = (page.jsErrors || []).concat(String(e)); });
  await login(page, tokens.reviewer, 'queue');
  await go(page, 'app/' + ids.out, 'app');
  let body = await page.evaluate(() => document.body.innerText);
  assert.ok(body.includes('failed: registered in Shanghai'), 'English first');
  await page.click('[data-testid=lang-toggle]');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  body = await scan(page, 'application after switching to Chinese');
  assert.ok(body.includes('未通过：在上海注册'));
  await page.click('[data-testid=lang-toggle]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  body = await page.evaluate(() => document.body.innerText);
  assert.ok(body.includes('failed: registered in Shanghai'), 'and back to English');
  await context.close();
});
