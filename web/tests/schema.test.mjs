// Real answers validated against the OpenAPI document (data/openapi.json): a fresh office (every
// bundled program, Shanghai 2025 with a public notice, one user of every role), a real `quan serve`
// on loopback, and every operation of the document called with a role its x-roles allow, without
// a caller (401) and by a role it refuses (403). Each answer's status must be one the operation
// documents, its media type one that status lists, and its body valid against that schema (Ajv,
// OpenAPI 3.0 schemas, formats checked; a file by its first bytes). The request bodies sent, and
// every example in the document, are validated too. A last test fails naming every operation no
// call saw succeed, so a new route needs its schemas and a call here.
//
//   cd web && QUAN=../build/quan node --test tests/schema.test.mjs
//
// Environment: QUAN (the binary; build/quan by default); QUAN_TEST_DB (a PostgreSQL server's URI
// without a database, as scripts/pg run exports it) runs the office on a fresh database there;
// SCHEMA_DUMP=DIR writes every answer there (one file per call), to read the server's answers
// when writing a schema.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { office, ROOT, POLICY, EXAMPLES, NOW } from './lib.mjs';

const DOC_PATH = path.join(ROOT, 'data/openapi.json');
// A second program that allocates pro rata, so that a round can be closed.
const PRORATA = path.join(ROOT, 'examples/policies/example-prorata.yaml');
const DUMP = process.env.SCHEMA_DUMP || '';

const doc = JSON.parse(fs.readFileSync(DOC_PATH, 'utf8'));

// The document's operations, by operationId: method, path template and the operation.
const operations = new Map();
for (const [p, item] of Object.entries(doc.paths)) {
  for (const [m, op] of Object.entries(item)) {
    if (m === 'parameters') continue;
    operations.set(op.operationId, { method: m.toUpperCase(), path: p, op });
  }
}

// Ajv over the document's components: every "#/components/..." reference is made absolute
// to one schema holding them, and OpenAPI's format "binary" is any string.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addFormat('binary', true);
function absolute(node) {
  if (Array.isArray(node)) return node.map(absolute);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? 'quan-openapi' + v : absolute(v);
    }
    return out;
  }
  return node;
}
ajv.addSchema({ $id: 'quan-openapi', components: { schemas: absolute(doc.components.schemas) } });
const compiled = new Map();
function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(absolute(schema)));
  return compiled.get(key);
}
function deref(obj) {
  while (obj && obj.$ref) {
    obj = obj.$ref.slice(2).split('/').reduce((o, k) => o[k], doc);
  }
  return obj;
}

const t = office('schema', { web: false });
const { quan } = t;
let pgName;
const tokens = {};
const reached = new Set();
const problems = [];
let seq = 0;

function mediaType(header) {
  return (header || '').split(';')[0].trim().toLowerCase();
}

// call(operationId, role, { params, query, body, raw, type, headers, expect }): one request of
// that operation, its answer checked against the document; returns { status, json, text, bytes,
// headers }. params fill the path template; expect is the status the scenario needs.
async function call(opId, role, o = {}) {
  const entry = operations.get(opId);
  assert.ok(entry, `operation ${opId} is in the document`);
  const { method, op } = entry;
  const roles = op['x-roles'] || [];
  // "reviewer#2" is a second user of the role reviewer.
  // A role outside x-roles is only sent to see it refused.
  if (role && o.expect !== 403) assert.ok(roles.includes(role.split('#')[0]), `${opId}: x-roles ${roles} allow ${role}`);
  let route = entry.path.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent((o.params || {})[k]));
  if (o.query) route += '?' + new URLSearchParams(o.query).toString();
  const headers = Object.assign({}, o.headers || {});
  if (role) headers.Authorization = 'Bearer ' + tokens[role];
  let body;
  if (o.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(o.body);
    const rb = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
    assert.ok(rb, `${opId} documents a JSON request body`);
    const v = validator(rb.schema);
    if (!(o.expect >= 400) && !v(o.body)) {
      problems.push(`${opId}: the request body sent is not valid against its schema: ${explain(v.errors)}`);
    }
  } else if (o.raw !== undefined) {
    headers['Content-Type'] = o.type;
    body = o.raw;
    assert.ok(op.requestBody && op.requestBody.content[o.type], `${opId} documents a ${o.type} request body`);
  }
  const res = await fetch(t.base + route, { method, headers, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (res.status >= 200 && res.status < 300) reached.add(opId);
  const where = `${opId} (${method} ${route} as ${role || 'nobody'}) -> ${res.status}`;
  if (DUMP) {
    fs.mkdirSync(DUMP, { recursive: true });
    fs.writeFileSync(path.join(DUMP, `${String(++seq).padStart(3, '0')}-${opId}-${res.status}`),
      `${res.headers.get('content-type')}\n${json ? JSON.stringify(json, null, 1) : text.slice(0, 2000)}\n`);
  }
  if (o.expect !== undefined && res.status !== o.expect) {
    problems.push(`${where}: expected ${o.expect}: ${text.slice(0, 300)}`);
  }
  validate(where, op, res.status, res.headers.get('content-type'), json, text, bytes);
  return { status: res.status, json, text, bytes, headers: res.headers };
}

// The first bytes of the binary media types the server sends.
const MAGIC = {
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': Buffer.from('PK\x03\x04', 'latin1'),
  'application/pdf': Buffer.from('%PDF-'),
  'image/png': Buffer.from('\x89PNG', 'latin1'),
  'image/jpeg': Buffer.from('\xff\xd8\xff', 'latin1'),
  'application/ofd': Buffer.from('PK\x03\x04', 'latin1'),
};

function validate(where, op, status, ctype, json, text, bytes) {
  const r = deref(op.responses[String(status)]);
  if (!r) { problems.push(`${where}: status ${status} is not documented (${Object.keys(op.responses)})`); return; }
  if (!r.content) {
    if (text.length) problems.push(`${where}: documents no body, but one came`);
    return;
  }
  const mt = mediaType(ctype);
  const media = r.content[mt];
  if (!media) { problems.push(`${where}: media type ${ctype} is not one of ${Object.keys(r.content)}`); return; }
  if (!media.schema) { problems.push(`${where}: ${mt} has no schema`); return; }
  if (mt === 'application/json') {
    if (json === null) { problems.push(`${where}: the body is not JSON: ${text.slice(0, 200)}`); return; }
    const v = validator(media.schema);
    if (!v(json)) {
      problems.push(`${where}: ${explain(v.errors)}`);
    }
  } else {
    const s = deref(media.schema);
    if (s.type !== 'string') problems.push(`${where}: ${mt} schema is not a string`);
    if (bytes.length === 0) problems.push(`${where}: an empty ${mt} body`);
    const magic = MAGIC[mt];
    if (magic && !bytes.subarray(0, magic.length).equals(magic)) problems.push(`${where}: not a ${mt} file by its first bytes`);
  }
}

// Ajv's errors in a line: where, what, and the property or value at fault.
function explain(errors) {
  return errors.slice(0, 6).map((e) => {
    const what = e.params.additionalProperty !== undefined ? ` '${e.params.additionalProperty}'`
      : e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : '';
    return `${e.instancePath || '/'} ${e.message}${what}`;
  }).join('; ');
}

function example(name, patch) {
  const a = JSON.parse(fs.readFileSync(path.join(EXAMPLES, name), 'utf8'));
  if (patch) patch(a);
  return a;
}

const ROLES = ['administrator', 'reviewer', 'finance', 'auditor', 'analyst'];

before(async () => {
  if (process.env.QUAN_TEST_DB) {
    pgName = `quan_schema_${process.pid}`;
    execFileSync('psql', ['-X', '-q', `${process.env.QUAN_TEST_DB}/postgres`, '-c', `CREATE DATABASE ${pgName}`]);
    t.db = `${process.env.QUAN_TEST_DB}/${pgName}`;
  }
  // Shanghai as bundled: its awards are posted in a notice of five working days before payment.
  const sh = POLICY;
  // And every other bundled program, so that decisions of every shape (joint funding, soft caps,
  // priorities) come back.
  const others = fs.readdirSync(path.join(ROOT, 'policies')).filter((f) => f.endsWith('.yaml') && f !== 'shanghai-2025.yaml')
    .flatMap((f) => ['--policy', path.join(ROOT, 'policies', f)]);
  quan(['init', '--db', t.db, '--policy', sh, '--policy', PRORATA, ...others, '--by', 'admin']);
  for (const role of ROLES) tokens[role] = quan(['user', 'add', '--db', t.db, role.slice(0, 5) + '-user', '--role', role]).trim();
  tokens['reviewer#2'] = quan(['user', 'add', '--db', t.db, 'second-reviewer', '--role', 'reviewer']).trim();
  const rent = example('sh-compute-rent.json');
  tokens.applicant = quan(['user', 'add', '--db', t.db, 'firm', '--role', 'applicant', '--uscc', rent.applicant.uscc]).trim();
  quan(['user', 'add', '--db', t.db, 'pw-user', '--role', 'auditor', '--password-stdin'], 'Schema-pass-2025\n');
  await t.start();
});

// After office()'s own after(), which has stopped the server.
after(() => {
  if (pgName) {
    execFileSync('psql', ['-X', '-q', `${process.env.QUAN_TEST_DB}/postgres`, '-c', `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`]);
  }
});

test('every operation answers what data/openapi.json says, for a real office', async () => {
  // Open routes and the caller.
  await call('getOpenApi', null, { expect: 200 });
  await call('getHealthz', null, { expect: 200 });
  const ready = await call('getReadyz', null, { expect: 200 });
  assert.equal(ready.json.store, process.env.QUAN_TEST_DB ? 'postgres' : 'sqlite');
  await call('getMe', 'applicant', { expect: 200 });
  await call('getMe', null, { expect: 401 });
  await call('listPrograms', 'analyst', { expect: 200 });
  await call('getChoices', 'applicant', { expect: 200 });

  // Deciding before applying.
  const rent = example('sh-compute-rent.json', (a) => { a.applicant.bank_account = '6222 0210 0111 2222 333'; });
  await call('estimateApplication', 'applicant', { body: rent, expect: 200 });
  await call('estimateApplication', 'applicant', { body: rent, query: { at: NOW }, headers: { 'Accept-Language': 'zh-CN' }, expect: 200 });
  await call('estimateApplication', 'auditor', { body: { program: 'shanghai-2025' }, expect: 400 });
  for (const f of fs.readdirSync(EXAMPLES).filter((n) => n.endsWith('.json')).sort()) {
    await call('estimateApplication', 'auditor', { body: example(f), expect: 200 });
    await call('estimateApplication', 'reviewer', { body: example(f), headers: { 'Accept-Language': 'zh-CN' }, expect: 200 });
  }
  await call('compareCities', 'applicant', {
    expect: 200,
    body: {
      firm: { uscc: '91310115MA1K4ABCDD', name: '示例智能科技有限公司', sme: true, startup: true, registered_model: false, head_count: 12, office_m2: 300 },
      plan: {
        signed_on: '2025-09-01', electricity_kwh: 50000,
        compute: [{ kind: 'rent', chip: 'ascend-910c', accelerators: 128, hours: 4000, price_per_hour: '9.10', term_months: 12 }],
        models: [{ kind: 'api', value: '600000.00', term_months: 12, uses_registered_model: true }],
        corpus: [{ value: '400000.00', term_months: 12 }],
      },
    },
  });

  // Applications: the applicant's own, and the administrator's for other firms.
  const first = await call('submitApplication', 'applicant', { body: rent, expect: 201 });
  await call('submitApplication', 'applicant', { body: rent, expect: 200 });
  await call('submitApplication', 'applicant', { body: Object.assign({}, rent, { measure: 'corpus' }), expect: 409 });
  const app = first.json.id;
  const received = {}, clientRef = {};
  const submit = async (name, patch) => {
    const r = (await call('submitApplication', 'administrator', { body: example(name, patch), expect: 201 })).json;
    received[r.id] = r.received_at;
    clientRef[r.id] = r.client_ref;
    return r.id;
  };
  const early = await submit('sh-compute-early.json', (a) => { a.applicant.bank_account = '6222 0210 0111 2222 444'; });
  const corpus = await submit('sh-corpus.json');
  const build = await submit('sh-compute-build.json');
  const model = await submit('sh-model.json');
  const inst = await submit('sh-institute.json');
  const related = await submit('sh-corpus-related.json');

  await call('listApplications', 'reviewer', { expect: 200 });
  await call('listApplications', 'reviewer', { query: { state: 'reserved', limit: '2', sort: 'amount' }, expect: 200 });
  await call('listApplications', 'applicant', { expect: 200 });
  await call('listApplications', 'reviewer', { query: { nope: '1' }, expect: 400 });
  await call('getApplication', 'applicant', { params: { id: app }, expect: 200 });
  await call('getApplication', 'reviewer', { params: { id: related }, headers: { 'Accept-Language': 'zh-CN' }, expect: 200 });
  await call('getApplication', 'reviewer', { params: { id: 'SH-2025-999999' }, expect: 404 });
  await call('getReviewQueue', 'reviewer', { query: { program: 'shanghai-2025' }, expect: 200 });

  // Reviews.
  await call('approveApplication', 'reviewer', { params: { id: app }, body: {}, expect: 200 });
  await call('approveApplication', 'reviewer', { params: { id: app }, body: {}, expect: 409 });
  await call('approveApplications', 'reviewer', { body: { ids: [early, corpus, inst] }, expect: 200 });
  await call('approveApplication', 'reviewer#2', { params: { id: inst }, body: {}, expect: 200 });
  await call('approveApplication', 'reviewer#2', { params: { id: early }, body: { rate: '30%' }, expect: 200 });
  // A rejection and a withdrawal answer the application's own receipt, as its submission did.
  const rejected = await call('rejectApplication', 'reviewer', { params: { id: build }, body: { why: 'the invoices do not match the contract' }, expect: 200 });
  const withdrawn = await call('withdrawApplication', 'administrator', { params: { id: model }, body: {}, expect: 200 });
  for (const [r, id] of [[rejected, build], [withdrawn, model]]) {
    assert.equal(r.json.received_at, received[id], `${id}: received_at as submitted`);
    assert.equal(r.json.client_ref, clientRef[id], `${id}: client_ref as submitted`);
  }
  await call('getApplication', 'administrator', { params: { id: inst }, expect: 200 });
  // A second grant finds the institute commitment held: waitlisted, its page says where it waits.
  const inst2 = await submit('sh-institute.json', (a) => {
    a.client_ref = 'sh-institute-2'; a.contract.number = 'SH-AI-INST-2025-02'; a.contract.value = '300000000.00';
  });
  const waiting = await call('getApplication', 'reviewer', { params: { id: inst2 }, expect: 200 });
  assert.ok(waiting.json.waiting, 'a waitlisted application says where it waits');
  // Zhengzhou's review queue puts first a firm that holds a Henan provincial award.
  const ha = await submit('ha-compute.json');
  await call('approveApplications', 'reviewer', { body: { ids: [ha] }, expect: 200 });
  await submit('zz-compute.json');
  const zz = await call('getReviewQueue', 'reviewer', { query: { program: 'zhengzhou-2024' }, expect: 200 });
  assert.ok(zz.json.queue.some((a) => a.priority), 'the queue shows a priority');

  // Money after the award (Shanghai's payments wait for the notice, below).
  await call('disburseTranche', 'finance', { params: { id: app }, body: { amount: '100000.00' }, expect: 409 });
  await call('postMilestone', 'reviewer', { params: { id: inst }, body: { year: 2025, what: 'institute registered, 120 researchers hired' }, expect: 200 });
  await call('settleApplication', 'reviewer', { params: { id: corpus }, body: { value: '2000000.00', invoices: ['INV-1'] }, expect: 200 });
  const settled = await call('getApplication', 'auditor', { params: { id: corpus }, expect: 200 });
  assert.ok(settled.json.settlement, 'a settled application shows its settlement');
  await call('getApplication', 'finance', { params: { id: app }, expect: 200 });

  // Letters and documents.
  for (const kind of ['decision', 'award']) {
    await call('getLetter', 'applicant', { params: { id: app }, query: { kind }, expect: 200 });
  }
  await call('getLetter', 'reviewer', { params: { id: build }, query: { kind: 'rejection' }, expect: 200 });
  await call('getLetter', 'reviewer', { params: { id: app }, query: { kind: 'rejection' }, expect: 409 });
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
  const doc1 = await call('attachDocument', 'applicant', { params: { id: app }, query: { kind: 'contract', name: '合同.pdf' }, raw: pdf, type: 'application/octet-stream', expect: 201 });
  await call('attachDocument', 'applicant', { params: { id: app }, query: { kind: 'contract', name: 'n.txt' }, raw: Buffer.from('just text'), type: 'application/octet-stream', expect: 415 });
  await call('listDocuments', 'applicant', { params: { id: app }, expect: 200 });
  await call('getDocument', 'applicant', { params: { id: doc1.json && doc1.json.sha256 }, expect: 200 });

  // The public notice and objections.
  const notice = await call('openNotice', 'administrator', { body: { program: 'shanghai-2025', ids: [corpus, app, early] }, expect: 201 });
  const nid = notice.json && notice.json.id;
  await call('listNotices', 'auditor', { expect: 200 });
  await call('getNotice', 'reviewer', { params: { id: nid }, expect: 200 });
  for (const format of ['csv', 'xlsx', 'html']) {
    await call('exportNotice', 'finance', { params: { id: nid }, query: { format }, expect: 200 });
  }
  await call('lodgeObjection', 'administrator', { params: { id: corpus }, body: { why: 'related party' }, expect: 201 });
  await call('decideObjection', 'reviewer', { params: { id: corpus }, body: { outcome: 'upheld', why: 'confirmed' }, expect: 200 });
  await call('closeNotice', 'administrator', { params: { id: nid }, expect: 409 });

  // The office's round, its reports and its audit.
  for (const n of [1, 2, 3]) {
    const a = JSON.parse(fs.readFileSync(path.join(ROOT, `examples/prorata/ex-corpus-${n}.json`), 'utf8'));
    await call('submitApplication', 'administrator', { body: a, expect: 201 });
  }
  await call('closeRound', 'administrator', { body: { program: 'example-prorata-2025', measure: 'corpus', year: 2025 }, expect: 200 });
  await call('expireReservations', 'administrator', { body: {}, expect: 200 });
  await call('getReport', 'analyst', { expect: 200 });
  await call('getBurndown', 'analyst', { expect: 400 });
  await call('getBurndown', 'reviewer', { query: { program: 'shanghai-2025', pool: 'compute', year: '2025' }, expect: 200 });
  await call('checkLedger', 'finance', { expect: 200 });
  await call('verifyAuditChain', 'auditor', { expect: 200 });
  await call('listAuditEvents', 'auditor', { query: { limit: '500' }, expect: 200 });
  await call('listAuditEvents', 'administrator', { query: { kind: 'approve', limit: '2' }, expect: 200 });
  await call('replayDecisions', 'auditor', { query: { limit: '5' }, expect: 200 });
  await call('getForecast', 'analyst', { expect: 200 });
  await call('postSimulate', 'analyst', { body: { program: 'shanghai-2025', population: { synthetic: 50, seed: 3 } }, expect: 200 });
  await call('postSimulate', 'administrator', {
    expect: 200,
    body: {
      program: 'shanghai-2025', compare: true, burndown: true, population: { synthetic: 80, seed: 9 },
      reform: fs.readFileSync(path.join(ROOT, 'examples/reforms/shanghai-rent-40.yaml'), 'utf8'),
    },
  });
  await call('getMetrics', 'auditor', { expect: 200 });
  await call('getReport', 'applicant', { expect: 403 });

  // Users and sessions.
  await call('listUsers', 'administrator', { expect: 200 });
  await call('addUser', 'administrator', { body: { name: 'fay', role: 'finance', password: 'Fay-pass-2025' }, expect: 201 });
  await call('addUser', 'administrator', { body: { name: 'fay', role: 'finance' }, expect: 409 });
  await call('changeUser', 'administrator', { params: { id: 'fay' }, body: { role: 'auditor' }, expect: 200 });
  await call('resetPassword', 'administrator', { params: { id: 'fay' }, body: { password: 'Fay-new-2026' }, expect: 200 });
  await call('removeUser', 'administrator', { params: { id: 'fay' }, expect: 200 });
  await call('removeUser', 'administrator', { params: { id: 'nobody' }, expect: 404 });
  await call('signIn', null, { body: { name: 'pw-user', password: 'wrong-pass-1' }, expect: 401 });
  const s = await call('signIn', null, { body: { name: 'pw-user', password: 'Schema-pass-2025' }, expect: 200 });
  const cookie = (s.headers.get('set-cookie') || '').split(';')[0];
  const me = await call('getMe', null, { headers: { Cookie: cookie }, expect: 200 });
  assert.equal(me.json.signed_in_with, 'session');
  await call('signOut', null, { headers: { Cookie: cookie }, expect: 403 });
  await call('signOut', null, { headers: { Cookie: cookie, 'X-CSRF-Token': s.json && s.json.csrf }, expect: 200 });

  // Every operation that needs a caller answers 401 without one, and 403 to a role its x-roles
  // leave out, as its document says.
  for (const [id, { op }] of operations) {
    if ((op['x-roles'] || []).includes('anyone') || id === 'signIn') continue;
    const jsonBody = op.requestBody && op.requestBody.content['application/json'];
    await call(id, null, { params: { id: 'SH-2025-000001' }, body: jsonBody ? {} : undefined, expect: 401 });
  }
  for (const [id, { op }] of operations) {
    const roles = op['x-roles'] || [];
    const out = ['applicant', ...ROLES].find((r) => !roles.includes(r));
    if (roles.includes('anyone') || !out) continue;
    const jsonBody = op.requestBody && op.requestBody.content['application/json'];
    await call(id, out, { params: { id: 'SH-2025-000001' }, body: jsonBody ? {} : undefined, expect: 403 });
  }

  // A week later by the office's clock, the notice has run its five working days.
  await t.stop();
  await t.start({ now: '2025-11-28T10:00:00+08:00' });
  await call('closeNotice', 'administrator', { params: { id: nid }, expect: 200 });
  await call('getNotice', 'auditor', { params: { id: nid }, expect: 200 });

  // The notice closed, its awards are paid.
  await call('disburseTranche', 'finance', { params: { id: app }, body: { amount: '100000.00' }, headers: { 'Idempotency-Key': 'pay-1' }, expect: 200 });
  await call('disburseTranche', 'finance', { params: { id: app }, body: { amount: '100000.00' }, headers: { 'Idempotency-Key': 'pay-1' }, expect: 200 });
  await call('clawBack', 'finance', { params: { id: app }, body: { amount: '50000.00', why: 'price above the catalog' }, expect: 200 });
  await call('getLetter', 'applicant', { params: { id: app }, query: { kind: 'clawback' }, expect: 200 });

  // Payment batches, the bank statement, exports.
  const batch = await call('newBatch', 'finance', { body: { ids: [early] }, headers: { 'Idempotency-Key': 'b-1' }, expect: 201 });
  const bid = batch.json && batch.json.batch;
  await call('listBatches', 'auditor', { expect: 200 });
  await call('getBatch', 'finance', { params: { id: bid }, expect: 200 });
  const paid = await call('payBatch', 'finance', { params: { id: bid }, body: {}, headers: { 'Idempotency-Key': 'pay-b-1' }, expect: 200 });
  const pay = paid.json && paid.json.paid ? paid.json.paid[0] : {};
  await call('getBatch', 'auditor', { params: { id: bid }, expect: 200 });
  await call('reconcileStatement', 'finance', {
    expect: 200,
    body: {
      statement: 'date,amount,payee_account,payee_name,reference\n' +
        `2025-11-28,${pay.amount},${pay.payee_account},${pay.payee_name},${pay.voucher}\n` +
        '2025-11-28,1200.00,6222 9999,某公司,NO-SUCH-REF\n',
    },
  });
  await call('getExport', 'finance', { params: { id: 'awards' }, query: { format: 'csv' }, expect: 200 });
  await call('getExport', 'auditor', { params: { id: 'payments' }, query: { format: 'xlsx', batch: bid }, expect: 200 });
  await call('getExport', 'finance', { params: { id: 'awards' }, query: { format: 'pdf' }, expect: 400 });

  assert.deepEqual(problems, [], `answers that do not match data/openapi.json:\n${problems.join('\n')}`);

  // A server built with sanitizers says so on its way out.
  await t.stop();
  assert.doesNotMatch(t.serverErr(), /AddressSanitizer|LeakSanitizer|runtime error/, t.serverErr().slice(0, 4000));
});

test('every example in data/openapi.json is valid against the schema it illustrates', () => {
  const bad = [];
  let n = 0;
  // A schema node with an example: the example against the node; a media type with one: against its schema.
  (function walk(node, where) {
    if (Array.isArray(node)) { node.forEach((x, i) => walk(x, `${where}/${i}`)); return; }
    if (!node || typeof node !== 'object') return;
    const schema = node.schema && (node.example !== undefined) ? node.schema
      : (node.example !== undefined && (node.type || node.$ref || node.allOf || node.enum)) ? node : null;
    if (schema) {
      const copy = Object.assign({}, schema);
      delete copy.example;
      const v = validator(copy);
      n++;
      if (!v(node.example)) bad.push(`${where}: ${explain(v.errors)}`);
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'example') walk(v, `${where}/${k}`);
  })(doc, '#');
  assert.ok(n > 10, `examples found: ${n}`);
  assert.deepEqual(bad, [], `examples that their schemas refuse:\n${bad.join('\n')}`);
});

test('every operation of data/openapi.json was called and checked above', () => {
  const missed = [...operations.keys()].filter((id) => !reached.has(id));
  assert.deepEqual(missed, [],
    `operations web/tests/schema.test.mjs never saw succeed (2xx): ${missed.join(', ')}. ` +
    'A new route needs a response schema in data/openapi.json and a call in this test.');
});
