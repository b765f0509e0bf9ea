/**
 * `databaseExists(name)`: is the encrypted database `name` stored in this origin's OPFS? Needs no
 * password and starts no worker, so an app can choose between its "create a password" and its
 * "unlock" screen before asking for anything.
 *
 * Existence follows the storage's own rule (see opfs-storage.ts): a file exists when it has bytes;
 * a zero-length file is the leftover of an interrupted create and reads as absent. When another
 * tab's worker holds the file open, the main thread cannot read its size (`getFile` is refused
 * while a sync access handle is open) — a held file exists.
 */
import { CipherliteError } from '@cipherlite/core';
import { assertDatabaseLocation, DEFAULT_DIRECTORY } from './protocol.js';

export interface DatabaseExistsOptions {
  /** OPFS directory of the database, as given to `openDatabase` (default `cipherlite`). */
  directory?: string;
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

/**
 * Whether a database `name` exists in OPFS (in `options.directory`). Rejects with
 * `INVALID_ARGUMENT` for a name `openDatabase` would refuse and `UNSUPPORTED` without OPFS.
 */
export async function databaseExists(name: string, options: DatabaseExistsOptions = {}): Promise<boolean> {
  const directory = options.directory ?? DEFAULT_DIRECTORY;
  assertDatabaseLocation(name, directory);
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
