/**
 * SQLite's file locks within this worker (the VFS's xLock / xUnlock / xCheckReservedLock): the
 * same in-process semantics as sqlite-wasm's opfs-sahpool — only connections of this worker can
 * contend, since another tab's worker cannot even open the files (storage locks, Web Locks).
 */
import type { Sqlite3Static } from '@sqlite.org/sqlite-wasm';

/** What a lock is held by: one open file of SQLite (its path is the lock key). */
export interface LockHolder {
  path: string;
  lockType: number;
}

interface FileLock {
  nShared: number;
  lockType: number;
}

export class LockTable {
  readonly #capi: Sqlite3Static['capi'];
  readonly #locks = new Map<string, FileLock>();

  constructor(capi: Sqlite3Static['capi']) {
    this.#capi = capi;
  }

  /** Raises `f`'s lock to `lockType`: SQLITE_OK or SQLITE_BUSY. */
  lock(f: LockHolder, lockType: number): number {
    const capi = this.#capi;
    if (f.lockType >= lockType) return capi.SQLITE_OK;
    let lk = this.#locks.get(f.path);
    if (!lk) {
      lk = { nShared: 0, lockType: capi.SQLITE_LOCK_NONE };
      this.#locks.set(f.path, lk);
    }
    if (f.lockType !== lk.lockType && (lk.lockType >= capi.SQLITE_LOCK_PENDING || lockType > capi.SQLITE_LOCK_SHARED)) return capi.SQLITE_BUSY;
    if (lockType === capi.SQLITE_LOCK_SHARED) {
      ++lk.nShared;
      if (lk.lockType === capi.SQLITE_LOCK_NONE) lk.lockType = lockType;
    } else if (lockType === capi.SQLITE_LOCK_EXCLUSIVE && lk.nShared > 1) {
      if (f.lockType === capi.SQLITE_LOCK_RESERVED) f.lockType = lk.lockType = capi.SQLITE_LOCK_PENDING;
      return capi.SQLITE_BUSY;
    } else {
      lk.lockType = lockType;
    }
    f.lockType = lockType;
    return capi.SQLITE_OK;
  }

  /** Lowers `f`'s lock to `lockType` (never raises it). */
  unlock(f: LockHolder, lockType: number): void {
    const capi = this.#capi;
    if (f.lockType <= lockType) return;
    const lk = this.#locks.get(f.path);
    if (lk) {
      if (f.lockType > capi.SQLITE_LOCK_SHARED) lk.lockType = capi.SQLITE_LOCK_SHARED;
      if (lockType === capi.SQLITE_LOCK_NONE && --lk.nShared <= 0) this.#locks.delete(f.path);
    }
    f.lockType = lockType;
  }

  hasReserved(path: string): boolean {
    const lk = this.#locks.get(path);
    return !!lk && lk.lockType >= this.#capi.SQLITE_LOCK_RESERVED;
  }

  /** Drops every lock on `path` (its database was unregistered). */
  forget(path: string): void {
    this.#locks.delete(path);
  }
}
