// Browser tests of the analyst's pages: the simulation of a reform (burn-down of baseline
// against reform, and the per-pool table) and the forecast on the pools page, against a real
// `quan serve` on a demo office. Every figure shown is checked against the API's own answer.
//
//   cd web && node --test tests/
//
// Environment as dashboard.test.mjs: QUAN, QUAN_WEB, CHROMIUM, ARTIFACTS.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { office, ready, moneyOf, ROOT, ARTIFACTS, POLICY } from './lib.mjs';

const REFORM = path.join(ROOT, 'examples/reforms/shanghai-rent-40.yaml');

const t = office('sim');
const { quan, api, login } = t;
let analyst;

before(async () => {
  quan(['init', '--db', t.db, '--policy', POLICY, '--by', 'admin']);
  quan(['demo', '--db', t.db, '--count', '300']);
  analyst = quan(['user', 'add', '--db', t.db, 'ana', '--role', 'analyst']).trim();
  await t.start({ args: ['--forecast-horizon', '60'] });
  await t.launch();
});

test('an analyst simulates a reform: the table and the burn-down chart are the API\'s figures', async () => {
  const context = await t.browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, analyst, 'pools');
  // An analyst has the pools and the simulation, not the queue of applications.
  assert.equal(await page.locator('[data-testid=nav-queue]').count(), 0);
  await page.click('[data-testid=nav-simulate]');
  await ready(page, 'simulate');
  assert.equal((await page.inputValue('[data-testid=sim-reform]')).trim(),
    fs.readFileSync(REFORM, 'utf8').trim(), 'the example reform is offered');
  await page.fill('[data-testid=sim-size]', '3000');
  await page.fill('[data-testid=sim-seed]', '4');
  await page.click('[data-testid=sim-submit]');
  await page.waitForSelector('[data-testid=sim-table], #alert:not([hidden])', { timeout: 20000 });
  assert.equal(await page.locator('#alert:not([hidden])').count(), 0,
    'no error: ' + await page.locator('#alert').textContent());

  const res = await api('POST', '/v1/simulate', analyst, {
    program: 'shanghai-2025', reform: fs.readFileSync(REFORM, 'utf8'), compare: true, burndown: true,
    population: { synthetic: 3000, seed: 4 },
  });
  assert.equal(res.status, 200);
  assert.match(await page.locator('[data-testid=sim-applications]').textContent(), new RegExp(`\\b${res.json.applications}\\b`));
  for (const p of res.json.pools) {
    const k = `${p.program}-${p.pool}-${p.year}`;
    for (const [run, q] of [['baseline', p.baseline], ['reform', p]]) {
      assert.equal(await moneyOf(page, `sim-budget-${run}-${k}`), q.budget);
      assert.equal(await moneyOf(page, `sim-demand-${run}-${k}`), q.demand);
      assert.equal(await moneyOf(page, `sim-awarded-${run}-${k}`), q.awarded, `${run} ${k} awarded`);
      assert.equal((await page.locator(`[data-testid="sim-dry-${run}-${k}"]`).textContent()).trim(), q.dry_on || '—');
    }
  }
  // The reform pays more on rent: the compute pool's awards differ.
  const compute = res.json.pools.find((p) => p.pool === 'compute');
  assert.notEqual(compute.awarded, compute.baseline.awarded);
  // The chart: two series, each the API's burn-down of the first pool.
  const chart = await page.evaluate(() => {
    const c = window.Chart.getChart(document.querySelector('[data-testid=sim-chart]'));
    return c.data.datasets.map((d) => ({ key: d.key, raw: d.data.map((p) => p.raw) }));
  });
  assert.deepEqual(chart.map((d) => d.key), ['burndown_baseline', 'burndown_reform']);
  assert.deepEqual(chart[0].raw, res.json.burndown_baseline[0].points.map((p) => p.left));
  assert.deepEqual(chart[1].raw, res.json.burndown_reform[0].points.map((p) => p.left));
  await page.screenshot({ path: path.join(ARTIFACTS, 'sim-01-reform.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the pools page shows each pool\'s forecast, flagged within the server\'s horizon', async () => {
  const context = await t.browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  await login(page, analyst, 'pools');
  await page.waitForSelector('[data-testid=forecast-note]');
  const fc = await api('GET', '/v1/forecast', analyst);
  assert.equal(fc.status, 200);
  assert.equal(fc.json.flag_within_days, 60);
  let flagged = 0;
  for (const p of fc.json.pools) {
    const k = `${p.program}-${p.pool}-${p.year}`;
    const cell = page.locator(`[data-testid="pool-forecast-${k}"]`);
    assert.equal(await cell.getAttribute('data-status'), p.status);
    assert.equal(await cell.getAttribute('data-p50'), (p.dry_on && p.dry_on.p50) || '');
    const badge = page.locator(`[data-testid="pool-flag-${k}"]`);
    assert.equal(await badge.count(), p.flagged ? 1 : 0, `${k} flagged: ${p.flagged}`);
    if (p.flagged) {
      flagged += 1;
      const date = p.status === 'dry' ? p.dry_since : p.dry_on.p50;
      assert.match(await badge.textContent(), new RegExp(date));
    }
  }
  assert.ok(flagged > 0, 'the demo office has a pool flagged (a waitlist, or dry within 60 days)');
  await page.click('[data-testid=lang-toggle]');
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  assert.match(await page.locator('[data-testid=forecast-note]').textContent(), /预测/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'sim-02-forecast.png'), fullPage: true });
  await context.close();
});
