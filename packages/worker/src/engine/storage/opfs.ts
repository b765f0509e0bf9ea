/**
 * `SyncStorage` over the Origin Private File System, for core's encrypted VFS.
 *
 * SQLite's VFS calls are synchronous, but opening an OPFS `FileSystemSyncAccessHandle` is not.
 * So, like sqlite-wasm's `opfs-sahpool`, handles are opened ahead of time (`prepare`) and kept in
 * a map; `open` only hands out a view of an already open handle. Unlike `opfs-sahpool`, files keep
 * their plain names in one directory (default `cipherlite/`): `pos`, `pos-journal`, ... — every
 * byte in them is ciphertext or a non-secret container header, so nothing is gained by hiding
 * names, and tests and support staff can see what is stored. No COOP/COEP headers are needed.
 *
 * Existence: `prepare` must create the OPFS file to get a handle, but SQLite must not see a
 * `-journal` or `-wal` that it never created (an existing `-wal` switches SQLite to WAL mode).
 * So a file "exists" when it had bytes when we first looked, or was opened with `create` since;
 * `delete` truncates to 0 and forgets it (the handle stays open for reuse); zero-length leftovers
 * are removed when the storage closes or opens. A crash between SQLite's delete and our cleanup
 * leaves a zero-length file, which reads as absent — the same thing SQLite meant.
 *
 * Sync access handles are exclusive per file. When the previous owner (a tab being closed) still
 * holds one, `createSyncAccessHandle` throws `NoModificationAllowedError`; we retry with backoff
 * until `acquireTimeoutMs`, then fail with `BUSY`.
 *
 * Rename (sync-file.ts "Rename"): where the engine has `FileSystemFileHandle.prototype.move()`
 * (Chromium 156 and Firefox ESR 153 have it, and both let it replace an existing file), `rename`
 * moves the file over its target in one call the browser carries out, so a worker terminated
 * around it finds the old target or the new one (e2e/tests/rekey-swap.e2e.ts); what a power loss
 * leaves is up to the engine's OPFS metadata store, as for every OPFS write. This makes core's
 * rekey swap O(1) instead of a copy. A file cannot be moved, nor moved over,
 * while a sync access handle is open on it (both engines refuse with `NoModificationAllowedError`),
 * so the pooled handles of both names are closed first and the target's is opened again after.
 * Elsewhere `rename` is undefined and core copies instead.
 *
 * Errors from OPFS (notably `QuotaExceededError`) propagate unchanged: core maps them by `name`.
 */
import { CipherliteError, FileView } from '@cipherlite/core';
import type { SyncFile, SyncStorage } from '@cipherlite/core';
import { Diagnostics } from '../../shared/diagnostics.js';

export interface OpfsStorageOptions {
  /** Give up acquiring a handle another context holds after this long (ms). Default 10 000. */
  acquireTimeoutMs?: number;
  /** Where failed best-effort cleanups (removing empty leftovers) are reported; silent by default. */
  log?: Diagnostics;
}

const FIRST_RETRY_MS = 20;
const MAX_RETRY_MS = 500;

/** The OPFS errors that mean "someone else still holds this file". */
function isContention(e: unknown): boolean {
  return e instanceof DOMException && (e.name === 'NoModificationAllowedError' || e.name === 'InvalidStateError');
}

/** `FileSystemHandle.move()` (WHATWG File System, not yet in TypeScript's DOM library). */
type MovableFileHandle = FileSystemFileHandle & { move(newName: string): Promise<void> };

/** True where OPFS file handles can be moved (renamed) in place. */
export function opfsCanMove(): boolean {
  const fileHandle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  return typeof (fileHandle?.prototype as Partial<MovableFileHandle> | undefined)?.move === 'function';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Throws `UNSUPPORTED` unless this context can use OPFS sync access handles. */
export function assertOpfsSupport(): void {
  const storage = (globalThis.navigator as { storage?: StorageManager } | undefined)?.storage;
  if (typeof storage?.getDirectory !== 'function') {
    throw new CipherliteError('UNSUPPORTED', 'this browser context has no Origin Private File System (navigator.storage.getDirectory)');
  }
  const fileHandle = (globalThis as { FileSystemFileHandle?: { prototype: object } }).FileSystemFileHandle;
  if (!fileHandle || !('createSyncAccessHandle' in fileHandle.prototype)) {
    throw new CipherliteError('UNSUPPORTED', 'OPFS sync access handles (createSyncAccessHandle) are not available; a dedicated worker in a current browser is required');
  }
}

/** Opens (creating it when missing) the OPFS directory `path` (`a/b` nests). */
export async function opfsDirectory(path: string): Promise<FileSystemDirectoryHandle> {
  assertOpfsSupport();
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await navigator.storage.getDirectory();
  } catch (e) {
    // Firefox private windows and some embedded views reject here (SecurityError).
    const name = e instanceof DOMException ? e.name : 'Error';
    throw new CipherliteError('UNSUPPORTED', `the Origin Private File System is not available here (${name})`, {}, { cause: e });
  }
  for (const part of path.split('/').filter(Boolean)) {
    dir = await dir.getDirectoryHandle(part, { create: true });
  }
  return dir;
}

export class OpfsStorage implements SyncStorage {
  readonly #dir: FileSystemDirectoryHandle;
  readonly #acquireTimeoutMs: number;
  readonly #handles = new Map<string, FileSystemSyncAccessHandle>();
  /** Acquisitions in flight, by name (see `prepare`). */
  readonly #preparing = new Map<string, Promise<void>>();
  /** Names SQLite may see (see the header comment). */
  readonly #existing: Set<string>;
  readonly #log: Diagnostics;
  #closed = false;
  /** Atomic replacement of `to` by `from` (see the header comment); only where the engine can move files. */
  readonly rename?: (from: string, to: string) => Promise<void>;

  private constructor(dir: FileSystemDirectoryHandle, existing: Set<string>, options: OpfsStorageOptions) {
    this.#dir = dir;
    this.#existing = existing;
    this.#acquireTimeoutMs = options.acquireTimeoutMs ?? 10_000;
    this.#log = options.log ?? Diagnostics.silent;
    if (opfsCanMove()) this.rename = (from, to) => this.#rename(from, to);
  }

  /** Lists `dir`, dropping zero-length leftovers (see the header comment). */
  static async open(dir: FileSystemDirectoryHandle, options: OpfsStorageOptions = {}): Promise<OpfsStorage> {
    const existing = new Set<string>();
    for await (const [name, entry] of dir.entries()) {
      if (entry.kind !== 'file') continue;
      let size: number;
      try {
        size = (await (entry as FileSystemFileHandle).getFile()).size;
      } catch (e) {
        // Older Chromium refused getFile() while another context held a sync access handle
        // (Chromium 156 answers it); a refused file is someone's live file, so it exists.
        if (!isContention(e)) throw e;
        size = 1;
      }
      if (size > 0) existing.add(name);
      else await dir.removeEntry(name).catch((options.log ?? Diagnostics.silent).ignored('storage.remove-empty-failed', 'debug'));
    }
    return new OpfsStorage(dir, existing, options);
  }

  /**
   * Opens sync access handles for `names` (creating empty files), retrying while another owner
   * holds them. Concurrent calls may name the same file (the database prepares its journal while
   * its KDF runs, and a recovery may prepare it too): they share one acquisition, since a second
   * `createSyncAccessHandle` on a file we hold would wait for ourselves until the timeout.
   */
  async prepare(names: readonly string[]): Promise<void> {
    this.#assertOpen();
    for (const name of names) {
      if (this.#handles.has(name)) continue;
      let pending = this.#preparing.get(name);
      if (!pending) {
        pending = this.#prepareOne(name).finally(() => this.#preparing.delete(name));
        this.#preparing.set(name, pending);
      }
      await pending;
    }
  }

  async #prepareOne(name: string): Promise<void> {
    const fileHandle = await this.#dir.getFileHandle(name, { create: true });
    const handle = await this.#acquire(fileHandle, name);
    if (this.#closed) {
      handle.close();
      this.#assertOpen();
    }
    this.#handles.set(name, handle);
    if (handle.getSize() > 0) this.#existing.add(name);
  }

  /**
   * Moves `from` over `to`. The caller holds no view on either (sync-file.ts "Rename"); the pool's
   * handles on them are closed here, since the engine refuses to move a file with one open, and
   * `to`'s is acquired again so `open(to)` works at once. A failed move changes nothing: both
   * handles are acquired again and the error propagates (BUSY while another context holds `to`).
   */
  async #rename(from: string, to: string): Promise<void> {
    this.#assertOpen();
    await Promise.all([this.#preparing.get(from), this.#preparing.get(to)]);
    if (!this.#existing.has(from)) throw new CipherliteError('IO', `no such file: ${from}`);
    const source = (await this.#dir.getFileHandle(from)) as MovableFileHandle;
    const held = [from, to].filter((name) => this.#handles.has(name));
    for (const name of held) {
      this.#handles.get(name)?.close();
      this.#handles.delete(name);
    }
    try {
      await this.#retryWhileHeld(to, () => source.move(to));
    } catch (e) {
      // Reported, not thrown: the move's error is the one the caller must see.
      await this.prepare(held).catch(this.#log.ignored('storage.reacquire-failed', 'error'));
      throw e;
    }
    this.#existing.delete(from);
    this.#existing.add(to);
    await this.prepare([to]);
  }

  /** Runs `op`, retrying with backoff while another context holds `name`, then BUSY. */
  async #retryWhileHeld<T>(name: string, op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#acquireTimeoutMs;
    for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      try {
        return await op();
      } catch (e) {
        if (!isContention(e)) throw e;
        if (Date.now() + delay > deadline) {
          throw new CipherliteError('BUSY', `OPFS file "${name}" is still held by another tab or worker after ${this.#acquireTimeoutMs} ms`, {}, { cause: e });
        }
        await sleep(delay);
      }
    }
  }

  #acquire(fileHandle: FileSystemFileHandle, name: string): Promise<FileSystemSyncAccessHandle> {
    return this.#retryWhileHeld(name, () => fileHandle.createSyncAccessHandle());
  }

  open(name: string, options: { create: boolean }): SyncFile {
    this.#assertOpen();
    const handle = this.#handles.get(name);
    if (!handle) {
      throw new CipherliteError('INVALID_ARGUMENT', `OPFS file "${name}" was not prepared; call storage.prepare([name]) first (OPFS handles open asynchronously)`);
    }
    if (!this.#existing.has(name)) {
      if (!options.create) throw new CipherliteError('IO', `no such file: ${name}`);
      handle.truncate(0);
      this.#existing.add(name);
    }
    // A view of the pooled handle: `close()` ends the view, the handle stays with the pool.
    return new FileView(handle, name);
  }

  exists(name: string): boolean {
    return this.#existing.has(name);
  }

  delete(name: string): void {
    this.#assertOpen();
    const handle = this.#handles.get(name);
    if (handle) {
      // Equivalent to SQLite's journal delete as a commit point: durable once flushed.
      handle.truncate(0);
      handle.flush();
    } else if (this.#existing.has(name)) {
      // Not held by us (e.g. a backup file): removal is asynchronous; it is gone for SQLite now.
      void this.#dir.removeEntry(name).catch(this.#log.ignored('storage.remove-failed'));
    }
    this.#existing.delete(name);
  }

  list(): string[] {
    return [...this.#existing];
  }

  /** Closes every handle (so another tab can take the files) and removes zero-length leftovers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const empty: string[] = [];
    for (const [name, handle] of this.#handles) {
      if (!(await this.stillThere(name))) {
        // "Clear site data" removed the file under an open handle. On Chromium (at least 156),
        // close() on such a handle never returns and blocks the worker thread for good; the
        // handle is released with the worker instead.
        continue;
      }
      try {
        if (!this.#existing.has(name) || handle.getSize() === 0) empty.push(name);
      } finally {
        handle.close();
      }
    }
    this.#handles.clear();
    for (const name of empty) await this.#dir.removeEntry(name).catch(this.#log.ignored('storage.remove-empty-failed', 'debug'));
  }

  /** False when `name` vanished from OPFS behind our back (site data cleared while open). */
  async stillThere(name: string): Promise<boolean> {
    try {
      await this.#dir.getFileHandle(name);
      return true;
    } catch (e) {
      if (e instanceof DOMException && e.name === 'NotFoundError') return false;
      return true;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new CipherliteError('CLOSED', 'OPFS storage is closed');
  }
}
