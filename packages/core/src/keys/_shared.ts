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
    const opened = await openKeyslots(slots, container.fileId, secret, cache);
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

export interface BackupSide {
  /** sqlite3* of the connection. */
  pointer: number;
  /** For error attribution: the cipherlite binding whose VFS may have recorded a cause. */
  binding: DatabaseBinding | null;
}

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
  o: { pagesPerStep?: number; onPages?: (done: number, total: number) => void; step?: <R>(fn: () => R) => Promise<R> } = {},
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
  const p = capi.sqlite3_backup_init(dest.pointer, 'main', src.pointer, 'main');
  if (!p) throw fail(capi.sqlite3_errcode(dest.pointer), dest.pointer);
  const run = o.step ?? (<R>(fn: () => R) => Promise.resolve(fn()));
  const perStep = Math.max(1, o.pagesPerStep ?? 256);
  let finished = false;
  let pages = 0;
  try {
    let busyRetries = 0;
    for (;;) {
      const { rc, total, remaining } = await run(() => {
        const rc = capi.sqlite3_backup_step(p, perStep);
        return { rc, total: capi.sqlite3_backup_pagecount(p), remaining: capi.sqlite3_backup_remaining(p) };
      });
      pages = total;
      if (rc === SQLITE_OK || rc === SQLITE_DONE) o.onPages?.(total - remaining, total);
      if (rc === SQLITE_DONE) break;
      if (rc === SQLITE_OK) continue;
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
    if (!finished) capi.sqlite3_backup_finish(p);
  }
}
