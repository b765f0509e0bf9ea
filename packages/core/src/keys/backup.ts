/**
 * Backups and restore.
 *
 * backup: SQLite's online-backup API copies the live connection, a few pages per step, into a
 * fresh encrypted database in a scratch `MemoryStorage`. Between steps other callers may use the
 * database; writes made meanwhile through the same connection are carried into the copy by SQLite,
 * so the result is a consistent snapshot as of the last step. The backup is a complete cipherlite
 * file with its own file id and data key, under the secret you choose.
 *
 * restore is two steps, so a UI can ask first:
 *   1. `inspectBackup` validates the bytes *without touching the live database*: container format
 *      (NOT_A_DATABASE), key (WRONG_KEY), authentication of every block (CORRUPT, naming the
 *      block), size vs. SQLite's page count (a file cut at a block boundary), and
 *      `PRAGMA integrity_check`. It returns a comparison of tables and sizes;
 *   2. `confirm(current)` takes an automatic safety backup of the live database into its storage
 *      (`<name>.bak-<timestamp>`, encrypted under `current`), then copies the validated backup
 *      into the live connection with the backup API. That copy goes through the live database's
 *      rollback journal, so it is atomic: a crash leaves the old or the new content, never a mix.
 *      The pages are re-encrypted under the live database's keys with fresh nonces.
 */
import type { Database as SqliteDb } from '@sqlite.org/sqlite-wasm';
import { internals } from '../database/internals.js';
import { Database, openWithInternalOptions } from '../database/database.js';
import { CipherliteError, invalidArgument } from '../errors.js';
import { startsWith } from '../format/bytes.js';
import { FORMAT_VERSION, MAIN_HEADER_SIZE, SQLITE_MAGIC } from '../format/constants.js';
import { MemoryStorage } from '../storage/memory.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { KdfParams, KeyMaterial } from '../types.js';
import {
  checkProgress,
  copyDatabase,
  COPY_DEST_CACHE_KIB,
  creationFor,
  kdfFor,
  proveKey,
  type Proof,
  scratchName,
  storedSize,
  summaryOf,
  tableCounts,
  verifyBlocks,
  withReadProgress,
} from './_shared.js';
import { checkSignal, Pacer } from './cancel.js';
import type { BackupResult, DatabaseSummary, NewSecret, ProgressCallback, RestoreComparison, RestoreResult, TableComparison, TableInfo } from './types.js';

/** Pages copied per step of an online backup (the database is usable between steps). */
const ONLINE_PAGES_PER_STEP = 64;

export interface BackupOptions {
  /** Encrypt the backup under this secret instead of `current`. */
  secret?: NewSecret;
  /** Argon2id parameters for a password (default: those of the slot `current` opens). */
  kdf?: Partial<KdfParams>;
  /**
   * `copy`: pages copied into the snapshot; `count`: pages read to count the rows for `meta`
   * (pages still in the page cache are not read, so it may jump to its end).
   */
  onProgress?: ProgressCallback<'copy' | 'count'>;
  /** Cancels the backup (CANCELLED) at any point before it returns; no partial backup is kept. */
  signal?: AbortSignal;
}

/**
 * A consistent encrypted snapshot of `db` as bytes (e.g. to download or upload). `current`
 * must open `db` (WRONG_KEY otherwise); the backup is encrypted under `options.secret` or, by
 * default, under `current` (re-derived with a new salt: the backup shares no key with `db`).
 */
export async function backup(db: Database, current: KeyMaterial, options: BackupOptions = {}): Promise<BackupResult> {
  internals(db).requireRollbackJournal('backup');
  const onProgress = checkProgress(options.onProgress);
  const pacer = new Pacer(checkSignal(options.signal), 'backup');
  pacer.check();
  const proof = await proveKey(db, current);
  const material = (options.secret ?? current) as KeyMaterial;
  const storage = new MemoryStorage();
  const name = scratchName('backup');
  const tables = await snapshotInto(db, storage, name, material, kdfFor(options.kdf, proof.slot), {
    journalMode: 'MEMORY',
    onPages: (done, total) => onProgress?.({ phase: 'copy', done, total }),
    onCount: (done, total) => onProgress?.({ phase: 'count', done, total }),
    count: true,
    pacer,
    proof,
  });
  const bytes = storage.files.get(name)!.bytes();
  storage.delete(name);
  if (pacer.cancelled) {
    bytes.fill(0);
    pacer.check();
  }
  return {
    bytes,
    meta: { sizeBytes: bytes.length, createdAt: Date.now(), pageSize: internals(db).container.blockSize, formatVersion: FORMAT_VERSION, tables },
  };
}

/**
 * Online backup of `db` into a new encrypted database `name` of `storage`; returns its table
 * counts when `count` is set. They are taken from `db` in the queue slot of the copy's last
 * step, so they describe exactly the copied content; counting the copy instead would decrypt all
 * of it again (its page cache is kept small during the copy, see COPY_DEST_CACHE_KIB).
 */
async function snapshotInto(
  db: Database,
  storage: SyncStorage,
  name: string,
  material: KeyMaterial,
  kdf: KdfParams,
  o: { journalMode: 'MEMORY' | 'DELETE'; onPages?: (done: number, total: number) => void; onCount?: (done: number, total: number) => void; count?: boolean; pacer: Pacer; proof: Proof },
): Promise<TableInfo[]> {
  o.pacer.check();
  const out = await openWithInternalOptions(
    {
      storage,
      name,
      ...material,
      kdf,
      pageSize: internals(db).container.blockSize,
      create: true,
      journalMode: o.journalMode,
      synchronous: o.journalMode === 'MEMORY' ? 'OFF' : 'FULL',
    },
    creationFor(material, o.proof),
  );
  let ok = false;
  try {
    const { sqlite3, db: src } = internals(db).sqlite;
    let tables: TableInfo[] = [];
    await copyDatabase(
      sqlite3,
      { pointer: src.pointer as number, binding: internals(db).binding },
      { pointer: internals(out).sqlite.db.pointer as number, binding: internals(out).binding, db: internals(out).sqlite.db },
      {
        pagesPerStep: ONLINE_PAGES_PER_STEP,
        step: (fn) => internals(db).exclusive(fn),
        pacer: o.pacer,
        destCacheKiB: COPY_DEST_CACHE_KIB,
        ...(o.onPages ? { onPages: o.onPages } : {}),
        // Counting a large table reads all of it (one long SQLite call): report the reads.
        ...(o.count ? { atEnd: () => void (tables = withReadProgress(db, pageCountOf(src), o.onCount, () => tableCounts(sqlite3, src))) } : {}),
      },
    );
    o.pacer.check();
    ok = true;
    return tables;
  } finally {
    await out.close();
    if (!ok) for (const n of [name, `${name}-journal`]) if (storage.exists(n)) storage.delete(n);
  }
}

export interface InspectOptions {
  /** `verify`: blocks of the backup authenticated; `check`: 0/1 while integrity_check runs. */
  onProgress?: ProgressCallback<'verify' | 'check'>;
  /** Cancels the validation (CANCELLED); nothing is kept of the backup. */
  signal?: AbortSignal;
}

export interface ConfirmOptions {
  /** `safety-backup`: pages copied into `<name>.bak-…`; `restore`: pages copied into the live database. */
  onProgress?: ProgressCallback<'safety-backup' | 'restore'>;
  /** After a successful restore, keep only this many `.bak-*` files (default: keep all). */
  keepBackups?: number;
  /**
   * Cancels the restore (CANCELLED) until it starts overwriting, i.e. during the
   * `safety-backup` phase: the safety backup taken so far is deleted, the live database is
   * untouched and the restore stays pending. Once the `restore` phase began the signal is ignored
   * (the copy is one transaction that runs to its end).
   */
  signal?: AbortSignal;
}

/**
 * A validated backup, ready to replace the live content. Holds the backup open in memory until
 * `confirm` or `cancel` (call one of them; both are idempotent once settled).
 */
export class PendingRestore {
  readonly comparison: RestoreComparison;
  readonly #db: Database;
  #backup: Database | null;
  #busy = false;

  /** @internal use inspectBackup() */
  constructor(db: Database, backupDb: Database, comparison: RestoreComparison) {
    this.#db = db;
    this.#backup = backupDb;
    this.comparison = comparison;
  }

  /** True once confirmed or cancelled. */
  get settled(): boolean {
    return this.#backup === null;
  }

  /**
   * Replaces the live content with the backup. `current` must open the live database
   * (WRONG_KEY otherwise, and this restore stays pending); the safety backup is encrypted under it.
   */
  async confirm(current: KeyMaterial, options: ConfirmOptions = {}): Promise<RestoreResult> {
    const onProgress = checkProgress(options.onProgress);
    const pacer = new Pacer(checkSignal(options.signal), 'restore');
    if (options.keepBackups !== undefined && (!Number.isInteger(options.keepBackups) || options.keepBackups < 1)) {
      invalidArgument('keepBackups must be an integer ≥ 1');
    }
    const source = this.#backup;
    if (!source) throw new CipherliteError('INVALID_ARGUMENT', 'this restore was already confirmed or cancelled');
    if (this.#busy) throw new CipherliteError('BUSY', 'this restore is already being confirmed');
    pacer.check();
    this.#busy = true;
    try {
      const db = this.#db;
      const proof = await proveKey(db, current);
      const safetyBackup = await freeBackupName(db.storage, db.name);
      await snapshotInto(db, db.storage, safetyBackup, current, kdfFor(undefined, proof.slot), {
        journalMode: 'DELETE',
        onPages: (done, total) => onProgress?.({ phase: 'safety-backup', done, total }),
        pacer,
        proof,
      });
      if (pacer.cancelled) {
        // The last moment to cancel; nothing of this call may stay behind.
        for (const n of [safetyBackup, `${safetyBackup}-journal`]) if (db.storage.exists(n)) db.storage.delete(n);
        pacer.check();
      }
      const { sqlite3, db: live } = internals(db).sqlite;
      // One queue slot for the whole copy: it is one write transaction of the live database.
      const restored = await internals(db).exclusive(async () => {
        await copyDatabase(
          sqlite3,
          { pointer: internals(source).sqlite.db.pointer as number, binding: internals(source).binding },
          { pointer: live.pointer as number, binding: internals(db).binding },
          { onPages: (done, total) => onProgress?.({ phase: 'restore', done, total }) },
        );
        return summaryOf(sqlite3, live);
      });
      // The backup API copies pages below SQLite's authorizer: tell the change listeners (live
      // queries, other tabs) about every table either side holds.
      internals(db).notifyChanged(this.comparison.tables.map((t) => t.name));
      await this.cancel();
      if (options.keepBackups !== undefined) await pruneBackups(db.storage, db.name, options.keepBackups);
      return { safetyBackup, restored };
    } finally {
      this.#busy = false;
    }
  }

  /** Drops the validated backup (wiping its keys). */
  async cancel(): Promise<void> {
    const b = this.#backup;
    this.#backup = null;
    if (b) await b.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cancel();
  }
}

/**
 * Validates `bytes` as a backup for `db` and compares it with the live content. Touches nothing
 * of the live database. Throws NOT_A_DATABASE (not a cipherlite file, or a plain SQLite file),
 * WRONG_KEY (`secret` opens no slot), CORRUPT (a block fails authentication, the file is
 * truncated, or integrity_check fails), INVALID_ARGUMENT (different page size).
 */
export async function inspectBackup(db: Database, bytes: Uint8Array, secret: KeyMaterial, options: InspectOptions = {}): Promise<PendingRestore> {
  internals(db).requireRollbackJournal('restore');
  const onProgress = checkProgress(options.onProgress);
  const pacer = new Pacer(checkSignal(options.signal), 'restore');
  if (!(bytes instanceof Uint8Array)) invalidArgument('backup bytes must be a Uint8Array');
  pacer.check();
  if (startsWith(bytes, SQLITE_MAGIC)) {
    throw new CipherliteError('NOT_A_DATABASE', 'this is a plain (unencrypted) SQLite file, not a cipherlite backup; use importPlaintext to encrypt it');
  }
  if (bytes.length < MAIN_HEADER_SIZE) throw new CipherliteError('NOT_A_DATABASE', `too short to be a cipherlite backup (${bytes.length} bytes)`);
  const name = scratchName('restore');
  // Copied (as a plain Uint8Array: Buffer#slice would alias): opening may repair the header.
  const scratch = MemoryStorage.from(new Map([[name, new Uint8Array(bytes)]]));
  const b = await Database.open({ storage: scratch, name, ...secret, create: false, journalMode: 'MEMORY', synchronous: 'OFF' });
  try {
    const livePageSize = internals(db).container.blockSize;
    if (internals(b).container.blockSize !== livePageSize) {
      invalidArgument(`the backup's page size (${internals(b).container.blockSize}) differs from this database's (${livePageSize}); restore it into a new database instead`);
    }
    const backupSummary = await internals(b).exclusive(async () => {
      const main = internals(b).binding.main;
      const failed = await verifyBlocks(main, (done, total) => onProgress?.({ phase: 'verify', done, total }), pacer);
      pacer.check();
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new CipherliteError('CORRUPT', `backup: ${failed.length} block(s) failed authentication, first page ${first + 1}`, { fileKind: 'main', block: first, page: first + 1 });
      }
      onProgress?.({ phase: 'check', done: 0, total: 1 });
      // A header without pages is what a backup cut right after its header looks like: refuse it
      // (restoring it would empty the live database).
      if (main.physicalBlocks === 0) throw new CipherliteError('CORRUPT', 'backup: the file holds no pages (truncated?)', { fileKind: 'main' });
      const { sqlite3, db: conn } = internals(b).sqlite;
      const pageSize = Number(conn.selectValue('PRAGMA page_size'));
      const pageCount = Number(conn.selectValue('PRAGMA page_count'));
      if (pageSize !== main.blockSize) {
        throw new CipherliteError('CORRUPT', `backup: SQLite page size ${pageSize} differs from the container's block size ${main.blockSize}`, { fileKind: 'main' });
      }
      if (pageCount * pageSize !== main.size) {
        throw new CipherliteError('CORRUPT', `backup: SQLite expects ${pageCount} pages but the file holds ${main.size / pageSize} (truncated or extended)`, { fileKind: 'main' });
      }
      const integrity = internals(b).call(() => conn.selectValues('PRAGMA integrity_check').map(String));
      if (integrity.length !== 1 || integrity[0] !== 'ok') {
        throw new CipherliteError('CORRUPT', `backup: integrity_check failed: ${integrity.slice(0, 3).join('; ')}`, { fileKind: 'main' });
      }
      onProgress?.({ phase: 'check', done: 1, total: 1 });
      return summaryOf(sqlite3, conn);
    });
    const currentSummary = await internals(db).exclusive(() => summaryOf(internals(db).sqlite.sqlite3, internals(db).sqlite.db));
    return new PendingRestore(db, b, { current: currentSummary, backup: backupSummary, tables: compareTables(currentSummary, backupSummary) });
  } catch (e) {
    await b.close().catch(() => undefined);
    throw e;
  }
}

/**
 * One call: validate (as `inspectBackup`), then restore (as `confirm`). Prefer the two-step form
 * when a person should see the comparison first.
 */
export async function restore(
  db: Database,
  current: KeyMaterial,
  bytes: Uint8Array,
  backupSecret: KeyMaterial,
  options: { onProgress?: ProgressCallback<'verify' | 'check' | 'safety-backup' | 'restore'>; keepBackups?: number; signal?: AbortSignal } = {},
): Promise<RestoreResult & { comparison: RestoreComparison }> {
  const common = { ...(options.onProgress ? { onProgress: options.onProgress } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) };
  const pending = await inspectBackup(db, bytes, backupSecret, common);
  try {
    const result = await pending.confirm(current, {
      ...common,
      ...(options.keepBackups !== undefined ? { keepBackups: options.keepBackups } : {}),
    });
    return { ...result, comparison: pending.comparison };
  } finally {
    await pending.cancel();
  }
}

function pageCountOf(conn: SqliteDb): number {
  return Number(conn.selectValue('PRAGMA page_count'));
}

function compareTables(current: DatabaseSummary, backup: DatabaseSummary): TableComparison[] {
  const names = [...new Set([...current.tables.map((t) => t.name), ...backup.tables.map((t) => t.name)])].sort();
  return names.map((name) => ({
    name,
    currentRows: current.tables.find((t) => t.name === name)?.rows ?? null,
    backupRows: backup.tables.find((t) => t.name === name)?.rows ?? null,
  }));
}

// ---------------------------------------------------------------- backup history

const BAK_INFIX = '.bak-';
/** `2026-08-01T12-30-05-123Z`: an ISO timestamp with file-name-safe separators; sorts by time. */
const STAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z(?:-(\d+))?$/;

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

async function freeBackupName(storage: SyncStorage, name: string): Promise<string> {
  const base = `${name}${BAK_INFIX}${stamp(Date.now())}`;
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? base : `${base}-${i + 1}`;
    if (!storage.exists(candidate) && !storage.exists(`${candidate}-journal`)) return candidate;
  }
}

export interface BackupFile {
  /** File name within the storage (open it with `Database.open({ storage, name, … })`). */
  name: string;
  createdAt: number;
  sizeBytes: number;
  /**
   * True when a journal sits next to it: the backup was interrupted (a crash while it was being
   * written). Opening it rolls the interrupted copy back, leaving an empty database.
   */
  incomplete: boolean;
}

/** Automatic backups of `name` in `storage` (`<name>.bak-<timestamp>`), newest first. */
export async function listBackups(storage: SyncStorage, name: string): Promise<BackupFile[]> {
  const prefix = name + BAK_INFIX;
  const out: BackupFile[] = [];
  for (const file of storage.list()) {
    if (!file.startsWith(prefix)) continue;
    const m = STAMP.exec(file.slice(prefix.length));
    if (!m) continue;
    const createdAt = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
    const journal = await storedSize(storage, `${file}-journal`);
    out.push({ name: file, createdAt, sizeBytes: await storedSize(storage, file), incomplete: journal > 0 });
  }
  return out.sort((a, b) => b.createdAt - a.createdAt || (a.name < b.name ? 1 : -1));
}

/** Deletes all but the newest `keep` automatic backups of `name`; returns the deleted names. */
export async function pruneBackups(storage: SyncStorage, name: string, keep = 5): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 0) invalidArgument('keep must be a non-negative integer');
  const doomed = (await listBackups(storage, name)).slice(keep).map((b) => b.name);
  for (const n of doomed) {
    storage.delete(n);
    if (storage.exists(`${n}-journal`)) storage.delete(`${n}-journal`);
  }
  return doomed;
}
