// The shared set-up of the browser tests (lib.mjs) against a real `quan serve`: a server that
// listens resolves to its URL and stderr; one that exits first rejects at once, naming its
// stderr; quan() passes stdin when given; office() gives a file its database, clock and
// server, started, stopped and started again on another clock; stopServer() kills a server
// that ignores SIGTERM and says so. No browser.
//
// Environment: QUAN (the quan binary, default ../build/quan).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as kit from './lib.mjs';
import { QUAN, POLICY, NOW } from './lib.mjs';

const QUAN_ENV = kit.clockEnv(NOW);
// The office of the office() tests, on a clock of its own, without the dashboard.
const o = kit.office('kit', { now: '2025-11-21T09:30:00+08:00', web: false });

let tmp, db;

before(() => {
  assert.ok(fs.existsSync(QUAN), `quan binary at ${QUAN} (set QUAN)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quan-kit-test-'));
  db = path.join(tmp, 'office.db');
  kit.quan(QUAN, ['init', '--db', db, '--policy', POLICY, '--by', 'admin'], { env: QUAN_ENV });
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('startServer resolves to the URL it listens on, its process and its stderr so far', async () => {
  const s = await kit.startServer({ quan: QUAN, db, env: QUAN_ENV });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(s.proc.exitCode, null);
    const token = kit.addUser((args) => kit.quan(QUAN, args, { env: QUAN_ENV }), db, 'ada', 'administrator');
    const r = await kit.api(s.url, 'GET', '/v1/me', token);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, 'ada');
    for (let i = 0; i < 100 && !/QUAN_NOW/.test(s.stderr()); i++) await new Promise((res) => setTimeout(res, 50));
    assert.match(s.stderr(), /QUAN_NOW/);
  } finally {
    const gone = new Promise((resolve) => s.proc.once('exit', resolve));
    s.proc.kill('SIGTERM');
    await gone;
  }
});

test('startServer rejects at once, naming the stderr, when the server exits before listening', async () => {
  const t0 = Date.now();
  await assert.rejects(kit.startServer({ quan: QUAN, db, env: QUAN_ENV, args: ['--tls-cert', path.join(tmp, 'cert.pem')] }),
    /exited \(1\) before listening: .*--tls-key go together/s);
  assert.ok(Date.now() - t0 < 10000, `rejected after ${Date.now() - t0} ms`);
});

test('quan passes stdin when given (none otherwise), and throws when the command fails', () => {
  const args = ['user', 'add', '--db', db, 'pw-user', '--role', 'auditor', '--password-stdin'];
  assert.throws(() => kit.quan(QUAN, args, { env: QUAN_ENV }), 'no password without stdin');
  assert.match(kit.quan(QUAN, args, { env: QUAN_ENV, input: 'Kit-pass-2025\n' }), /signs in with the password given/);
  assert.throws(() => kit.quan(QUAN, ['no-such-verb'], { env: QUAN_ENV }));
});

test('office(): its database, its clock, and a server stopped and started again on another', async () => {
  assert.ok(o.tmp && fs.existsSync(o.tmp) && o.db === path.join(o.tmp, 'office.db'));
  assert.equal(o.env.QUAN_NOW, '2025-11-21T09:30:00+08:00');
  o.quan(['init', '--db', o.db, '--policy', POLICY, '--by', 'admin']);
  const token = o.addUser('ada', 'administrator');
  const first = await o.start();
  assert.equal(first, o.base);
  assert.match(o.base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const me = await o.api('GET', '/v1/me', token);
  assert.equal(me.status, 200, me.text);
  for (let i = 0; i < 100 && !/2025-11-21/.test(o.serverErr()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(o.serverErr(), /2025-11-21/, 'the server runs on the office\'s clock');
  await assert.rejects(o.start(), /previous server is stopped first/);
  const proc = o.server;
  await o.stop();
  assert.ok(proc.exitCode !== null || proc.signalCode !== null, 'stopped');
  await o.stop(); // stopping a stopped server is harmless
  await o.start({ now: '2025-12-24T09:00:00+08:00' });
  assert.notEqual(o.server, proc);
  for (let i = 0; i < 100 && !/2025-12-24/.test(o.serverErr()); i++) await new Promise((r) => setTimeout(r, 50));
  // The stderr of both servers, in order.
  const all = o.serverErr();
  assert.ok(all.indexOf('2025-11-21') >= 0 && all.indexOf('2025-11-21') < all.indexOf('2025-12-24'), all);
  assert.equal((await o.api('GET', '/v1/me', token)).status, 200);
  // quanAt runs on another clock than the office's, quan on the office's.
  assert.match(o.quanAt('2026-01-05T09:00:00+08:00', ['user', 'add', '--db', o.db, 'bo', '--role', 'auditor']), /^\S+\s*$/);
});

test('stopServer kills a process that ignores SIGTERM, and fails naming its stderr', async () => {
  const proc = spawn('sh', ['-c', 'trap "" TERM; echo still here >&2; while :; do sleep 1; done'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  for (let i = 0; i < 100 && !err; i++) await new Promise((r) => setTimeout(r, 20));
  const t0 = Date.now();
  await assert.rejects(kit.stopServer(proc, () => err, 300), /did not stop within 0\.3 s of SIGTERM; stderr: still here/);
  assert.equal(proc.signalCode, 'SIGKILL');
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  await kit.stopServer(proc); // gone: resolves at once
});
