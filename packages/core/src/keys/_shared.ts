/**
 * Internals shared by the key-management and portability functions: proving a secret, the
 * SQLite online-backup loop, table summaries. Nothing here is exported from the package.
 *
 * The backup loop is the one primitive behind rekey, backup, restore and plaintext import: SQLite's
 * online-backup API (sqlite3_backup_*) copies pages from one connection to another *through both
 * VFSes*, so the source is decrypted and the destination encrypted under its own keys with fresh
 * nonces, and a destination with a rollback journal receives the copy as one atomic transaction.
 */
import { internals } from '../database/internals.js';
import type { Database } from '../database/database.js';
import type { InternalOpenOptions } from '../database/open-options.js';
import type { Database as SqliteDb, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { SQLITE_RESULT, toCipherliteError } from '../sqlite/errors.js';
import { DEFAULT_KDF } from '../crypto/kdf.js';
import { openKeyslots, secretFromMaterial, type SlotSecret, wipeKekCache } from '../container/keyslots.js';
import { randomBytes } from '../crypto/random.js';
import { hex } from '../format/bytes.js';
import { constantTimeEqual, wipe } from '../crypto/wipe.js';
import { CipherliteError, invalidArgument } from '../errors.js';
import type { Keyslot } from '../format/main-header.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { KdfParams, KeyMaterial } from '../types.js';
import type { DatabaseBinding } from '../vfs/sqlite-vfs.js';
import type { Pacer } from './cancel.js';
import type { EncryptedFile } from '../vfs/encrypted-file.js';
import type { DatabaseSummary, KeyslotInfo, NewSecret, TableInfo } from './types.js';

const { OK: SQLITE_OK, BUSY: SQLITE_BUSY, LOCKED: SQLITE_LOCKED, DONE: SQLITE_DONE } = SQLITE_RESULT;

export interface Proof {
  /** Index of the slot the secret opened. */
  index: number;
  /** That slot, by identity: a later header change replaces it (see `assertSlotUnchanged`). */
  slot: Keyslot;
}

/**
 * Proves that `material` opens a keyslot of `db` (one KDF run) and that the slot holds the data
 * key this session uses. Throws WRONG_KEY otherwise. Writes nothing.
 */
export async function proveKey(db: Database, material: KeyMaterial): Promise<Proof> {
  const container = internals(db).container;
  const slots = container.header.keyslots;
  const secret = secretFromMaterial(material);
  const cache = new Map<string, Uint8Array>();
  try {
    const opened = await openKeyslots(slots, container.fileId, secret, cache, { tryFirst: container.openedSlot });
    if (!opened) throw new CipherliteError('WRONG_KEY', 'wrong password or key');
    const same = constantTimeEqual(opened.dek, internals(db).container.dek);
    wipe(opened.dek);
    if (!same) throw new CipherliteError('CORRUPT', 'a keyslot holds a different data key than the open database', { fileKind: 'main' });
    return { index: opened.index, slot: slots[opened.index]! };
  } finally {
    wipeKekCache(cache);
    wipe(secret.bytes);
  }
}

/**
 * The options that create a copy keyed by `material` (rekey's new file, a backup): none for a
 * password, key or recovery key; for the passkey `proof` opened, that slot's salt, credential id
 * and label — its PRF output was made for that salt, so only that slot can be made from it.
 */
export function creationFor(material: KeyMaterial, proof: Proof): InternalOpenOptions {
  const passkey = proof.slot.passkey;
  if (material.passkey === undefined || !passkey) return {};
  return { passkeySlot: { salt: proof.slot.salt, credentialId: passkey.credentialId, label: passkey.label } };
}

/** Throws BUSY if the proven slot was replaced or removed meanwhile (two key changes raced). */
export function assertSlotUnchanged(db: Database, proof: Proof): readonly Keyslot[] {
  const slots = internals(db).container.header.keyslots;
  if (slots[proof.index] !== proof.slot) {
    throw new CipherliteError('BUSY', 'the keyslots changed while this operation was running; retry it');
  }
  return slots;
}

/** Validates a secret for a new slot and normalizes it (the caller wipes `.bytes`). */
export function newSecretFrom(next: NewSecret, what: string): SlotSecret {
  if (next === null || typeof next !== 'object') invalidArgument(`${what} must be { password } or { key }`);
  if ((next as { recoveryKey?: unknown }).recoveryKey !== undefined) {
    invalidArgument(`${what} cannot be a recovery key; add one with addRecoveryKey()`);
  }
  return secretFromMaterial(next);
}

/** Argon2id parameters for a new password slot: explicit ones, else the proven slot's, else the default. */
export function kdfFor(explicit: Partial<KdfParams> | undefined, proven: Keyslot | null): KdfParams {
  const base = proven?.kdf ?? DEFAULT_KDF;
  return { ...base, ...(explicit ?? {}) };
}

export function keyslotInfo(slot: Keyslot, index: number): KeyslotInfo {
  const info: KeyslotInfo = { index, kind: slot.kind, createdAt: slot.createdAt };
  if (slot.kdf) info.kdf = { algorithm: 'argon2id', ...slot.kdf };
  if (slot.passkey) {
    info.label = slot.passkey.label;
    info.credentialId = base64url(slot.passkey.credentialId);
  }
  return info;
}

/** A process-unique scratch name (the VFS registers databases by name). */
export function scratchName(purpose: string): string {
  return `cipherlite-${purpose}-${hex(randomBytes(8))}`;
}

/** RFC 4648 §5 base64url without padding: how WebAuthn spells credential ids. */
export function base64url(b: Uint8Array): string {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Size of a stored file, or 0 if it does not exist. Opens and closes its own handle. */
export async function storedSize(storage: SyncStorage, name: string): Promise<number> {
  if (!storage.exists(name)) return 0;
  await storage.prepare?.([name]);
  const f = storage.open(name, { create: false });
  try {
    return f.getSize();
  } finally {
    f.close();
  }
}

/** Blocks authenticated between two progress reports (and pacing points) of `verifyBlocks`. */
const VERIFY_SLICE = 256;

/**
 * Authenticates every block of `file` in slices of VERIFY_SLICE, reporting blocks done/total
 * after each slice and pacing (CANCELLED, event-loop yields) between slices. Returns the failing
 * block indexes.
 */
export async function verifyBlocks(file: EncryptedFile, onProgress: (done: number, total: number) => void, pacer: Pacer, skip?: Uint8Array): Promise<number[]> {
  const failed: number[] = [];
  const total = file.physicalBlocks;
  for (let from = 0; from < total; from += VERIFY_SLICE) {
    await pacer.tick();
    const to = Math.min(total, from + VERIFY_SLICE);
    file.verifyBlocks(from, to, failed, skip);
    onProgress(to, total);
  }
  return failed;
}

/** Newly read pages between two progress reports of `withReadProgress`. */
const READS_PER_REPORT = 64;
/** ... or this much time, whichever comes first. */
const REPORT_EVERY_MS = 50;

/**
 * Runs `fn`, one long synchronous SQLite call on `db` (integrity_check, quick_check, counting
 * rows), reporting progress as distinct pages read from storage out of `total`: 0 first, then
 * every READS_PER_REPORT new pages, and `total` at the end. Pages still in the page cache are not
 * read (the count may jump at the end); pages read twice count once, so the count does not run
 * ahead of the work.
 */
export function withReadProgress<R>(db: Database, total: number, report: ((done: number, total: number) => void) | undefined, fn: () => R): R {
  if (!report) return fn();
  const binding = internals(db).binding;
  const pageSize = internals(db).container.blockSize;
  const seen = new Uint8Array(total + 1);
  let done = 0;
  report(0, total);
  let lastReport = performance.now();
  binding.onMainRead = (offset) => {
    const page = Math.floor(offset / pageSize);
    const fresh = page < seen.length && !seen[page];
    if (fresh) seen[page] = 1;
    // Also when only pages already counted are read again for a while: the call is still busy.
    if ((fresh && ++done % READS_PER_REPORT === 0) || performance.now() - lastReport >= REPORT_EVERY_MS) {
      lastReport = performance.now();
      report(Math.min(done, total), total);
    }
  };
  let result: R;
  try {
    result = fn();
  } finally {
    binding.onMainRead = null;
  }
  report(total, total);
  return result;
}

export function checkProgress<T>(cb: T | undefined): T | undefined {
  if (cb !== undefined && typeof cb !== 'function') invalidArgument('onProgress must be a function');
  return cb;
}

/** Quotes an SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** User tables (ordinary and virtual-table shadow tables alike, no `sqlite_*`), sorted by name. */
export function userTables(sqlite3: Sqlite3Static, db: SqliteDb): string[] {
  const names: string[] = [];
  db.exec({
    sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    rowMode: 'array',
    callback: (row: unknown[]) => void names.push(String(row[0])),
  });
  void sqlite3;
  return names;
}

/** Row counts of every user table of a raw oo1 connection. */
export function tableCounts(sqlite3: Sqlite3Static, db: SqliteDb, onTable?: (done: number, total: number) => void): TableInfo[] {
  const names = userTables(sqlite3, db);
  return names.map((name, i) => {
    const rows = Number(db.selectValue(`SELECT count(*) FROM ${ident(name)}`));
    onTable?.(i + 1, names.length);
    return { name, rows };
  });
}

export function summaryOf(sqlite3: Sqlite3Static, db: SqliteDb): DatabaseSummary {
  const pageSize = Number(db.selectValue('PRAGMA page_size'));
  const pageCount = Number(db.selectValue('PRAGMA page_count'));
  return { sizeBytes: pageSize * pageCount, pageSize, pageCount, tables: tableCounts(sqlite3, db) };
}

/**
 * Pages per step of a copy that holds the queue throughout (rekey, export, import, restore). A
 * step is one synchronous SQLite call: at ~0.3 ms per 4 KiB page (decrypt + encrypt + write) 128
 * pages keep a step near 40 ms, so progress and an abort get a turn well within 250 ms even on a
 * loaded machine; the per-step overhead of sqlite3_backup_step is negligible at this size.
 */
const PAGES_PER_STEP = 128;

export interface BackupSide {
  /** sqlite3* of the connection. */
  pointer: number;
  /** For error attribution: the cipherlite binding whose VFS may have recorded a cause. */
  binding: DatabaseBinding | null;
  /** The oo1 connection (needed for `destCacheKiB`). */
  db?: SqliteDb;
}

/**
 * Page cache of a *new* destination during a copy. The backup API writes pages into the
 * destination's page cache, and with the default large cache every page is encrypted and written
 * only at the commit of the last step: for a 30 MB database that last step took ~0.8 s (a long
 * silence for a progress bar, and no abort point). A small cache makes SQLite spill dirty pages as
 * the copy goes; a new database has nothing to journal for pages beyond its old size, so a spill
 * costs no extra journal writes.
 */
export const COPY_DEST_CACHE_KIB = 2048;

/**
 * Copies the whole `main` database of `src` into `dest` with sqlite3_backup_*, `pagesPerStep` at a
 * time, reporting pages done/total after each step. `between` runs between steps (an async
 * yield, so other callers can use the source meanwhile — SQLite keeps the copy current when the
 * same connection writes to the source). Throws a CipherliteError (the VFS's recorded cause wins).
 */
export async function copyDatabase(
  sqlite3: Sqlite3Static,
  src: BackupSide,
  dest: BackupSide,
  o: {
    pagesPerStep?: number;
    onPages?: (done: number, total: number) => void;
    step?: <R>(fn: () => R) => Promise<R>;
    /** Checked (CANCELLED) and paced between steps; a cancelled copy is rolled back in `dest`. */
    pacer?: Pacer;
    /** Limit `dest`'s page cache to this many KiB during the copy (see COPY_DEST_CACHE_KIB); needs `dest.db`. */
    destCacheKiB?: number;
    /** Runs right after the last step, in the same `step` call: it sees the source exactly as copied. */
    atEnd?: () => void;
    /**
     * Flush `dest`'s main file to storage after each step. For a destination opened with
     * `synchronous: 'OFF'` that is closed right after the copy: closing flushes whatever is not
     * yet durable in one call, which for a large file is a long pause (~0.2–0.3 s for 40 MB in
     * OPFS); flushing as the copy goes spreads that cost over the steps.
     */
    flushDestEachStep?: boolean;
  } = {},
): Promise<number> {
  const capi = sqlite3.capi;
  const fail = (rc: number, ptr: number): CipherliteError => {
    const err = Object.assign(new Error(`backup failed: ${capi.sqlite3_errstr(rc)} (${capi.sqlite3_errmsg(ptr) ?? ''})`), { resultCode: rc });
    const cause = src.binding?.lastError ? src.binding : dest.binding;
    const e = toCipherliteError(err, cause ?? null);
    if (src.binding) src.binding.lastError = null;
    if (dest.binding) dest.binding.lastError = null;
    return e;
  };
  if (src.binding) src.binding.lastError = null;
  if (dest.binding) dest.binding.lastError = null;
  o.pacer?.check();
  let cacheBefore: number | null = null;
  if (o.destCacheKiB !== undefined && dest.db) {
    cacheBefore = Number(dest.db.selectValue('PRAGMA cache_size'));
    dest.db.exec(`PRAGMA cache_size = -${o.destCacheKiB}`);
  }
  const p = capi.sqlite3_backup_init(dest.pointer, 'main', src.pointer, 'main');
  if (!p) {
    if (cacheBefore !== null) dest.db?.exec(`PRAGMA cache_size = ${cacheBefore}`);
    throw fail(capi.sqlite3_errcode(dest.pointer), dest.pointer);
  }
  const run = o.step ?? (<R>(fn: () => R) => Promise.resolve(fn()));
  const perStep = Math.max(1, o.pagesPerStep ?? PAGES_PER_STEP);
  let finished = false;
  let pages = 0;
  try {
    let busyRetries = 0;
    for (;;) {
      const { rc, total, remaining } = await run(() => {
        const rc = capi.sqlite3_backup_step(p, perStep);
        if (rc === SQLITE_DONE) o.atEnd?.();
        return { rc, total: capi.sqlite3_backup_pagecount(p), remaining: capi.sqlite3_backup_remaining(p) };
      });
      pages = total;
      if (rc === SQLITE_OK || rc === SQLITE_DONE) o.onPages?.(total - remaining, total);
      if (rc === SQLITE_DONE) break;
      if (rc === SQLITE_OK) {
        if (o.flushDestEachStep) dest.binding?.main.file.flush();
        await o.pacer?.tick();
        continue;
      }
      if ((rc === SQLITE_BUSY || rc === SQLITE_LOCKED) && busyRetries++ < 3) continue;
      finished = true;
      capi.sqlite3_backup_finish(p);
      throw fail(rc, dest.pointer);
    }
    finished = true;
    const rc = capi.sqlite3_backup_finish(p);
    if (rc !== SQLITE_OK) throw fail(rc, dest.pointer);
    return pages;
  } finally {
    // An unfinished backup (error, or CANCELLED between steps) rolls the destination's transaction back.
    if (!finished) capi.sqlite3_backup_finish(p);
    if (cacheBefore !== null) dest.db?.exec(`PRAGMA cache_size = ${cacheBefore}`);
  }
}
