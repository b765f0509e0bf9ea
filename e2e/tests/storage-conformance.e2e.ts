/**
 * The SyncStorage contract against OPFS in Chromium: the same case list Vitest runs against the
 * memory and Node backends (@cipherlite/core/storage-conformance), here in a dedicated worker on
 * real OPFS sync access handles.
 */
import { expect, log, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';

test('OpfsStorage passes every SyncStorage conformance case', async ({ profile }) => {
  const page = await (await profile()).page('tab');
  const out = await page.evaluate(() => window.t.storageConformance());
  expect(out.error).toBeUndefined();
  const results = out.results!;
  for (const r of results) log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? ` — ${r.error}` : ''}`);
  expect(results.length).toBeGreaterThanOrEqual(8);
  expect(results.filter((r) => !r.ok)).toEqual([]);
});
