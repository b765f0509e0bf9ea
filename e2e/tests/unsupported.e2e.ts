/**
 * Environments without what the library needs (docs/SECURITY-TESTS.md #27) fail early and cleanly with
 * UNSUPPORTED; and a private (incognito) context, where Chromium keeps OPFS in memory, works.
 */
import { BASE_URL, FAST_KDF, expect, forwardLogs, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';

const OPTIONS = { name: 'u', password: 'unsupported', kdf: FAST_KDF };

test('neither OPFS nor IndexedDB → UNSUPPORTED before any worker starts', async ({ page }) => {
  forwardLogs(page, 'no-opfs');
  await page.goto(BASE_URL);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const r = await page.evaluate(async (o) => {
    delete (StorageManager.prototype as { getDirectory?: unknown }).getDirectory;
    // A plain assignment is ignored in Firefox (an accessor without a setter): redefine it.
    Object.defineProperty(globalThis, 'indexedDB', { value: undefined, configurable: true });
    return window.t.open('a', o);
  }, OPTIONS);
  expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
  expect(r.message).toMatch(/Origin Private File System/);
  expect(page.workers()).toHaveLength(0);
});

test('no Web Workers → UNSUPPORTED', async ({ page }) => {
  forwardLogs(page, 'no-worker');
  await page.goto(BASE_URL);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const r = await page.evaluate(async (o) => {
    (globalThis as { Worker?: unknown }).Worker = undefined;
    return window.t.open('a', o);
  }, OPTIONS);
  expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
});

test('opaque origin (sandboxed iframe, no storage at all) → UNSUPPORTED', async ({ page }) => {
  forwardLogs(page, 'sandboxed');
  await page.goto(BASE_URL);
  await page.evaluate((url) => {
    const f = document.createElement('iframe');
    f.sandbox.add('allow-scripts');
    f.src = url;
    document.body.append(f);
  }, BASE_URL);
  const frame = page.frames().find((f) => f !== page.mainFrame()) ?? (await page.waitForEvent('frameattached'));
  await frame.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  expect(await frame.evaluate(() => origin)).toBe('null');
  const r = await frame.evaluate((o) => window.t.open('a', o), OPTIONS);
  expect(r).toMatchObject({ ok: false, code: 'UNSUPPORTED' });
});

test('incognito context (OPFS in memory) works; persist() is reported', async ({ page }) => {
  forwardLogs(page, 'incognito');
  await page.goto(BASE_URL);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  const r = await page.evaluate((o) => window.t.open('a', o), OPTIONS);
  expect(r).toMatchObject({ ok: true, value: { role: 'leader' } });
  expect(r.value!.persisted === null || typeof r.value!.persisted === 'boolean').toBe(true);
  expect(
    await page.evaluate(async () => {
      const db = window.t.dbs.a!;
      await db.exec('CREATE TABLE t (v); INSERT INTO t VALUES (42)');
      return db.query('SELECT v FROM t');
    }),
  ).toEqual([{ v: 42 }]);
});
