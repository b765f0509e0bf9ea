/**
 * How the IndexedDB backend lays out a cipherlite directory, and the reads both threads make of
 * it: the worker's backend (engine/storage/indexeddb.ts) stores files this way, and the page's
 * `databaseExists` looks a file up without starting a worker. Nothing here holds file bytes.
 *
 * Layout (one IndexedDB database per cipherlite directory, `cipherlite:<directory>`):
 * - store `files`: file name → `{ size }`;
 * - store `chunks`: `[file name, chunk index]` → bytes `[index·CHUNK_SIZE, …)` of that file
 *   (`CHUNK_SIZE` long, the last chunk shorter).
 */
import { CipherliteError } from '@cipherlite/core/errors';

/** Bytes per IndexedDB record. A changed 4 KiB page rewrites one chunk (two when it straddles). */
export const CHUNK_SIZE = 16 * 1024;
export const IDB_VERSION = 1;
export const FILES_STORE = 'files';
export const CHUNKS_STORE = 'chunks';

/** The IndexedDB database holding cipherlite directory `directory`. */
export function idbDatabaseName(directory: string): string {
  return `cipherlite:${directory}`;
}

/** What store `files` holds per file name. */
export interface FileRecord {
  size: number;
}

/** Settles with `req`'s result; rejects with its error. */
export function requestResult<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new DOMException('IndexedDB request failed', 'UnknownError'));
  });
}

/** `QuotaExceededError` → QUOTA_EXCEEDED; everything else → IO. */
export function storageError(e: unknown, what: string): CipherliteError {
  if (e instanceof CipherliteError) return e;
  const name = e instanceof DOMException ? e.name : 'Error';
  if (name === 'QuotaExceededError') {
    return new CipherliteError('QUOTA_EXCEEDED', `storage quota exceeded while ${what}; the call was not saved — free space and retry`, {}, { cause: e });
  }
  return new CipherliteError('IO', `IndexedDB failed while ${what} (${name})`, {}, { cause: e });
}

/** Firefox private windows before 115 and some embedded views refuse IndexedDB (InvalidStateError, SecurityError). */
function idbUnavailable(e: unknown): CipherliteError {
  return new CipherliteError('UNSUPPORTED', `IndexedDB cannot be opened here (${e instanceof DOMException ? e.name : 'Error'})`, {}, { cause: e });
}

/** Opens (creating when missing) the IndexedDB database of `directory`. */
export async function openIdb(directory: string): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') throw new CipherliteError('UNSUPPORTED', 'IndexedDB is not available in this worker');
  const req = indexedDB.open(idbDatabaseName(directory), IDB_VERSION);
  req.onupgradeneeded = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains(FILES_STORE)) db.createObjectStore(FILES_STORE);
    if (!db.objectStoreNames.contains(CHUNKS_STORE)) db.createObjectStore(CHUNKS_STORE);
  };
  try {
    return await requestResult(req);
  } catch (e) {
    throw idbUnavailable(e);
  }
}

/**
 * Opens `directory`'s IndexedDB database only if it already exists; null when it does not.
 * Never creates it: `indexedDB.databases()` answers without opening where it exists (Chromium,
 * Firefox 126+, Safari); elsewhere, and against a database deleted since that list, an open of a
 * missing database fires `upgradeneeded` and aborting that upgrade leaves nothing behind.
 */
async function openExistingIdb(directory: string): Promise<IDBDatabase | null> {
  const dbName = idbDatabaseName(directory);
  if (typeof indexedDB.databases === 'function') {
    const listed = await indexedDB.databases();
    if (!listed.some((info) => info.name === dbName)) return null;
  }
  const req = indexedDB.open(dbName);
  req.onupgradeneeded = () => req.transaction?.abort();
  try {
    return await requestResult(req);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return null;
    throw e;
  }
}

/**
 * Whether `directory`'s IndexedDB database holds the file `name` with bytes in it (a zero-length
 * file, like in OPFS, is the leftover of an interrupted create). Creates nothing; usable from the
 * main thread while a worker holds the database open. UNSUPPORTED without usable IndexedDB.
 */
export async function idbFileExists(directory: string, name: string): Promise<boolean> {
  if (typeof indexedDB === 'undefined') throw new CipherliteError('UNSUPPORTED', 'IndexedDB is not available here');
  let idb: IDBDatabase | null;
  try {
    idb = await openExistingIdb(directory);
  } catch (e) {
    throw idbUnavailable(e);
  }
  if (!idb) return false;
  try {
    if (!idb.objectStoreNames.contains(FILES_STORE)) return false;
    const tx = idb.transaction(FILES_STORE, 'readonly');
    const record = (await requestResult(tx.objectStore(FILES_STORE).get(name))) as FileRecord | undefined;
    return (record?.size ?? 0) > 0;
  } catch (e) {
    throw storageError(e, 'looking up a file');
  } finally {
    idb.close();
  }
}

/**
 * The first `length` bytes of file `name` in `directory`'s IndexedDB database (fewer if it is
 * shorter), or `null` when it does not exist. Like `idbFileExists`: creates nothing, and works
 * while a worker holds the database open (IndexedDB connections do not exclude each other).
 */
export async function idbReadFileStart(where: { directory: string; name: string }, length: number): Promise<Uint8Array | null> {
  if (typeof indexedDB === 'undefined') throw new CipherliteError('UNSUPPORTED', 'IndexedDB is not available here');
  let idb: IDBDatabase | null;
  try {
    idb = await openExistingIdb(where.directory);
  } catch (e) {
    throw idbUnavailable(e);
  }
  if (!idb) return null;
  try {
    if (!idb.objectStoreNames.contains(FILES_STORE)) return null;
    const tx = idb.transaction([FILES_STORE, CHUNKS_STORE], 'readonly');
    const record = (await requestResult(tx.objectStore(FILES_STORE).get(where.name))) as FileRecord | undefined;
    if (!record) return null;
    const size = Math.min(record.size, length);
    const out = new Uint8Array(size);
    const last = Math.ceil(size / CHUNK_SIZE) - 1;
    if (last < 0) return out;
    const parts = (await requestResult(tx.objectStore(CHUNKS_STORE).getAll(IDBKeyRange.bound([where.name, 0], [where.name, last])))) as Uint8Array[];
    // Chunks are stored from 0 without gaps (engine/storage/indexeddb.ts commits them that way).
    parts.forEach((part, index) => out.set(part.subarray(0, Math.max(0, Math.min(part.length, size - index * CHUNK_SIZE))), index * CHUNK_SIZE));
    return out;
  } catch (e) {
    throw storageError(e, 'reading a file header');
  } finally {
    idb.close();
  }
}
