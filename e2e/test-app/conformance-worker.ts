/**
 * Runs the shared SyncStorage conformance cases (@cipherlite/core/storage-conformance — the same
 * module Vitest runs against the memory and Node backends) against a browser backend, in a
 * dedicated worker (OPFS sync access handles exist only there, and the IndexedDB backend runs
 * in the database worker). Each case gets a fresh OPFS directory or IndexedDB database; every
 * storage is closed afterwards so its handles and connections are released. Posts the results
 * back, with how long the whole list took.
 */
import { runStorageConformance } from '@cipherlite/core/storage-conformance';
import { OpfsStorage, opfsDirectory } from '@cipherlite/worker/opfs-storage';
// Not a published entry of @cipherlite/worker: apps get this backend through `storage: 'indexeddb'`.
import { IndexedDbStorage } from '../../packages/worker/src/indexeddb-storage.ts';

export type ConformanceBackend = 'opfs' | 'indexeddb';

onmessage = async (e: MessageEvent<{ backend: ConformanceBackend; directory: string }>) => {
  const { backend, directory } = e.data;
  const opened: (OpfsStorage | IndexedDbStorage)[] = [];
  let n = 0;
  const started = performance.now();
  try {
    const results = await runStorageConformance(async () => {
      const path = `${directory}/case-${n++}`;
      const storage = backend === 'opfs' ? await OpfsStorage.open(await opfsDirectory(path)) : await IndexedDbStorage.open(path);
      opened.push(storage);
      return storage;
    });
    postMessage({ results, ms: Math.round(performance.now() - started) });
  } catch (err) {
    postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  } finally {
    for (const s of opened) await s.close();
  }
};
