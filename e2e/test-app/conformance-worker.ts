/**
 * Runs the shared SyncStorage conformance cases (@cipherlite/core/storage-conformance — the same
 * module Vitest runs against the memory and Node backends) against a browser backend, in a
 * dedicated worker (OPFS sync access handles exist only there, and the IndexedDB backend runs
 * in the database worker). Each case gets a fresh OPFS directory or IndexedDB database; every
 * storage is closed afterwards so its handles and connections are released. Posts the results
 * back, with how long the whole list took and whether the backend offers the optional `rename`.
 */
import type { SyncStorage } from '@cipherlite/core';
import { runStorageConformance, type ConformanceOptions } from '@cipherlite/core/storage-conformance';
import { OpfsStorage, opfsDirectory } from '@cipherlite/worker/opfs-storage';
// Not a published entry of @cipherlite/worker: apps get this backend through `storage: 'indexeddb'`.
import { IndexedDbStorage } from '../../packages/worker/src/engine/storage/indexeddb.ts';

export type ConformanceBackend = 'opfs' | 'indexeddb';

onmessage = async (e: MessageEvent<{ backend: ConformanceBackend; directory: string }>) => {
  const { backend, directory } = e.data;
  const opened: (OpfsStorage | IndexedDbStorage)[] = [];
  /** Where each storage lives, to open another one over the same place. */
  const pathOf = new Map<SyncStorage, string>();
  const open = async (path: string): Promise<OpfsStorage | IndexedDbStorage> => {
    const storage = backend === 'opfs' ? await OpfsStorage.open(await opfsDirectory(path)) : await IndexedDbStorage.open(path);
    opened.push(storage);
    pathOf.set(storage, path);
    return storage;
  };
  const options: ConformanceOptions = {
    async reopen(s) {
      await (s as OpfsStorage | IndexedDbStorage).close();
      return open(pathOf.get(s)!);
    },
    ...(backend === 'indexeddb'
      ? {
          durableBy: {
            reason: 'IndexedDB has no synchronous write, so flush() cannot make anything durable; the leader awaits commit() (one IndexedDB transaction) after every database call',
            commit: (s) => (s as IndexedDbStorage).commit(),
          },
        }
      : {}),
  };
  let n = 0;
  const started = performance.now();
  try {
    const results = await runStorageConformance(() => open(`${directory}/case-${n++}`), options);
    // The rename case checks nothing on a backend without the capability: say whether it ran.
    const offersRename = typeof opened[0]?.rename === 'function';
    postMessage({ results, ms: Math.round(performance.now() - started), durableBy: options.durableBy?.reason, offersRename });
  } catch (err) {
    postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  } finally {
    for (const s of opened) await s.close();
  }
};
