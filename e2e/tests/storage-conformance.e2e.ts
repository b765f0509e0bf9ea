/**
 * The SyncStorage contract against the browser backends, in Chromium and Firefox: the same case
 * list Vitest runs against the memory and Node backends (@cipherlite/core/storage-conformance),
 * here in a dedicated worker against real OPFS sync access handles and against the IndexedDB
 * fallback (real IndexedDB of the engine).
 */
import { expect, log, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';
import { storageConformanceCases } from '@cipherlite/core/storage-conformance';

const BACKENDS = [
  ['OpfsStorage', 'opfs'],
  ['IndexedDbStorage', 'indexeddb'],
] as const;

for (const [backend, id] of BACKENDS) {
  test(`${backend} passes every SyncStorage conformance case`, async ({ profile, engine }) => {
    const page = await (await profile()).page('tab');
    const out = await page.evaluate((b) => window.t.storageConformance(b), id);
    expect(out.error).toBeUndefined();
    const results = out.results!;
    for (const r of results) log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? ` — ${r.error}` : ''}`);
    log(`${backend} in ${engine}: ${results.filter((r) => r.ok).length}/${results.length} cases passed in ${out.ms} ms`);
    expect(results.map((r) => r.name)).toEqual(storageConformanceCases.map((c) => c.name));
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
}
