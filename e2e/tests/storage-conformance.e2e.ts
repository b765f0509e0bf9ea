/**
 * The SyncStorage contract against the browser backends, in Chromium and Firefox: the same case
 * list Vitest runs against the memory and Node backends (@cipherlite/core/storage-conformance),
 * here in a dedicated worker against real OPFS sync access handles and against the IndexedDB
 * fallback (real IndexedDB of the engine). The IndexedDB backend declares the one exemption the
 * contract allows: its durable point is the asynchronous commit(), not flush(). Both offer the
 * optional atomic `rename` in both engines (OPFS through `FileSystemFileHandle.move()`), so its
 * case runs here rather than passing by having nothing to check.
 */
import { expect, log, test } from './fixtures.ts';
import type {} from '../test-app/main.ts';
import { storageConformanceCases } from '@cipherlite/core/storage-conformance';

const BACKENDS = [
  ['OpfsStorage', 'opfs', false],
  ['IndexedDbStorage', 'indexeddb', true],
] as const;

for (const [backend, id, commitNotFlush] of BACKENDS) {
  test(`${backend} passes every SyncStorage conformance case`, async ({ session, engine }) => {
    const page = await (await session()).page('tab');
    const out = await page.evaluate((b) => window.t.storageConformance(b), id);
    expect(out.error).toBeUndefined();
    const results = out.results!;
    for (const r of results) log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.error ? ` — ${r.error}` : ''}`);
    log(`${backend} in ${engine}: ${results.filter((r) => r.ok).length}/${results.length} cases passed in ${out.ms} ms`);
    if (out.durableBy) log(`${backend}: flush() is not its durable point — ${out.durableBy}`);
    expect(out.durableBy !== undefined).toBe(commitNotFlush);
    expect(out.offersRename, `${backend} offers rename in ${engine}`).toBe(true);
    expect(results.map((r) => r.name)).toEqual(storageConformanceCases.map((c) => c.name));
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
}
