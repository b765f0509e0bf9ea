/**
 * The byte-level storage contract the encrypted VFS runs on.
 *
 * It is deliberately the shape of OPFS's `FileSystemSyncAccessHandle` (`read(buf, { at })`,
 * `write(buf, { at })`, `truncate`, `getSize`, `flush`, `close`), so an OPFS handle satisfies
 * `SyncFile` as it is, and the in-memory and Node-fs backends below are drop-in stand-ins for
 * tests and the CLI. Everything is synchronous because SQLite's VFS calls are synchronous.
 *
 * Everything that reaches a `SyncFile` is already ciphertext (or a plaintext container header
 * that holds no secret): backends never see a key.
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
  /** Opens `name`; creates an empty file when `create` is set and the file is missing; throws when it is missing and `create` is false. */
  open(name: string, options: { create: boolean }): SyncFile;
  /** True when `name` exists (a zero-length file counts as existing). */
  exists(name: string): boolean;
  delete(name: string): void;
  /** Every file name currently stored. */
  list(): string[];
  /**
   * Optional asynchronous preparation hook: called by the database layer before an operation
   * may open `names` synchronously (OPFS must create sync access handles ahead of time).
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
}
