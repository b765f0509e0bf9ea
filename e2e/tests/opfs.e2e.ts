/**
 * OPFS sync access handles are exclusive. When another context (a closing tab's worker) still
 * holds the files, opening retries with backoff and succeeds once they are released, or fails
 * with BUSY after `acquireTimeoutMs`. A worker that cannot load fails the open cleanly.
 */
import { FAST_KDF, expect, log, test, ANY_PHASE } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'held', password: 'handles', kdf: FAST_KDF };

test('files held by another worker: open waits and succeeds after release, or fails with BUSY after acquireTimeoutMs', async ({ session }) => {
  const page = await (await session()).page('tab');
  expect(await page.evaluate((o) => window.t.open('a', o), OPTIONS)).toMatchObject({ ok: true });
  await page.evaluate(() => window.t.dbs.a!.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('x')"));
  await page.evaluate(() => window.t.dbs.a!.close());

  // Released after 1.5 s: the open keeps retrying and then works.
  const waited = await page.evaluate(async (o) => {
    const holder = await window.t.holdFile('held');
    setTimeout(() => holder.release(), 1500);
    const t0 = performance.now();
    const r = await window.t.open('b', { ...o, acquireTimeoutMs: 10_000 });
    return { r, ms: performance.now() - t0, rows: r.ok ? await window.t.dbs.b!.query('SELECT v FROM t') : null };
  }, OPTIONS);
  log(`open waited ${Math.round(waited.ms)} ms for the handle`);
  expect(waited.r).toMatchObject({ ok: true });
  expect(waited.ms).toBeGreaterThan(1000);
  expect(waited.rows).toEqual([{ v: 'x' }]);
  await page.evaluate(() => window.t.dbs.b!.close());

  // Never released in time: BUSY after acquireTimeoutMs, nothing hangs, and a later open works.
  const busy = await page.evaluate(async (o) => {
    const holder = await window.t.holdFile('held');
    const t0 = performance.now();
    const r = await window.t.open('c', { ...o, acquireTimeoutMs: 1000 });
    const ms = performance.now() - t0;
    holder.release();
    return { r, ms };
  }, OPTIONS);
  expect(busy.r).toMatchObject({ ok: false, code: 'BUSY' });
  expect(busy.ms).toBeLessThan(5000);
  expect(await page.evaluate((o) => window.t.open('d', o), OPTIONS)).toMatchObject({ ok: true });
  expect(await page.evaluate(() => window.t.dbs.d!.query('SELECT v FROM t'))).toEqual([{ v: 'x' }]);
});

test('a worker that cannot load (bundler did not emit it) → WORKER_LOAD_FAILED naming the bundler setup, no hang', ANY_PHASE, async ({ session }) => {
  const page = await (await session()).page('tab');
  const r = await page.evaluate(async (o) => {
    const { openDatabase } = window.t;
    return window.t.capture(openDatabase({ ...o, worker: () => new Worker('/no-such-worker.js', { type: 'module' }) }));
  }, OPTIONS);
  expect(r).toMatchObject({ ok: false, code: 'WORKER_LOAD_FAILED' });
  expect(r.message).toMatch(/bundler.*optimizeDeps\.exclude.*webpack 5.*worker: \(\) => new Worker/s);
});
