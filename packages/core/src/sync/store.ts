/**
 * Sync's own bookkeeping, kept in the database it syncs so it commits and rolls back with the
 * data: `_cipherlite_sync_state` (device id, agreed log position, next transaction number,
 * schema version, this device's signing key pair), `_cipherlite_sync_devices` (the devices the
 * log registered and removed) and `_cipherlite_sync_pending` (local transactions not yet in the log, each
 * with the changeset as recorded and the changes its last application actually made). All are
 * excluded from capture and from the synced tables.
 */
import type { Database as SqliteDb } from '@sqlite.org/sqlite-wasm';
import type { DatabaseInternals } from '../database/internals.js';
import { CipherliteError } from '../errors.js';
import type { SqlValue } from '../types.js';

export const INTERNAL_PREFIX = '_cipherlite_sync_';
export const STATE_TABLE = `${INTERNAL_PREFIX}state`;
export const PENDING_TABLE = `${INTERNAL_PREFIX}pending`;
/** The devices the log registered or removed (sync/devices.ts). */
export const DEVICES_TABLE = `${INTERNAL_PREFIX}devices`;

/** The library's own tables: sync's bookkeeping, and others' such as the worker's request log (`_cipherlite_requests`). */
const LIBRARY_PREFIX = '_cipherlite_';

/** True for tables sync never captures nor syncs: SQLite's own and the library's bookkeeping (per device). */
export function isInternalTable(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith(LIBRARY_PREFIX);
}

export function quoteId(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Synchronous SQL on the raw connection, failures translated (use inside `exclusive`). */
export class Sql {
  readonly #internals: DatabaseInternals;

  constructor(internals: DatabaseInternals) {
    this.#internals = internals;
  }

  get #db(): SqliteDb {
    return this.#internals.sqlite.db;
  }

  run(sql: string, bind: readonly SqlValue[] = []): void {
    this.#internals.call(() => this.#db.exec(bind.length ? { sql, bind: [...bind] } : { sql }));
  }

  /** Runs several statements (no parameters). */
  script(sql: string): void {
    this.#internals.call(() => this.#db.exec(sql));
  }

  rows(sql: string, bind: readonly SqlValue[] = []): SqlValue[][] {
    const rows: SqlValue[][] = [];
    this.#internals.call(() => this.#db.exec({ sql, ...(bind.length ? { bind: [...bind] } : {}), rowMode: 'array', resultRows: rows }));
    return rows;
  }

  value(sql: string, bind: readonly SqlValue[] = []): SqlValue | undefined {
    return this.rows(sql, bind)[0]?.[0];
  }

  /** Runs `fn` in BEGIN IMMEDIATE … COMMIT; any throw rolls everything back. */
  transaction<R>(fn: () => R): R {
    this.run('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.run('COMMIT');
      return r;
    } catch (e) {
      const { sqlite3, db } = this.#internals.sqlite;
      if (sqlite3.capi.sqlite3_get_autocommit(db.pointer!) === 0) {
        try {
          this.run('ROLLBACK');
        } catch {
          // SQLite may have rolled back already (I/O error); the original error is what matters.
        }
      }
      throw e;
    }
  }
}

export interface PendingTx {
  readonly tx: number;
  /** The changeset as recorded locally: what goes into the log. */
  readonly changeset: Uint8Array;
  /** What its latest application changed (its inverse undoes it exactly). */
  readonly applied: Uint8Array;
}

export interface SyncState {
  readonly device: string;
  readonly seq: number;
  readonly nextTx: number;
  readonly schemaVersion: number;
  /** The position of the first accepted device entry (null: none yet; docs/SYNC.md "Device identity and removal"). */
  readonly signedFrom: number | null;
  /** The synced tables: the user tables when sync was enabled, plus those schema entries created. */
  readonly tables: readonly string[];
}

export function createTables(sql: Sql): void {
  sql.run(`CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (key TEXT PRIMARY KEY, value) WITHOUT ROWID`);
  sql.run(`CREATE TABLE IF NOT EXISTS ${PENDING_TABLE} (tx INTEGER PRIMARY KEY, changeset BLOB NOT NULL, applied BLOB NOT NULL)`);
  sql.run(`CREATE TABLE IF NOT EXISTS ${DEVICES_TABLE} (device TEXT PRIMARY KEY, public_key BLOB, name TEXT NOT NULL DEFAULT '', added_seq INTEGER, removed_seq INTEGER) WITHOUT ROWID`);
}

export function readState(sql: Sql): SyncState {
  const map = new Map(sql.rows(`SELECT key, value FROM ${STATE_TABLE}`).map(([k, v]) => [k as string, v]));
  const device = map.get('device');
  if (typeof device !== 'string') throw new CipherliteError('INVALID_ARGUMENT', 'sync is not enabled on this database');
  return {
    device,
    seq: Number(map.get('seq') ?? 0),
    nextTx: Number(map.get('next_tx') ?? 1),
    schemaVersion: Number(map.get('schema_version') ?? 0),
    signedFrom: map.has('signed_from') ? Number(map.get('signed_from')) : null,
    tables: JSON.parse(String(map.get('tables') ?? '[]')) as string[],
  };
}

export type StateKey = 'device' | 'seq' | 'next_tx' | 'schema_version' | 'tables' | 'signed_from' | 'signing_key' | 'public_key';

export function writeState(sql: Sql, key: StateKey, value: SqlValue): void {
  sql.run(`INSERT INTO ${STATE_TABLE} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
}

export function readPending(sql: Sql): PendingTx[] {
  return sql
    .rows(`SELECT tx, changeset, applied FROM ${PENDING_TABLE} ORDER BY tx`)
    .map(([tx, changeset, applied]) => ({ tx: Number(tx), changeset: changeset as Uint8Array, applied: applied as Uint8Array }));
}

/** Records the current user tables as the synced ones. */
export function recordTables(sql: Sql): void {
  writeState(sql, 'tables', JSON.stringify(userTables(sql).all));
}

/** Every user table (not internal), with the ones lacking an explicit PRIMARY KEY. */
export function userTables(sql: Sql): { all: string[]; withoutPk: string[] } {
  const all = sql
    .rows(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
    .map(([n]) => n as string)
    .filter((n) => !isInternalTable(n));
  const withoutPk = all.filter((t) => !sql.rows(`SELECT 1 FROM pragma_table_info(?) WHERE pk > 0`, [t]).length);
  return { all, withoutPk };
}
