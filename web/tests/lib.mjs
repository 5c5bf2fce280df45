// The set-up the browser tests share: run quan, start `quan serve`, call its API,
// open and sign in to dashboard pages. Each helper takes what it needs (the binary,
// the database, the environment, the base URL, the browser) as parameters; a test
// file keeps its own globals and wraps these thinly.
//
// Not a test file: `node --test tests/` runs only names like *.test.mjs.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';

const START_MS = 20000; // how long `quan serve` may take to say it is listening

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
