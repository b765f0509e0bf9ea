/**
 * Applies a changeset to the current state by the conflict rules of docs/SYNC.md — the one
 * function every device runs, whether the changeset is its own pending transaction being
 * re-applied after a rebase or another device's entry read from the log. Its result depends only
 * on the database state and the changeset, so devices that agree on the log agree on the data.
 *
 * Per change (changesets name columns by position; a table may have gained columns since):
 * - INSERT: no row with that key → insert; a row exists → last writer: its columns take the new
 *   values; first writer: dropped ('superseded').
 * - UPDATE (carries the key plus old/new of the changed columns only): no row → dropped
 *   ('deleted': deletes win); otherwise per changed column: a counter column adds new − old, a
 *   last-writer column takes the new value, a first-writer column takes it only if it still holds
 *   the old value.
 * - DELETE: deletes the row if it exists, whatever its values (deletes win).
 * - A change that violates a constraint (UNIQUE, CHECK, NOT NULL) is dropped ('constraint'); the
 *   statement's own rollback leaves the row as it was.
 */
import { CipherliteError } from '../errors.js';
import type { SqlValue } from '../types.js';
import type { Change, ChangeOp } from './session.js';
import { quoteId, type Sql } from './store.js';

/** How a table's concurrent edits resolve (every device must use the same policies). */
export interface TablePolicy {
  /** Per column, between two updates: the later in log order wins (default), or the earlier. */
  readonly resolve?: 'last-writer-wins' | 'first-writer-wins';
  /** Columns merged as counters: an update adds its delta (new − old) to the current value. */
  readonly counters?: readonly string[];
}

export type ConflictReason = 'constraint' | 'foreign-key' | 'deleted' | 'superseded';

/** A change that was dropped (or, for 'foreign-key', a row removed) while merging. */
export interface SyncConflict {
  readonly table: string;
  /** The row's primary key values, in column order. */
  readonly pk: readonly SqlValue[];
  readonly op: ChangeOp;
  readonly reason: ConflictReason;
  /** SQLite's message for 'constraint' / 'foreign-key' (names the constraint, never values). */
  readonly message: string;
  /** 'log': an entry of the agreed log (final); 'pending': this device's not yet pushed transaction (may be reported again at the next rebase). */
  readonly origin: 'log' | 'pending';
  /** The log position, for origin 'log'. */
  readonly seq: number | null;
  /** The device that wrote the change. */
  readonly device: string;
}

export interface MergeSource {
  readonly origin: 'log' | 'pending';
  readonly seq: number | null;
  readonly device: string;
}

interface TableInfo {
  readonly columns: readonly string[];
}

/** SQLITE_CONSTRAINT, the primary result code of every constraint violation. */
const SQLITE_CONSTRAINT = 19;

export class Merger {
  readonly #sql: Sql;
  readonly #policies: Readonly<Record<string, TablePolicy>>;
  readonly #tables = new Map<string, TableInfo>();
  /** Tables changed since the last `takeTouched()` (for change listeners). */
  readonly #touched = new Set<string>();

  constructor(sql: Sql, policies: Readonly<Record<string, TablePolicy>>) {
    this.#sql = sql;
    this.#policies = policies;
  }

  /** Forgets cached table layouts (after a schema change). */
  schemaChanged(): void {
    this.#tables.clear();
  }

  takeTouched(): string[] {
    const t = [...this.#touched];
    this.#touched.clear();
    return t;
  }

  /** Applies every change of one changeset; returns what was dropped. */
  apply(changes: readonly Change[], source: MergeSource): SyncConflict[] {
    const conflicts: SyncConflict[] = [];
    for (const change of changes) {
      const reason = this.#applyOne(change);
      this.#touched.add(change.table);
      if (reason) conflicts.push({ table: change.table, pk: keyOf(change), op: change.op, reason: reason.reason, message: reason.message, ...source });
    }
    return conflicts;
  }

  /**
   * With foreign keys enforced: removes every row that violates one (a child whose parent another
   * device deleted — deletes win), reporting each.
   */
  dropForeignKeyViolations(source: MergeSource): SyncConflict[] {
    if (Number(this.#sql.value('PRAGMA foreign_keys')) !== 1) return [];
    const conflicts: SyncConflict[] = [];
    // Removing a row can orphan rows that point at it: repeat until none is left.
    for (let round = 0; round < 64; round++) {
      const violations = this.#sql.rows('PRAGMA foreign_key_check');
      if (violations.length === 0) return conflicts;
      for (const [table, rowid, parent] of violations) {
        const t = table as string;
        if (rowid === null || rowid === undefined) {
          throw new CipherliteError('SYNC_TABLE', `a merged change leaves a foreign key of WITHOUT ROWID table ${t} violated; sync removes violating rows only from rowid tables`, { tables: [t] });
        }
        const pkCols = this.#sql.rows(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, [t]).map(([n]) => n as string);
        const pk = this.#sql.rows(`SELECT ${pkCols.map(quoteId).join(', ')} FROM ${quoteId(t)} WHERE rowid = ?`, [rowid])[0] ?? [];
        this.#sql.run(`DELETE FROM ${quoteId(t)} WHERE rowid = ?`, [rowid]);
        this.#touched.add(t);
        conflicts.push({ table: t, pk, op: 'DELETE', reason: 'foreign-key', message: `FOREIGN KEY constraint failed: ${t} → ${String(parent)}`, ...source });
      }
    }
    throw new CipherliteError('SQL', 'foreign key violations keep reappearing while merging sync changes');
  }

  #info(table: string): TableInfo {
    let info = this.#tables.get(table);
    if (!info) {
      const columns = this.#sql.rows(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, [table]).map(([n]) => n as string);
      if (columns.length === 0) throw new CipherliteError('SYNC_SCHEMA', `a sync change names table ${table}, which does not exist on this device`, { tables: [table] });
      info = { columns };
      this.#tables.set(table, info);
    }
    return info;
  }

  #applyOne(change: Change): { reason: ConflictReason; message: string } | null {
    const { columns } = this.#info(change.table);
    const n = change.pk.length;
    if (n > columns.length) throw new CipherliteError('SYNC_SCHEMA', `a sync change has ${n} columns for table ${change.table}, which has ${columns.length} here`, { tables: [change.table] });
    const t = quoteId(change.table);
    const pkIdx = change.pk.flatMap((isPk, i) => (isPk ? [i] : []));
    const where = pkIdx.map((i) => `${quoteId(columns[i]!)} = ?`).join(' AND ');
    const key = keyOf(change);
    const current = this.#sql.rows(`SELECT ${columns.slice(0, n).map(quoteId).join(', ')} FROM ${t} WHERE ${where}`, key)[0];
    const policy = this.#policies[change.table] ?? {};
    const firstWriter = policy.resolve === 'first-writer-wins';
    const guarded = (sql: string, bind: SqlValue[]): { reason: ConflictReason; message: string } | null => {
      try {
        this.#sql.run(sql, bind);
        return null;
      } catch (e) {
        const rc = (e as CipherliteError).details?.sqliteCode;
        if (rc !== undefined && (rc & 0xff) === SQLITE_CONSTRAINT) return { reason: 'constraint', message: (e as Error).message };
        throw e;
      }
    };
    if (change.op === 'DELETE') return current ? guarded(`DELETE FROM ${t} WHERE ${where}`, key) : null;
    if (change.op === 'INSERT') {
      const values = change.new.map((v) => v ?? null);
      if (!current) return guarded(`INSERT INTO ${t} (${columns.slice(0, n).map(quoteId).join(', ')}) VALUES (${values.map(() => '?').join(', ')})`, values);
      if (firstWriter) return { reason: 'superseded', message: 'the row already exists (first writer wins)' };
      const set = values.flatMap((v, i) => (change.pk[i] ? [] : [[i, v] as const]));
      if (set.length === 0) return null;
      return guarded(`UPDATE ${t} SET ${set.map(([i]) => `${quoteId(columns[i]!)} = ?`).join(', ')} WHERE ${where}`, [...set.map(([, v]) => v), ...key]);
    }
    // UPDATE
    if (!current) return { reason: 'deleted', message: 'the row no longer exists (deletes win)' };
    const counters = new Set(policy.counters ?? []);
    const assignments: string[] = [];
    const bind: SqlValue[] = [];
    let superseded = 0;
    for (let i = 0; i < n; i++) {
      const next = change.new[i];
      if (next === undefined || change.pk[i]) continue;
      const col = quoteId(columns[i]!);
      const old = change.old[i] ?? null;
      const delta = counters.has(columns[i]!) ? numericDelta(old, next) : null;
      if (delta !== null) {
        assignments.push(`${col} = COALESCE(${col}, 0) + ?`);
        bind.push(delta);
      } else if (firstWriter && !sameValue(current[i] ?? null, old)) {
        superseded++;
      } else {
        assignments.push(`${col} = ?`);
        bind.push(next);
      }
    }
    if (assignments.length === 0) return superseded ? { reason: 'superseded', message: 'every changed column was changed first by an earlier entry (first writer wins)' } : null;
    return guarded(`UPDATE ${t} SET ${assignments.join(', ')} WHERE ${where}`, [...bind, ...key]);
  }
}

/** The primary key values of a change (new values for an INSERT, old ones otherwise). */
function keyOf(change: Change): SqlValue[] {
  const src = change.op === 'INSERT' ? change.new : change.old;
  return change.pk.flatMap((isPk, i) => (isPk ? [src[i] ?? null] : []));
}

/** new − old when both are numbers (integers stay integers); null when either is not numeric. */
function numericDelta(old: SqlValue, next: SqlValue): number | bigint | null {
  if (typeof old === 'number' && typeof next === 'number') return next - old;
  if (isInteger(old) && isInteger(next)) return BigInt(next) - BigInt(old);
  return null;
}

function isInteger(v: SqlValue): v is bigint | number {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') return isInteger(a) && isInteger(b) && BigInt(a) === BigInt(b);
  return a === b;
}
