/**
 * The byte-level storage contract the encrypted VFS runs on.
 *
 * It is deliberately the shape of OPFS's `FileSystemSyncAccessHandle` (`read(buf, { at })`,
 * `write(buf, { at })`, `truncate`, `getSize`, `flush`, `close`), so an OPFS handle satisfies
 * `SyncFile` as it is, and the in-memory and Node-fs backends are drop-in stand-ins for tests and
 * the CLI. Everything is synchronous because SQLite's VFS calls are synchronous.
 *
 * Everything that reaches a `SyncFile` is already ciphertext (or a plaintext container header
 * that holds no secret): backends never see a key.
 *
 * ## The contract (every backend; checked by storage/conformance.ts)
 *
 * Names: a flat namespace of plain file names (no separators). `list()` returns exactly the
 * stored files — no lock or bookkeeping files of the backend.
 *
 * Handles: every `open()` returns a new handle onto the named file. All handles on one file see
 * the same bytes (a write through one is read through the others at once). `close()` ends that
 * handle only — other handles on the file stay usable, so a caller may open, inspect and close a
 * file SQLite holds open. Every call on a closed handle throws CipherliteError `CLOSED` (a caller's
 * mistake, not a storage failure); `close()` is idempotent.
 *
 * Missing files: `open(name, { create: false })` on a missing file throws a `CipherliteError`
 * with code `IO` whose message names the file, and creates nothing. `open(name, { create: true })`
 * creates an empty file when missing and never truncates an existing one.
 *
 * Zero length: a zero-length file exists (`exists`, `list`) like any other while the storage is
 * open. A backend may drop zero-length files when the storage is closed or opened again (OPFS
 * must create a file to get a handle and cannot tell such files from real ones); to SQLite an
 * empty journal and a missing one mean the same.
 *
 * Bytes: `read` returns how many bytes it read — fewer at the end of the file, 0 at or beyond it.
 * `write` writes every byte and returns the count; writing beyond the end extends the file, and
 * the gap reads as zeros. `truncate` shrinks, or extends with zeros; bytes cut off never reappear.
 * `flush` makes every earlier write and truncate durable, or throws — durable meaning a new
 * storage over the same place reads them. The one clause a backend may declare inapplicable: one
 * with no synchronous durable write (IndexedDB) names the asynchronous step that does it instead
 * (`ConformanceOptions.durableBy` in conformance.ts), and its caller awaits that step before
 * reporting success.
 *
 * Delete: `delete(name)` removes the file; afterwards `exists` is false, `open` without `create`
 * fails, and `open` with `create` yields an empty file. Deleting a missing file does nothing.
 * Handles opened before the delete must not be used for the new file (the VFS closes its
 * handles before it deletes).
 *
 * Errors: a backend throws on failure — never reports success for a failed write — and lets a
 * quota error keep its identity (`name === 'QuotaExceededError'` or `code === 'ENOSPC'`), which
 * the VFS maps to QUOTA_EXCEEDED.
 *
 * Rename (optional capability): `rename(from, to)` makes `to` hold exactly the bytes `from` held
 * and removes `from`, replacing any existing `to`, atomically and durably: once it resolves, a
 * new storage over the same place sees `to` with the new bytes and no `from`; a crash at any
 * moment leaves either the old `to` and `from` as they were, or the new `to` — never a mix, never
 * a missing `to` that existed. Nothing holds either file open during the call (handles opened
 * before it must not be used afterwards). `from` missing → CipherliteError `IO` naming it,
 * nothing changed. A backend that cannot promise all of this leaves `rename` undefined, and
 * callers copy instead (storage/file-replacement.ts).
 *
 * Exclusivity: one database must have one opener. Backends whose handles are not exclusive
 * across processes/contexts implement `lock` (Node); OPFS sync access handles already are.
 */

/** Position option, as in `FileSystemSyncAccessHandle.read/write`. */
export interface AtOption {
  at: number;
}

export interface SyncFile {
  /** Reads up to `buf.length` bytes at `at`; returns how many were read (fewer at end of file). */
  read(buf: Uint8Array, opts: AtOption): number;
  /** Writes all of `buf` at `at` (extending the file, zero-filling any gap); returns bytes written. */
  write(buf: Uint8Array, opts: AtOption): number;
  truncate(size: number): void;
  getSize(): number;
  /** Makes every earlier write durable. Throws if it cannot. */
  flush(): void;
  close(): void;
}

/**
 * A flat namespace of files (one directory). The VFS asks it for the database, its journal and
 * any temp files by name. `open` is synchronous: backends that need async set-up (OPFS) must
 * prepare handles before SQLite asks for them (see `prepare`).
 */
export interface SyncStorage {
  /** A new handle on `name` (see the contract above for `create`, missing files and sharing). */
  open(name: string, options: { create: boolean }): SyncFile;
  /** True when `name` exists (a zero-length file counts as existing). */
  exists(name: string): boolean;
  delete(name: string): void;
  /** Every file name currently stored. */
  list(): string[];
  /**
   * Optional asynchronous preparation hook: called by the database layer before an operation
   * may open `names` synchronously (OPFS must create sync access handles ahead of time). Calls
   * may overlap in time and name the same files (an open prepares its journal while its KDF runs).
   */
  prepare?(names: readonly string[]): Promise<void>;
  /**
   * Optional exclusive lock on database `name` against every other opener — other processes,
   * tabs, or storages over the same place — for as long as the database is open. Returns the
   * release function; throws a `CipherliteError` with code BUSY when someone else holds it.
   * A holder that crashed must not leave it stuck. Backends whose handles are already exclusive
   * (OPFS sync access handles) need not implement it.
   */
  lock?(name: string): () => void;
  /**
   * Optional atomic, durable replacement of `to` by `from` (see "Rename" in the contract above):
   * an O(1) swap where the storage can rename. Backends that cannot promise atomicity omit it.
   */
  rename?(from: string, to: string): Promise<void>;
}
