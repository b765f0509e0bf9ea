/**
 * Leaving and entering the encrypted world: standard SQLite files in and out.
 *
 * ⚠ `exportPlaintext` returns every byte of the database *without encryption*. Whoever
 * gets those bytes reads everything; nothing of cipherlite's protection applies to them. Use it
 * for a migration or a support case, write the result only where plaintext is acceptable, and
 * delete it afterwards.
 *
 * `importPlaintext` goes the other way: a standard SQLite file (e.g. from the `sqlite3` shell) is
 * loaded into a plain in-memory connection (`sqlite3_deserialize`) and copied with the backup API
 * into a new encrypted database. The copy is one transaction of the new database's rollback
 * journal, so an interrupted import leaves an empty database (or none), never a partial one.
 */
import { internals } from '../database/internals.js';
import { Database } from '../database/database.js';
import type { Database as SqliteDb, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { toCipherliteError } from '../sqlite/errors.js';
import { CipherliteError, invalidArgument } from '../errors.js';
import { startsWith } from '../format/bytes.js';
import { isValidBlockSize, SQLITE_MAGIC } from '../format/constants.js';
import { loadSqlite } from '../sqlite/loader.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { KdfParams } from '../types.js';
import { checkProgress, copyDatabase, COPY_DEST_CACHE_KIB, tableCounts } from './_shared.js';
import { checkSignal, Pacer } from './cancel.js';
import { hasSideFiles, recoverPlainCopy } from './plain-recovery.js';
import { replaceMarkerName, replaceSourceName } from '../storage/file-replacement.js';
import type { NewSecret, ProgressCallback, TableInfo } from './types.js';

/** SQLite file header offsets (https://sqlite.org/fileformat.html §1.3). */
const SQLITE_HDR_PAGE_SIZE = 16;
const SQLITE_HDR_WRITE_VERSION = 18;
const SQLITE_HDR_READ_VERSION = 19;
const SQLITE_HEADER_SIZE = 100;

export interface ExportOptions {
  /** `copy`: pages decrypted into the plain image. */
  onProgress?: ProgressCallback<'copy'>;
  /** Cancels the export (CANCELLED); the partial plain image is dropped. */
  signal?: AbortSignal;
}

/** Pages decrypted per slice of an export: progress and cancellation come between slices. */
const EXPORT_PAGES_PER_SLICE = 256;

/**
 * ⚠ UNENCRYPTED. Returns the whole database as a standard SQLite file (what the `sqlite3` shell
 * opens), decrypted. A consistent snapshot, taken in one queue slot.
 *
 * Built by decrypting the main file's blocks, pages 1..page_count, straight into the result:
 * between two calls no transaction is open (checked: BUSY otherwise) and, in rollback-journal
 * mode, the main file then holds exactly the committed database, page for page — what SQLite's
 * backup API would copy. Every block is authenticated on the way (CORRUPT naming the page), so a
 * damaged page never becomes zeros in the export — the reason it is not `sqlite3_serialize` on the
 * live connection, which zero-fills pages it cannot read (memdb.c). Nor a backup into an in-memory
 * database, as before: that held the database twice in SQLite's WebAssembly memory (the copy and
 * its serialization), and WebAssembly memory never shrinks: exporting a 44 MB database left
 * SQLite's heap 78 MiB larger for the life of the worker. Now the only copy is the result.
 */
export async function exportPlaintext(db: Database, options: ExportOptions = {}): Promise<Uint8Array> {
  internals(db).requireRollbackJournal('exportPlaintext');
  const onProgress = checkProgress(options.onProgress);
  const pacer = new Pacer(checkSignal(options.signal), 'exportPlaintext');
  pacer.check();
  return internals(db).exclusive(async () => {
    const { sqlite3, db: conn } = internals(db).sqlite;
    if (sqlite3.capi.sqlite3_get_autocommit(conn.pointer!) === 0) {
      throw new CipherliteError('BUSY', 'a transaction is open on this database: commit or roll it back before exporting');
    }
    const pageSize = internals(db).container.blockSize;
    const pages = Number(internals(db).call(() => conn.selectValue('PRAGMA page_count')));
    const main = internals(db).binding.main;
    if (main.size < pages * pageSize) {
      throw new CipherliteError('CORRUPT', `main file: ${main.size} bytes hold fewer than its ${pages} pages (truncated)`, { fileKind: 'main' });
    }
    const out = new Uint8Array(pages * pageSize);
    try {
      onProgress?.({ phase: 'copy', done: 0, total: pages });
      for (let page = 0; page < pages; page += EXPORT_PAGES_PER_SLICE) {
        const n = Math.min(EXPORT_PAGES_PER_SLICE, pages - page);
        main.readBlocks(page, n, out.subarray(page * pageSize, (page + n) * pageSize));
        onProgress?.({ phase: 'copy', done: page + n, total: pages });
        if (page + n < pages) await pacer.tick();
      }
      pacer.check();
    } catch (e) {
      out.fill(0); // plaintext that will not be returned does not stay in memory
      throw e;
    }
    return out;
  });
}

export interface ImportOptions {
  /** Argon2id parameters for a password (default: 64 MiB, t=3, p=1). */
  kdf?: Partial<KdfParams>;
  /** `copy`: pages copied into the new encrypted database. */
  onProgress?: ProgressCallback<'copy'>;
  /** Cancels the import (CANCELLED) until it returns; the files it created are deleted. */
  signal?: AbortSignal;
  /**
   * The source's side files, when it has them: its `-wal` (a WAL-mode database whose last commits
   * are not checkpointed yet) and its `-journal` (a hot journal: a crash mid-commit). The import
   * then holds exactly the last committed state, recovered by SQLite in a private in-memory copy
   * (keys/plain-recovery.ts); without them those commits are missing, or a half-written
   * transaction is imported.
   */
  wal?: Uint8Array;
  journal?: Uint8Array;
}

export interface ImportResult {
  db: Database;
  pageSize: number;
  tables: TableInfo[];
}

/**
 * Creates the encrypted database `name` in `storage` from a standard SQLite file. Refuses
 * (INVALID_ARGUMENT) if `name` exists; NOT_A_DATABASE if `bytes` is not a SQLite file; CORRUPT if
 * SQLite finds it damaged. The page size (= encryption block size) is the file's own. Returns the
 * new database, open.
 */
export async function importPlaintext(storage: SyncStorage, name: string, bytes: Uint8Array, secret: NewSecret, options: ImportOptions = {}): Promise<ImportResult> {
  if ((secret as { recoveryKey?: unknown } | null)?.recoveryKey !== undefined) invalidArgument('a new database needs a password or a key, not a recovery key');
  return importPlaintextWith(storage, name, bytes, (pageSize) => Database.open({ storage, name, ...secret, ...(options.kdf ? { kdf: options.kdf } : {}), pageSize, create: true }), options);
}

/**
 * importPlaintext with the new encrypted database created by `create` (given the page size) once
 * the source passed its checks: a restore creates it with the original's keyslots. Whatever of
 * `name` exists after a failure is deleted (nothing of it existed before).
 */
export async function importPlaintextWith(storage: SyncStorage, name: string, bytes: Uint8Array, create: (pageSize: number) => Promise<Database>, options: ImportOptions = {}): Promise<ImportResult> {
  const onProgress = checkProgress(options.onProgress);
  const pacer = new Pacer(checkSignal(options.signal), 'importPlaintext');
  if (!(bytes instanceof Uint8Array)) invalidArgument('bytes must be a Uint8Array');
  if (!storage || typeof storage.exists !== 'function') invalidArgument('storage must be a SyncStorage');
  if (typeof name !== 'string' || name.length === 0) invalidArgument('name must be a non-empty string');
  assertNoFilesOf(storage, name, 'importPlaintext');
  const release = claimNewName(storage, name);
  try {
    return await importChecked(storage, name, bytes, create, options, onProgress, pacer);
  } finally {
    release();
  }
}

async function importChecked(
  storage: SyncStorage,
  name: string,
  bytes: Uint8Array,
  create: (pageSize: number) => Promise<Database>,
  options: ImportOptions,
  onProgress: ImportOptions['onProgress'],
  pacer: Pacer,
): Promise<ImportResult> {
  for (const [what, side] of [
    ['wal', options.wal],
    ['journal', options.journal],
  ] as const) {
    if (side !== undefined && !(side instanceof Uint8Array)) invalidArgument(`options.${what} must be a Uint8Array`);
  }
  if (bytes.length < SQLITE_HEADER_SIZE || !startsWith(bytes, SQLITE_MAGIC)) {
    throw new CipherliteError('NOT_A_DATABASE', 'not a SQLite database file (no "SQLite format 3" header)');
  }
  pacer.check();
  const sqlite3 = await loadSqlite();
  if (hasSideFiles(options)) bytes = recoverPlainCopy(sqlite3, bytes, options);
  const raw = (bytes[SQLITE_HDR_PAGE_SIZE]! << 8) | bytes[SQLITE_HDR_PAGE_SIZE + 1]!;
  const pageSize = raw === 1 ? 65536 : raw;
  if (!isValidBlockSize(pageSize) || bytes.length % pageSize !== 0) {
    throw new CipherliteError('NOT_A_DATABASE', `not a valid SQLite database file (page size ${pageSize}, ${bytes.length} bytes)`);
  }
  pacer.check();
  const plain = openPlainCopy(sqlite3, bytes);
  let target: Database | null = null;
  let created = false;
  try {
    const check = plain.selectValues('PRAGMA integrity_check').map(String);
    if (check.length !== 1 || check[0] !== 'ok') throw new CipherliteError('CORRUPT', `the SQLite file failed integrity_check: ${check.slice(0, 3).join('; ')}`);
    pacer.check();
    // Set first: an open that fails after creating the file must not leave it behind. A BUSY
    // open created nothing: the file is another opener's (another process's import of the name).
    created = true;
    target = await create(pageSize).catch((e: unknown) => {
      if (e instanceof CipherliteError && e.code === 'BUSY') created = false;
      throw e;
    });
    pacer.check();
    // Counted in the plain source right after the last step: the new database's pages were
    // spilled from its small copy cache, and counting them would decrypt everything again.
    let tables: TableInfo[] = [];
    await internals(target).exclusive(() =>
      copyDatabase(
        sqlite3,
        { pointer: plain.pointer!, binding: null },
        { pointer: internals(target!).sqlite.db.pointer!, binding: internals(target!).binding, db: internals(target!).sqlite.db },
        { onPages: (done, total) => onProgress?.({ phase: 'copy', done, total }), pacer, destCacheKiB: COPY_DEST_CACHE_KIB, atEnd: () => void (tables = tableCounts(sqlite3, plain)) },
      ),
    );
    pacer.check();
    return { db: target, pageSize, tables };
  } catch (e) {
    if (target) await target.close().catch(() => undefined);
    // None of these existed before (checked above): whatever of them is there now is this import's.
    if (created) deleteCreatedFilesOf(storage, name);
    throw toCipherliteError(e, null);
  } finally {
    plain.close();
  }
}

/** Names an import or restore is creating, per storage (this realm): a second one of a name is BUSY. */
const creating = new WeakMap<SyncStorage, Set<string>>();

/**
 * Claims `name` of `storage` for an operation that creates it, until the returned function is
 * called: a concurrent second one (two imports of one name) is refused with BUSY instead of
 * racing it — the loser's clean-up used to delete the winner's new database.
 */
export function claimNewName(storage: SyncStorage, name: string): () => void {
  let names = creating.get(storage);
  if (!names) creating.set(storage, (names = new Set()));
  if (names.has(name)) throw new CipherliteError('BUSY', `"${name}" is being created by another import or restore`);
  names.add(name);
  return () => void names.delete(name);
}

/**
 * Refuses (INVALID_ARGUMENT) when any file of database `name` exists — a side file too, e.g. a
 * stray `~replace` or `~new` — so an operation that creates `name` refuses before anything is
 * created: a refused one leaves nothing behind and touches nothing that was there.
 */
export function assertNoFilesOf(storage: SyncStorage, name: string, operation: string): void {
  const existing = [name, `${name}-journal`, `${name}-wal`, replaceMarkerName(name), replaceSourceName(name)].filter((n) => storage.exists(n));
  if (existing.length > 0) {
    throw new CipherliteError('INVALID_ARGUMENT', `"${name}" already exists (${existing.join(', ')}); ${operation} only creates new databases`);
  }
}

/** Deletes what an operation that failed created of `name` (assertNoFilesOf held before it). */
export function deleteCreatedFilesOf(storage: SyncStorage, name: string): void {
  for (const n of [name, `${name}-journal`, `${name}-wal`]) if (storage.exists(n)) storage.delete(n);
}

/** A plain in-memory connection holding a copy of `bytes` (never touches cipherlite's VFS). */
function openPlainCopy(sqlite3: Sqlite3Static, bytes: Uint8Array): SqliteDb {
  const { capi, wasm } = sqlite3;
  // A real copy as a plain Uint8Array (Node's Buffer#slice would alias the caller's memory, and
  // sqlite-wasm's allocFromTypedArray wants exactly a Uint8Array).
  const copy = new Uint8Array(bytes);
  // A WAL-mode file (versions 2/2) cannot be deserialized; its content is the same in rollback mode.
  if (copy[SQLITE_HDR_WRITE_VERSION] === 2) copy[SQLITE_HDR_WRITE_VERSION] = 1;
  if (copy[SQLITE_HDR_READ_VERSION] === 2) copy[SQLITE_HDR_READ_VERSION] = 1;
  const db = new sqlite3.oo1.DB(':memory:');
  const p = wasm.allocFromTypedArray(copy);
  copy.fill(0);
  const rc = capi.sqlite3_deserialize(db.pointer!, 'main', p, bytes.length, bytes.length, capi.SQLITE_DESERIALIZE_FREEONCLOSE | capi.SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc !== 0) {
    db.close();
    throw new CipherliteError('NOT_A_DATABASE', `SQLite could not load the file (${capi.sqlite3_errstr(rc)})`);
  }
  try {
    db.selectValue('SELECT count(*) FROM sqlite_schema');
  } catch (e) {
    db.close();
    const rcOf = (e as { resultCode?: number }).resultCode ?? 0;
    throw new CipherliteError((rcOf & 0xff) === 26 ? 'NOT_A_DATABASE' : 'CORRUPT', `SQLite could not read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
  return db;
}
