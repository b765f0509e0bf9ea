/**
 * The one reader of a database file's start (its public header) before or without unlocking, on
 * either storage backend, for the page (`passkeySlots`) and the worker (`passkeyChallenges`).
 * What the bytes mean is core's business (`passkeyChallenges`); this only fetches them.
 */
import { idbReadFileStart } from './indexeddb-layout.js';
import { readOpfsFileStart } from './opfs-read.js';
import type { StorageBackend } from './protocol.js';

/** OPFS refusing the page (private sessions reject `getDirectory`) means: look in IndexedDB. */
function notThere(e: unknown): null {
  if (e instanceof DOMException) return null;
  throw e;
}

/**
 * The first `length` bytes of `directory/name` on `backend` (fewer if it is shorter), or `null`
 * when it does not exist there. Without a backend: OPFS where it is available, then IndexedDB (a
 * database lives in the backend it was created in, and the page does not know which one it was).
 */
export async function readFileStart(where: { directory: string; name: string }, length: number, backend?: StorageBackend): Promise<Uint8Array | null> {
  if (backend === 'opfs') return readOpfsFileStart(where, length);
  if (backend === 'indexeddb') return idbReadFileStart(where, length);
  const storage = (globalThis.navigator as { storage?: StorageManager } | undefined)?.storage;
  const fromOpfs = typeof storage?.getDirectory === 'function' ? await readOpfsFileStart(where, length).catch(notThere) : null;
  if (fromOpfs && fromOpfs.length > 0) return fromOpfs;
  return typeof indexedDB === 'undefined' ? fromOpfs : ((await idbReadFileStart(where, length)) ?? fromOpfs);
}
