// The shared set-up of the browser tests (lib.mjs) against a real `quan serve`: a server that
// listens resolves to its URL and stderr; one that exits first rejects at once, naming its
// stderr; quan() passes stdin when given. No browser.
//
// Environment: QUAN (the quan binary, default ../build/quan).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kit from './lib.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(WEB, '..');
const QUAN = path.resolve(process.env.QUAN || path.join(ROOT, 'build/quan'));
const POLICY = path.join(ROOT, 'policies/shanghai-2025.yaml');
const QUAN_ENV = Object.assign({}, process.env, { QUAN_NOW: '2025-11-20T10:00:00+08:00' });

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
