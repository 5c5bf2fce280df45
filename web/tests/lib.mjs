// The set-up the browser tests share: where things are (the binary, the dashboard,
// Chromium, the bundled policies and examples), one office per test file (office():
// a fresh database, `quan serve` on it, Chromium, all torn down after the file), and
// the helpers underneath it: run quan, start `quan serve`, call its API, open and sign
// in to dashboard pages. The helpers take what they need as parameters; office() binds
// them to its database, clock, server and browser.
//
// Not a test file: `node --test tests/` runs only names like *.test.mjs.
//
// Environment: QUAN (the quan binary, default ../build/quan), QUAN_WEB (the built
// dashboard, default ../build/web, rebuilt with web/build.sh when QUAN_WEB is not given),
// CHROMIUM (default /usr/bin/chromium), ARTIFACTS (screenshots, default
// ../build/artifacts/screenshots).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';

const START_MS = 20000; // how long `quan serve` may take to say it is listening
const STOP_MS = 10000; // how long it may take to stop after SIGTERM

export const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(WEB, '..');
export const QUAN = path.resolve(process.env.QUAN || path.join(ROOT, 'build/quan'));
export const QUAN_WEB = path.resolve(process.env.QUAN_WEB || path.join(ROOT, 'build/web'));
export const ARTIFACTS = path.resolve(process.env.ARTIFACTS || path.join(ROOT, 'build/artifacts/screenshots'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const POLICY = path.join(ROOT, 'policies/shanghai-2025.yaml'); // the bundled Shanghai 2025
export const EXAMPLES = path.join(ROOT, 'examples/applications');
// The office's clock (QUAN_NOW) unless a file sets its own: inside the Shanghai 2025
// application window, whatever the real date.
export const NOW = '2025-11-20T10:00:00+08:00';

// clockEnv(now, over): the process's environment with QUAN_NOW set to now, and over on top.
export function clockEnv(now, over = {}) {
  return Object.assign({}, process.env, { QUAN_NOW: now }, over);
}

// quan(bin, args, { env, input }): run the quan binary bin with args and return its
// stdout; throws (with its stderr) when it fails. input, if given, is its stdin.
export function quan(bin, args, { env, input } = {}) {
  return execFileSync(bin, args, {
    encoding: 'utf8', input, env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
}

// addUser(run, db, name, role, uscc): `quan user add` through run (a file's own
// quan(args)); the token it prints, checked to be one token.
export function addUser(run, db, name, role, uscc) {
  const args = ['user', 'add', '--db', db, name, '--role', role];
  if (uscc) args.push('--uscc', uscc);
  const out = run(args).trim();
  assert.match(out, /^\S+$/, `quan user add printed one token line, got: ${out}`);
  return out;
}

// startServer({ quan, db, env, web, args }): `quan serve --db db --listen
// 127.0.0.1:0 [--web web] args...`. Resolves to { proc, url, stderr() } once it
// says it is listening (stderr() is all it has written to stderr so far); rejects,
// naming its stderr, if it exits first or says nothing for 20 s (then it is killed).
export function startServer({ quan: bin, db, env, web, args = [] }) {
  assert.ok(bin && db, 'startServer needs quan and db');
  const argv = ['serve', '--db', db, '--listen', '127.0.0.1:0'];
  if (web) argv.push('--web', web);
  argv.push(...args);
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let done = false;
    const stderr = () => err;
    const fail = (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(e);
    };
    const timer = setTimeout(() => {
      fail(new Error(`quan serve did not say it was listening in ${START_MS / 1000} s;
stdout: ${out}
stderr: ${err}`));
      proc.kill('SIGKILL');
    }, START_MS);
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening (http:\/\/\S+?)\/?\s*$/m.exec(out);
      if (m && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ proc, url: m[1], stderr });
      }
    });
    proc.on('error', (e) => fail(new Error(`quan serve could not start (${bin}): ${e.message}`)));
    proc.on('exit', (code, sig) => {
      fail(new Error(`quan serve exited (${code ?? sig}) before listening: ${err}`));
    });
  });
}

// api(base, method, route, token, body): one request to the API at base with a
// bearer token (body, if given, sent as JSON). { status, json (null when the
// answer is not JSON), text }.
export async function api(base, method, route, token, body) {
  const res = await fetch(base + route, {
    method,
    headers: Object.assign({ Authorization: 'Bearer ' + token },
      body === undefined ? {} : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

// newPage(browser, locale, width): a page in a context of its own; the page's
// uncaught script errors collect in page.jsErrors.
export async function newPage(browser, locale = 'en-US', width = 1360) {
  const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.jsErrors = (page.jsErrors || []).concat(String(e)); });
  return page;
}

// ready(page, route): waits until the dashboard shows route and is no longer busy.
export async function ready(page, route) {
  await page.waitForSelector(`#view[data-route="${route}"][aria-busy="false"]`, { timeout: 15000 });
}

// login(page, base, token, route): signs in at base by pasting an API token (the
// secondary way in, folded under "use an API token"), then waits for route, or,
// without one, for any page but the sign-in.
export async function login(page, base, token, route) {
  await page.goto(base + '/#/login');
  await ready(page, 'login');
  await page.click('[data-testid=use-token]');
  await page.fill('[data-testid=token-input]', token);
  await page.click('[data-testid=token-submit]');
  if (route) await ready(page, route);
  else await page.waitForSelector('#view[aria-busy="false"]:not([data-route="login"])', { timeout: 15000 });
}

// signIn(page, name, password, route): fills the sign-in form with a name and password
// and sends it; then waits for route, if given (without one, the caller waits for what
// it expects, an error for instance).
export async function signIn(page, name, password, route) {
  await page.fill('[data-testid=signin-name]', name);
  await page.fill('[data-testid=signin-password]', password);
  await page.click('[data-testid=login-submit]');
  if (route) await ready(page, route);
}

// text(page, testid): the trimmed text of the first element with that data-testid.
export async function text(page, testid) {
  return (await page.locator(`[data-testid="${testid}"]`).first().textContent()).trim();
}

// moneyOf(page, testid): the first such element's data-money (yuan, e.g.
// "360000.00"), checked to be what it shows without the thousands commas.
export async function moneyOf(page, testid) {
  const el = page.locator(`[data-testid="${testid}"]`).first();
  const shown = (await el.textContent()).trim();
  const raw = await el.getAttribute('data-money');
  assert.equal(shown.replace(/,/g, ''), raw, `${testid} shows ${shown}, which is ${raw}`);
  return raw;
}

// confirmMove(page): answers yes to the dashboard's confirmation of a move.
export async function confirmMove(page) {
  await page.click('[data-testid=confirm-yes]');
}

// screenshots(dir, first, name): a screenshot(page, what) that saves full-page
// shots in dir, numbered from first + 1, the file named name(number, what); it
// returns the file.
export function screenshots(dir, first, name = (n, what) => `${n}-${what}.png`) {
  let shot = first;
  return async (page, what) => {
    shot += 1;
    const file = path.join(dir, name(shot, what));
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

// office(name, { now, web, width }): one office for a test file. Registers a before()
// that checks the binary, builds the dashboard when QUAN_WEB is not given (web: false
// for a file without pages), makes the screenshot folder and a temporary folder
// (quan-NAME-test-*) with t.db in it; and an after() that closes the browser, stops
// the server (SIGTERM; SIGKILL after 10 s, then fails naming its stderr) and removes
// the folder. The file's own before() then makes the office (t.quan, t.addUser) and
// calls t.start() and t.launch(). Returns t:
//   t.tmp, t.db (a file's before() may point it elsewhere, e.g. PostgreSQL), t.env (the
//   process's environment with QUAN_NOW = now, default NOW), t.base (the running
//   server's URL), t.server (its process), t.browser;
//   t.quan(args, input), t.quanAt(now, args, input): quan on the office's clock, or another;
//   t.addUser(name, role, uscc): `quan user add`, its token;
//   t.start({ now, env, args }): `quan serve` on t.db (with --web unless web: false),
//     QUAN_NOW = now and env over t.env, args after; sets and returns t.base;
//   t.stop(): stops it (as after() does); t.serverErr(): the stderr of every server
//     the file has started, in order;
//   t.launch(): Chromium, headless; t.api(method, route, token, body) to t.base;
//   t.newPage(locale, width) (width defaults to the office's, 1360 unless given);
//   t.login(page, token, route) at t.base.
// The functions are bound: `const { quan, api } = t;` works before the office exists.
export function office(name, { now = NOW, web = true, width = 1360 } = {}) {
  assert.match(name, /^[a-z]+$/, 'office(name): a short lowercase name');
  let errs = '';
  let current = () => '';
  const t = {
    tmp: null, db: null, base: null, server: null, browser: null,
    env: clockEnv(now),
    quan: (args, input) => quan(QUAN, args, { env: t.env, input }),
    quanAt: (at, args, input) => quan(QUAN, args, { env: Object.assign({}, t.env, { QUAN_NOW: at }), input }),
    addUser: (user, role, uscc) => addUser(t.quan, t.db, user, role, uscc),
    serverErr: () => errs + current(),
    start: async ({ now: at, env = {}, args = [] } = {}) => {
      assert.ok(!t.server || t.server.exitCode !== null || t.server.signalCode !== null,
        'start: the previous server is stopped first (t.stop())');
      const over = Object.assign(at ? { QUAN_NOW: at } : {}, env);
      errs = t.serverErr();
      const s = await startServer({ quan: QUAN, db: t.db, web: web ? QUAN_WEB : undefined,
        env: Object.assign({}, t.env, over), args });
      t.server = s.proc;
      current = s.stderr;
      t.base = s.url;
      return t.base;
    },
    stop: () => stopServer(t.server, t.serverErr),
    launch: async () => {
      const { chromium } = await import('playwright-core');
      t.browser = await chromium.launch({ executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], headless: true });
      return t.browser;
    },
    api: (method, route, token, body) => api(t.base, method, route, token, body),
    newPage: (locale = 'en-US', w = width) => newPage(t.browser, locale, w),
    login: (page, token, route) => login(page, t.base, token, route),
  };
  before(() => {
    assert.ok(fs.existsSync(QUAN), `quan binary at ${QUAN} (set QUAN)`);
    if (web) {
      if (!process.env.QUAN_WEB) execFileSync(path.join(WEB, 'build.sh'), [QUAN_WEB], { stdio: 'inherit' });
      assert.ok(fs.existsSync(path.join(QUAN_WEB, 'index.html')), `dashboard at ${QUAN_WEB} (web/build.sh)`);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
    }
    t.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `quan-${name}-test-`));
    t.db = path.join(t.tmp, 'office.db');
  });
  after(async () => {
    if (t.browser) await t.browser.close();
    try {
      await t.stop();
    } finally {
      if (t.tmp) fs.rmSync(t.tmp, { recursive: true, force: true });
    }
  });
  return t;
}

// stopServer(proc, stderr, ms): SIGTERM to a running `quan serve`, resolved once it
// has exited; one that is still running ms (10 s) later is killed and the promise
// rejects, naming stderr(). A process already gone (or none) resolves at once.
export async function stopServer(proc, stderr = () => '', ms = STOP_MS) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  let timer;
  await Promise.race([gone, new Promise((r) => { timer = setTimeout(r, ms); })]);
  clearTimeout(timer);
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGKILL');
    await gone;
    assert.fail(`quan serve did not stop within ${ms / 1000} s of SIGTERM; stderr: ${stderr()}`);
  }
}
