/**
 * Pull + rebase, as one SQLite transaction: undo this device's pending transactions (newest
 * first, each by the inverse of what its last application changed — exact, so it never
 * conflicts), apply the new log entries in log order through the merge rules, then re-apply the
 * pending transactions on top, recording what each changed this time. A crash or error anywhere
 * rolls the whole step back: the database stays at the state before the pull.
 */
import type { Sqlite3Static, WasmPointer } from '@sqlite.org/sqlite-wasm';
import { CipherliteError } from '../errors.js';
import { recordDeviceEntry, type JudgedEntry, type SyncRefusal } from './devices.js';
import type { Merger, MergeSource, SyncConflict } from './merge.js';
import { applyExactly, invertChangeset, readChangeset, Session } from './session.js';
import { isInternalTable, PENDING_TABLE, readPending, readState, recordTables, userTables, writeState, type Sql } from './store.js';

export interface RebaseContext {
  readonly sql: Sql;
  readonly sqlite3: Sqlite3Static;
  readonly db: WasmPointer;
  readonly merger: Merger;
  /** The highest schema version this device's app understands (Infinity: any). */
  readonly maxSchemaVersion: number;
}

export interface RebaseResult {
  readonly applied: number;
  readonly conflicts: SyncConflict[];
  /** Entries skipped because their writer is not allowed to write them (sync/devices.ts). */
  readonly refusals: SyncRefusal[];
  /** Set when an entry could not be applied: everything before it was, the pull stopped there. */
  readonly refused: CipherliteError | null;
}

/** Runs inside the database's exclusive queue. `entries` start right after the agreed position. */
export function rebase(ctx: RebaseContext, entries: readonly JudgedEntry[]): RebaseResult {
  const { sql, sqlite3, db, merger } = ctx;
  // A failed earlier pull may have left table layouts of a schema it rolled back.
  merger.schemaChanged();
  merger.takeTouched();
  return sql.transaction(() => {
    const state = readState(sql);
    // Another pull may have advanced the agreed position since these entries were read.
    const fresh = entries.filter((e) => e.seq > state.seq);
    if (fresh.length === 0) return { applied: 0, conflicts: [], refusals: [], refused: null };
    if (fresh[0]!.seq !== state.seq + 1) throw new CipherliteError('CORRUPT', `the sync log skipped from position ${state.seq} to ${fresh[0]!.seq}`, { seq: fresh[0]!.seq });
    const pending = readPending(sql);
    for (const p of [...pending].reverse()) applyExactly(sqlite3, db, invertChangeset(sqlite3, p.applied));
    const mine = new Set(pending.map((p) => p.tx));
    const conflicts: SyncConflict[] = [];
    const refusals: SyncRefusal[] = [];
    let applied = 0;
    let refused: CipherliteError | null = null;
    let schemaVersion = state.schemaVersion;
    let signedFrom = state.signedFrom;
    for (const judged of fresh) {
      const { seq, device } = judged;
      if (judged.refused) {
        // Skipped by every device alike; this device's own refused entry stays in its queue.
        refusals.push({ seq, device, kind: judged.entry?.kind ?? 'unknown', reason: judged.refused });
        writeState(sql, 'seq', seq);
        continue;
      }
      const { entry } = judged;
      deferForeignKeys(sql);
      const source: MergeSource = { origin: 'log', seq, device };
      if (entry.kind === 'schema') {
        if (entry.version > schemaVersion) {
          refused = applySchema(ctx, entry.version, entry.sql, seq);
          if (refused) break;
          schemaVersion = entry.version;
          writeState(sql, 'schema_version', schemaVersion);
        }
      } else if (entry.kind === 'changeset') {
        conflicts.push(...merger.apply(readChangeset(sqlite3, entry.changeset), source), ...merger.dropForeignKeyViolations(source));
      } else {
        recordDeviceEntry(sql, seq, device, entry);
        if (signedFrom === null) writeState(sql, 'signed_from', (signedFrom = seq));
      }
      if (device === state.device && mine.delete(entry.tx)) sql.run(`DELETE FROM ${PENDING_TABLE} WHERE tx = ?`, [entry.tx]);
      writeState(sql, 'seq', seq);
      applied++;
    }
    for (const p of pending) {
      if (!mine.has(p.tx)) continue;
      deferForeignKeys(sql);
      const source: MergeSource = { origin: 'pending', seq: null, device: state.device };
      const session = new Session(sqlite3, db, (t) => !isInternalTable(t));
      try {
        conflicts.push(...merger.apply(readChangeset(sqlite3, p.changeset), source), ...merger.dropForeignKeyViolations(source));
        sql.run(`UPDATE ${PENDING_TABLE} SET applied = ? WHERE tx = ?`, [session.changeset(), p.tx]);
      } finally {
        session.close();
      }
    }
    return { applied, conflicts, refusals, refused };
  });
}

/**
 * Foreign keys are checked after each whole change set, not per statement (changesets are not in
 * dependency order). Set before every merge: sqlite3changeset_apply (the undo) turns the pragma
 * off when it finishes, and a device with pending changes must merge exactly like one without.
 */
function deferForeignKeys(sql: Sql): void {
  sql.run('PRAGMA defer_foreign_keys = ON');
}

/**
 * Runs a schema entry's DDL in a savepoint. Returns a SYNC_SCHEMA error (the savepoint rolled
 * back) when this device cannot apply it: its app is older than the entry, the DDL fails here, or
 * it leaves a table without an explicit PRIMARY KEY.
 */
function applySchema(ctx: RebaseContext, version: number, ddl: string, seq: number): CipherliteError | null {
  if (version > ctx.maxSchemaVersion) {
    return new CipherliteError('SYNC_SCHEMA', `sync log entry ${seq} moves the schema to version ${version}; this app understands up to ${ctx.maxSchemaVersion}: update the app`, { seq });
  }
  const { sql } = ctx;
  sql.run('SAVEPOINT cipherlite_sync_schema');
  try {
    sql.script(ddl);
    const { withoutPk } = userTables(sql);
    if (withoutPk.length) throw new CipherliteError('SYNC_TABLE', `tables without an explicit PRIMARY KEY: ${withoutPk.join(', ')}`, { tables: withoutPk });
    recordTables(sql);
    sql.run('RELEASE cipherlite_sync_schema');
    ctx.merger.schemaChanged();
    return null;
  } catch (e) {
    sql.run('ROLLBACK TO cipherlite_sync_schema');
    sql.run('RELEASE cipherlite_sync_schema');
    const why = e instanceof Error ? e.message : String(e);
    return new CipherliteError('SYNC_SCHEMA', `sync log entry ${seq} (schema version ${version}) cannot be applied on this device: ${why}`, { seq }, { cause: e });
  }
}
