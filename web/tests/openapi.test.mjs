// The OpenAPI document (data/openapi.json) checked by an independent validator: redocly's
// recommended rules (web/redocly.yaml), installed from web/package-lock.json by npm ci.
//
//   cd web && node --test tests/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.resolve(WEB, '../data/openapi.json');
const REDOCLY = path.join(WEB, 'node_modules/.bin/redocly');

test('redocly lint finds no error and no warning in data/openapi.json', () => {
  assert.ok(fs.existsSync(REDOCLY), 'redocly installed (cd web && npm ci)');
  let out;
  try {
    out = execFileSync(REDOCLY, ['lint', '--config', path.join(WEB, 'redocly.yaml'), '--format=json', DOC],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, { REDOCLY_TELEMETRY: 'off' }) });
  } catch (e) {
    assert.fail(`redocly lint failed (${e.status}): ${e.stdout}\n${e.stderr}`);
  }
  const r = JSON.parse(out);
  assert.deepEqual(r.totals, { errors: 0, warnings: 0, ignored: 0 },
    JSON.stringify(r.problems.slice(0, 5), null, 2));
});

test('every operation has an operationId, unique; servers and license are given', () => {
  const doc = JSON.parse(fs.readFileSync(DOC, 'utf8'));
  assert.ok(doc.servers && doc.servers.length > 0);
  assert.ok(doc.info.license && doc.info.license.name);
  const ids = [];
  for (const item of Object.values(doc.paths)) {
    for (const [m, op] of Object.entries(item)) {
      if (m === 'parameters') continue;
      assert.ok(op.operationId, `${m} has an operationId`);
      assert.ok(Object.keys(op.responses).some((c) => /^4\d\d$/.test(c)), `${op.operationId} has a 4xx`);
      ids.push(op.operationId);
    }
  }
  assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
});
