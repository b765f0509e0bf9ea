/**
 * `databaseExists(name)`: is the encrypted database `name` stored in this origin? Needs no
 * password and starts no worker, so an app can choose between its "create a password" and its
 * "unlock" screen before asking for anything.
 *
 * It looks where `openDatabase` with the same `storage` option would: `opfs`, `indexeddb`, or —
 * for `auto` — both, since `auto` picks the backend per browser and a database stays in the one it
 * was created in (see engine/storage/backend.ts). Looking creates nothing in either.
 *
 * Existence follows each storage's own rule: a file exists when it has bytes; a zero-length file
 * is the leftover of an interrupted create and reads as absent. In OPFS the size comes from
 * `getFile()`, which Chromium (156) answers while another tab's worker holds the file's sync access
 * handle; older Chromium refused it then (`NoModificationAllowedError`), and a refused file counts
 * as held, so it exists.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { idbFileExists } from '../shared/indexeddb-layout.js';
import { assertDatabaseLocation, assertStorageChoice, DEFAULT_DIRECTORY } from '../shared/protocol.js';
import type { StorageChoice } from '../shared/protocol.js';

export interface DatabaseExistsOptions {
  /** Directory of the database, as given to `openDatabase` (default `cipherlite`). */
  directory?: string;
  /** Where to look, as given to `openDatabase` (default `auto`: every backend available here). */
  storage?: StorageChoice;
}

function isNotFound(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError');
}

/** Resolves the existing directory `path` (`a/b` nests) without creating it; null when absent. */
async function existingDirectory(path: string): Promise<FileSystemDirectoryHandle | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (typeof storage?.getDirectory !== 'function') {
    throw new CipherliteError('UNSUPPORTED', 'the Origin Private File System (navigator.storage.getDirectory) is not available; use a current browser outside private/embedded modes');
  }
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await storage.getDirectory();
  } catch (e) {
    throw new CipherliteError('UNSUPPORTED', `the Origin Private File System is not available here (${e instanceof DOMException ? e.name : 'Error'})`, {}, { cause: e });
  }
  for (const part of path.split('/').filter(Boolean)) {
    try {
      dir = await dir.getDirectoryHandle(part);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }
  return dir;
}

/** Whether OPFS holds a non-empty file `name` in `directory`; UNSUPPORTED without OPFS. */
async function opfsFileExists(directory: string, name: string): Promise<boolean> {
  const dir = await existingDirectory(directory);
  if (!dir) return false;
  let file: FileSystemFileHandle;
  try {
    file = await dir.getFileHandle(name);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  try {
    return (await file.getFile()).size > 0;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'NoModificationAllowedError') return true;
    throw e;
  }
}

const isUnsupported = (e: unknown) => e instanceof CipherliteError && e.code === 'UNSUPPORTED';

/**
 * `auto`: true when either backend this browser offers holds the database. A backend that is
 * unavailable here (no OPFS in a WebKit private session, no IndexedDB in an old private window)
 * cannot hold one and is skipped; only when both are unavailable is the answer UNSUPPORTED.
 */
async function existsInAnyBackend(directory: string, name: string): Promise<boolean> {
  const lookups = [opfsFileExists, idbFileExists].map((exists) => exists(directory, name));
  const outcomes = await Promise.allSettled(lookups);
  if (outcomes.some((o) => o.status === 'fulfilled' && o.value)) return true;
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  const other = failures.findIndex((e) => !isUnsupported(e));
  if (other >= 0) throw failures[other];
  if (failures.length === outcomes.length) {
    throw new CipherliteError('UNSUPPORTED', 'neither the Origin Private File System nor IndexedDB is available here');
  }
  return false;
}

/**
 * Whether a database `name` exists (in `options.directory`, looking in `options.storage`).
 * Rejects with `INVALID_ARGUMENT` for a name, directory or storage `openDatabase` would refuse,
 * and `UNSUPPORTED` when the storage asked for is not available here.
 */
export async function databaseExists(name: string, options: DatabaseExistsOptions = {}): Promise<boolean> {
  const directory = options.directory ?? DEFAULT_DIRECTORY;
  const storage = options.storage ?? 'auto';
  assertDatabaseLocation(name, directory);
  assertStorageChoice(storage);
  if (storage === 'opfs') return opfsFileExists(directory, name);
  if (storage === 'indexeddb') return idbFileExists(directory, name);
  return existsInAnyBackend(directory, name);
}
