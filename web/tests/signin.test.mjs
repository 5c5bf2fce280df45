// Browser tests of signing in with a name and a password (the session cookie and its CSRF
// value), signing out, and the administrators' users page: playwright-core drives Debian's
// chromium against a real `quan serve` on a fresh SQLite database, as dashboard.test.mjs.
//
//   cd web && node --test tests/signin.test.mjs
//
// The passwords are hashed with the production argon2id cost (64 MiB, a fraction of a second
// each): the binary under test is the one that ships, and a handful of sign-ins is quick.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as kit from './lib.mjs';
import { office, ready, text, confirmMove, signIn, ARTIFACTS, POLICY, EXAMPLES } from './lib.mjs';

const PASS = { ada: 'Ada-pass-2025', rita: 'Rita-pass-2025', rui: 'Rui-pass-2025' };
const t = office('signin');
const { quan, api, newPage } = t;
let clerk, RENT, MODEL;

const screenshot = kit.screenshots(ARTIFACTS, 50); // 51-NAME.png, ...

/* The error the page shows after a failed attempt, and clears it for the next. */
async function errorShown(page) {
  await page.waitForSelector('[data-testid=error]:not([hidden])', { timeout: 15000 });
  return { message: await text(page, 'error-message'), code: await text(page, 'error-code') };
}

/* GET /v1/me from inside the page: with the cookie, no token. */
async function meStatus(page) {
  return page.evaluate(() => fetch('/v1/me', { credentials: 'same-origin' }).then((r) => r.status));
}

/* Every action that moves money asks first, showing the amount (app.js's confirmMove): confirm. */
before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  // People with passwords, read from standard input; a program with a token.
  quan(['user', 'add', '--db', t.db, 'ada', '--role', 'administrator', '--password-stdin'], PASS.ada + '\n');
  quan(['user', 'add', '--db', t.db, 'rita', '--role', 'reviewer', '--password-stdin'], PASS.rita + '\n');
  quan(['user', 'add', '--db', t.db, 'rui', '--role', 'reviewer', '--password-stdin'], PASS.rui + '\n');
  clerk = quan(['user', 'add', '--db', t.db, 'clerk', '--role', 'administrator']).trim();
  await t.start();
  for (const f of ['sh-compute-rent.json', 'sh-model.json']) {
    const r = await api('POST', '/v1/applications', clerk, JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')));
    assert.equal(r.status, 201, `POST /v1/applications ${f}: ${r.text}`);
    if (f === 'sh-compute-rent.json') RENT = r.json.id; else MODEL = r.json.id;
  }
  await t.launch();
});

test('a reviewer signs in with a password, approves with the session, reloads and signs out', async () => {
  const page = await newPage('en-US');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  assert.equal(await page.locator('#view h1').textContent(), 'Sign in');
  assert.equal(await page.isVisible('[data-testid=token-input]'), false, 'the token paste is folded away');
  assert.equal(await text(page, 'use-token'), 'Use an API token');

  // A wrong password, and an unknown name, say the same.
  await signIn(page, 'rita', 'Not-her-pass-1');
  let e = await errorShown(page);
  assert.equal(e.message, 'Wrong name or password.');
  assert.equal(e.code, 'wrong_password');
  assert.equal(await page.inputValue('[data-testid=signin-password]'), '', 'the password field is emptied');
  await screenshot(page, 'signin-wrong-en');

  const writes = [];
  page.on('request', (req) => {
    if (req.method() !== 'GET') writes.push({ url: req.url(), method: req.method(), headers: req.headers() });
  });
  await signIn(page, 'rita', PASS.rita, 'queue');
  assert.equal(await text(page, 'user-name'), 'rita');
  assert.equal(await text(page, 'user-role'), 'reviewer');
  const cookies = await page.context().cookies();
  const c = cookies.find((k) => k.name === 'quan_session');
  assert.ok(c, 'the session cookie is set');
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  const store = await page.evaluate(() => ({ csrf: sessionStorage.getItem('quan.csrf'), token: sessionStorage.getItem('quan.token') }));
  assert.match(store.csrf || '', /\S{16,}/, 'the CSRF value is kept in sessionStorage');
  assert.equal(store.token, null, 'no token is kept');
  assert.equal(await page.evaluate(() => document.cookie), '', 'no script reads the cookie');

  // After a reload the session and its CSRF value come back from GET /v1/me.
  await page.evaluate(() => sessionStorage.removeItem('quan.csrf'));
  await page.goto(t.base + `/#/app/${RENT}`);
  await page.reload();
  await ready(page, 'app');
  assert.equal(await text(page, 'user-name'), 'rita');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('quan.csrf')), store.csrf);

  // A write made with the session carries X-CSRF-Token and no Authorization.
  await page.click('[data-testid=approve]');
  await confirmMove(page);
  await page.waitForSelector('[data-testid=app-state][data-state=awarded]', { timeout: 15000 });
  const approve = writes.find((w) => w.url.endsWith(`/v1/applications/${RENT}/approve`));
  assert.ok(approve, 'the approval was sent');
  assert.equal(approve.headers['x-csrf-token'], store.csrf);
  assert.equal(approve.headers.authorization, undefined);
  const shown = (await api('GET', `/v1/applications/${RENT}`, clerk)).json;
  assert.equal(shown.state, 'awarded');
  // A write without the header is refused: the server checks it.
  const bare = await page.evaluate((id) => fetch(`/v1/applications/${id}/approve`,
    { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    .then((r) => r.status), MODEL);
  assert.equal(bare, 403);
  await screenshot(page, 'signin-session-approved');

  // Sign out: DELETE /v1/session, back to the form, and the cookie no longer answers.
  assert.equal(await meStatus(page), 200);
  await page.click('[data-testid=logout]');
  await ready(page, 'login');
  assert.ok(writes.some((w) => w.method === 'DELETE' && w.url.endsWith('/v1/session') &&
    w.headers['x-csrf-token'] === store.csrf), 'DELETE /v1/session with the CSRF value');
  assert.equal(await text(page, 'notice'), 'Signed out.');
  assert.equal(await meStatus(page), 401);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('quan.csrf')), null);
  await page.reload();
  await ready(page, 'login');
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('signing in in Chinese: the form, a wrong password, a lock-out and a busy server', async () => {
  const page = await newPage('zh-CN');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await page.locator('#view h1').textContent(), '登录');
  const formText = await page.locator('[data-testid=signin-form]').innerText();
  assert.doesNotMatch(formText, /[A-Za-z]/, `no English on the Chinese form: ${formText}`);
  assert.equal(await text(page, 'use-token'), '使用访问令牌');

  await signIn(page, 'rui', 'Wrong-pass-99');
  assert.equal((await errorShown(page)).message, '用户名或密码错误。');
  await screenshot(page, 'signin-wrong-zh');

  // 429 and 503 as the server sends them, with Retry-After (the real lock-out would lock
  // this test's address out of the other tests).
  for (const [status, code, secs, want] of [
    [429, 'too_many_attempts', '8', '登录失败次数过多，请在 8 秒后重试。'],
    [503, 'busy', '1', '服务器正忙，请在 1 秒后重试。']]) {
    await page.route('**/v1/session', (route) => route.fulfill({ status, contentType: 'application/json',
      headers: { 'Retry-After': secs }, body: JSON.stringify({ error: { code, message: 'x' } }) }));
    await signIn(page, 'rui', PASS.rui);
    const e = await errorShown(page);
    assert.equal(e.message, want);
    assert.equal(e.code, code);
    await page.unroute('**/v1/session');
  }
  await page.click('#lang-toggle');
  await page.route('**/v1/session', (route) => route.fulfill({ status: 429, contentType: 'application/json',
    headers: { 'Retry-After': '16' }, body: JSON.stringify({ error: { code: 'too_many_attempts', message: 'x' } }) }));
  await signIn(page, 'rui', PASS.rui);
  assert.equal((await errorShown(page)).message, 'Too many failed sign-ins. Try again in 16 seconds.');
  await page.unroute('**/v1/session');
  await page.click('#lang-toggle');

  await signIn(page, 'rui', PASS.rui, 'queue');
  assert.equal(await text(page, 'user-role'), '审核员');
  assert.equal(await text(page, 'logout'), '退出登录');
  await page.click('[data-testid=logout]');
  await ready(page, 'login');
  assert.equal(await text(page, 'notice'), '已退出登录。');
  assert.equal(await meStatus(page), 401);
  assert.deepEqual(page.jsErrors || [], []);
  await page.context().close();
});

test('an administrator adds, changes and removes users on the users page; the new user signs in', async () => {
  const page = await newPage('en-US');
  await page.goto(t.base + '/');
  await ready(page, 'login');
  await signIn(page, 'ada', PASS.ada, 'pools');
  await page.click('[data-testid=nav-users]');
  await ready(page, 'users');
  assert.equal(await page.locator('#view h1').textContent(), 'Users');
  for (const n of ['ada', 'rita', 'rui', 'clerk']) await page.locator(`[data-testid="user-row-${n}"]`).waitFor();
  assert.equal(await text(page, 'user-signin-ada'), 'password');
  assert.equal(await text(page, 'user-signin-clerk'), 'API token');
  assert.equal(await text(page, 'user-disabled-rita'), 'no');
  await screenshot(page, 'users-en');

  // An analyst with a password.
  await page.fill('[data-testid=new-user-name]', 'fay');
  await page.selectOption('[data-testid=new-user-role]', 'analyst');
  assert.equal(await page.isVisible('[data-testid=new-user-uscc]'), false, 'no USCC but for an applicant');
  await page.fill('[data-testid=new-user-password]', 'Fay-pass-2025');
  await page.click('[data-testid=new-user-submit]');
  await page.locator('[data-testid="user-row-fay"]').waitFor();
  assert.equal(await text(page, 'notice'), 'The user fay was added.');
  assert.equal(await page.inputValue('[data-testid="user-role-fay"]'), 'analyst');

  // The same name again: 409, said plainly.
  await page.fill('[data-testid=new-user-name]', 'fay');
  await page.fill('[data-testid=new-user-password]', 'Fay-pass-2025');
  await page.click('[data-testid=new-user-submit]');
  let e = await errorShown(page);
  assert.equal(e.message, 'A user named fay exists already.');
  assert.match(e.code, /conflict/);
  assert.match(await page.locator('[data-testid=error]').textContent(), /HTTP 409/);

  // A weak password: 400, said plainly.
  await page.fill('[data-testid=new-user-name]', 'gus');
  await page.fill('[data-testid=new-user-password]', 'short');
  await page.click('[data-testid=new-user-submit]');
  e = await errorShown(page);
  assert.match(e.message, /too weak/);

  // An applicant: its firm's USCC, and no password: the token, shown once.
  await page.fill('[data-testid=new-user-name]', 'firm-a');
  await page.selectOption('[data-testid=new-user-role]', 'applicant');
  await page.fill('[data-testid=new-user-uscc]', '91310115MA1K4ABCDD');
  await page.fill('[data-testid=new-user-password]', '');
  await page.click('[data-testid=new-user-submit]');
  await page.locator('[data-testid="user-row-firm-a"]').waitFor();
  const tok = await text(page, 'users-token-value');
  assert.equal((await api('GET', '/v1/me', tok)).json.uscc, '91310115MA1K4ABCDD');

  // fay signs in, in another browser.
  const fayPage = await newPage('en-US');
  await fayPage.goto(t.base + '/');
  await ready(fayPage, 'login');
  await signIn(fayPage, 'fay', 'Fay-pass-2025', 'pools');
  assert.equal(await text(fayPage, 'user-role'), 'policy analyst');
  assert.equal(await meStatus(fayPage), 200);

  // Her role changes: her session ends.
  await page.selectOption('[data-testid="user-role-fay"]', 'auditor');
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  assert.equal(await page.inputValue('[data-testid="user-role-fay"]'), 'auditor');
  assert.equal(await meStatus(fayPage), 401);

  // A new password; disabled, she cannot sign in; enabled again, she can.
  await page.fill('[data-testid="user-newpass-fay"]', 'Fay-new-2026');
  await page.click('[data-testid="user-reset-fay"]');
  await page.waitForSelector('[data-testid=notice]:not([hidden])');
  assert.match(await text(page, 'notice'), /password of fay was reset/);
  await page.click('[data-testid="user-toggle-fay"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="user-disabled-fay"]').textContent === 'yes');
  await fayPage.goto(t.base + '/#/login');
  await fayPage.reload();
  await ready(fayPage, 'login');
  await signIn(fayPage, 'fay', 'Fay-new-2026');
  await errorShown(fayPage);
  await page.click('[data-testid="user-toggle-fay"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="user-disabled-fay"]').textContent === 'no');
  await signIn(fayPage, 'fay', 'Fay-new-2026', 'pools');
  assert.equal(await text(fayPage, 'user-role'), 'auditor');

  // Not herself: an administrator does not remove themselves (409).
  page.once('dialog', (d) => d.accept());
  await page.click('[data-testid="user-remove-ada"]');
  assert.match((await errorShown(page)).message, /does not demote, disable or remove themselves/);

  // Removed, with a confirmation: declined first, then accepted.
  page.once('dialog', (d) => { assert.match(d.message(), /Remove the user fay\?/); d.dismiss(); });
  await page.click('[data-testid="user-remove-fay"]');
  assert.equal(await page.locator('[data-testid="user-row-fay"]').count(), 1, 'declined: still there');
  page.once('dialog', (d) => d.accept());
  await page.click('[data-testid="user-remove-fay"]');
  await page.locator('[data-testid="user-row-fay"]').waitFor({ state: 'detached' });
  assert.equal(await meStatus(fayPage), 401);

  // The page in Chinese.
  await page.click('#lang-toggle');
  assert.equal(await page.locator('#view h1').textContent(), '用户管理');
  const formText = await page.locator('[data-testid=new-user-form]').innerText();
  assert.doesNotMatch(formText, /[A-Za-z]/, `no English on the Chinese form: ${formText}`);
  const heads = await page.locator('[data-testid=users-table] thead').innerText();
  assert.doesNotMatch(heads, /[A-Za-z]/, heads);
  await screenshot(page, 'users-zh');
  await page.click('#lang-toggle');
  assert.deepEqual(page.jsErrors || [], []);
  assert.deepEqual(fayPage.jsErrors || [], []);
  await fayPage.context().close();
  await page.context().close();
});
