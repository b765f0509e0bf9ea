/**
 * Where the leader keeps the database, and what it must do around each call.
 *
 * - `opfs`: OPFS sync access handles (`opfs.ts`). Writes are durable at SQLite's own
 *   flushes, so `commit()` has nothing to do.
 * - `indexeddb`: the files in the worker's memory, every call's changes saved in one IndexedDB
 *   transaction by `commit()` before the call is answered (`indexeddb.ts`).
 *
 * `auto` (the default) takes OPFS when this context can really create a sync access handle,
 * IndexedDB otherwise. Feature detection alone is not enough: WebKitGTK has
 * `createSyncAccessHandle` on the prototype but rejects it with `NotSupportedError`, and private
 * sessions (Safari, WebKit WebDriver) have `getDirectory` but reject it.
 *
 * A database lives in the backend it was created in: `auto` does not migrate one between them
 * (a browser that gains OPFS sync handles starts an empty OPFS database; open it with
 * `storage: 'indexeddb'`, or move it with backup/restore).
 */
import { CipherliteError } from '@cipherlite/core';
import { IndexedDbStorage } from './indexeddb.js';
import { OpfsStorage, assertOpfsSupport, opfsDirectory } from './opfs.js';
import type { Diagnostics } from '../../shared/diagnostics.js';
import type { LeaderStorage } from '../runtime/platform.js';
import { assertStorageChoice } from '../../shared/protocol.js';
import type { StorageBackend, StorageChoice, WorkerOpenOptions } from '../../shared/protocol.js';

/** Created and removed at the OPFS root to find out whether sync access handles work. */
const PROBE_FILE = '.cipherlite-probe';

function isDomError(e: unknown, ...names: string[]): boolean {
  return e instanceof DOMException && names.includes(e.name);
}

/** True when this context can open an OPFS sync access handle (tried for real, see the header). */
async function opfsSyncHandlesWork(): Promise<boolean> {
  try {
    assertOpfsSupport();
  } catch {
    return false;
  }
  let root: FileSystemDirectoryHandle;
  let file: FileSystemFileHandle;
  try {
    root = await navigator.storage.getDirectory();
    file = await root.getFileHandle(PROBE_FILE, { create: true });
  } catch {
    return false;
  }
  try {
    (await file.createSyncAccessHandle()).close();
    return true;
  } catch (e) {
    // Another tab probing at the same moment holds it: handles work.
    return isDomError(e, 'NoModificationAllowedError', 'InvalidStateError');
  } finally {
    await root.removeEntry(PROBE_FILE).catch(() => undefined);
  }
}

/** Resolves the `storage` option to the backend this context will use; UNSUPPORTED if none. */
export async function chooseBackend(choice: StorageChoice = 'auto'): Promise<StorageBackend> {
  assertStorageChoice(choice);
  const hasIdb = typeof indexedDB !== 'undefined';
  if (choice === 'opfs') {
    assertOpfsSupport();
    return 'opfs';
  }
  if (choice === 'indexeddb' || !(await opfsSyncHandlesWork())) {
    if (!hasIdb) {
      throw new CipherliteError('UNSUPPORTED', 'neither OPFS sync access handles (createSyncAccessHandle) nor IndexedDB are available in this worker');
    }
    return 'indexeddb';
  }
  return 'opfs';
}

/** Opens the leader's storage for `options` on `backend`. */
export async function openLeaderStorage(backend: StorageBackend, options: WorkerOpenOptions, log: Diagnostics): Promise<LeaderStorage> {
  if (backend === 'indexeddb') {
    const idb = await IndexedDbStorage.open(options.directory);
    return {
      backend,
      files: idb,
      commit: () => idb.commit(),
      revert: () => idb.revert(),
      stillThere: async () => idb.stillThere(),
      close: async () => idb.close(),
    };
  }
  const dir = await opfsDirectory(options.directory);
  const opfs = await OpfsStorage.open(dir, options.acquireTimeoutMs === undefined ? { log } : { acquireTimeoutMs: options.acquireTimeoutMs, log });
  return {
    backend,
    files: opfs,
    commit: async () => undefined,
    // OPFS writes are durable as they happen: there is nothing that was not made durable.
    revert: async () => undefined,
    stillThere: (name) => opfs.stillThere(name),
    close: () => opfs.close(),
  };
}
