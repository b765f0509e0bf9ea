/**
 * `migrate(db, steps)`: brings a database's schema (and data) up to date, one ordered step at a
 * time, each step in its own transaction.
 *
 * - Recorded in the database: the table `cipherlite_migrations` holds one row per applied step
 *   (its 1-based position, its name, when it ran). A step is identified by its position and its
 *   name; a database whose record does not match the steps given (a renamed or reordered step, or
 *   more steps recorded than given — a newer app migrated it) is refused with `MIGRATION_FAILED`.
 * - Once: every transaction re-reads the record and applies the first step not yet recorded, so
 *   two callers (two tabs, or two calls in one tab) never run a step twice. In the browser an
 *   interactive transaction runs in the leader's worker and every other tab's calls wait for it.
 * - All or nothing per step: the step's SQL, its JavaScript hook and its record row commit
 *   together; when any of them fails the transaction rolls back and `migrate` rejects with
 *   `MIGRATION_FAILED` (the cause attached): earlier steps stay applied, the failed one left no trace.
 *
 * SQLite ignores `PRAGMA foreign_keys` inside a transaction: a step cannot switch it.
 */
import { CipherliteError, invalidArgument } from '../errors.js';
import type { SqlClient, SqlTransaction } from './sql-client.js';

/** The table that records applied steps. */
export const MIGRATIONS_TABLE = 'cipherlite_migrations';

export interface MigrationStep {
  /** A stable, unique name; recorded with the step's position, so renaming an applied step is refused. */
  readonly name: string;
  /** SQL to run first: one string (it may hold several statements) or a list of statements. */
  readonly sql?: string | readonly string[];
  /** A data migration in JavaScript, run after `sql` in the same transaction. Use `tx` only. */
  readonly run?: (tx: SqlTransaction) => Promise<void> | void;
}

export interface MigrateResult {
  /** Names of the steps this call applied, in order (empty when the database was up to date). */
  readonly applied: string[];
  /** Steps recorded in the database now (= `steps.length`). */
  readonly version: number;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`;

function checkSteps(steps: readonly MigrationStep[]): void {
  const given: unknown = steps;
  if (!Array.isArray(given)) invalidArgument(`expected steps to be an array, got ${typeof steps}`);
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    if (typeof step !== 'object' || step === null) invalidArgument(`expected step ${i + 1} to be an object, got ${step === null ? 'null' : typeof step}`);
    if (typeof step.name !== 'string' || step.name === '') invalidArgument(`expected step ${i + 1} to have a non-empty name`);
    if (seen.has(step.name)) invalidArgument(`step name "${step.name}" is used twice`);
    seen.add(step.name);
    if (step.sql === undefined && step.run === undefined) invalidArgument(`step "${step.name}" has neither sql nor run`);
    const sql: unknown = step.sql === undefined ? [] : typeof step.sql === 'string' ? [step.sql] : step.sql;
    if (!Array.isArray(sql) || !sql.every((s) => typeof s === 'string')) invalidArgument(`expected the sql of step "${step.name}" to be a string or an array of strings`);
    if (step.run !== undefined && typeof step.run !== 'function') invalidArgument(`expected the run of step "${step.name}" to be a function, got ${typeof step.run}`);
  });
}

/** Reads the record and checks it against `steps`; returns how many steps are applied. */
async function appliedCount(tx: SqlTransaction, steps: readonly MigrationStep[]): Promise<number> {
  await tx.exec(CREATE_TABLE);
  const { rows } = await tx.values(`SELECT version, name FROM ${MIGRATIONS_TABLE} ORDER BY version`);
  if (rows.length > steps.length) {
    throw new CipherliteError('MIGRATION_FAILED', `the database has ${rows.length} migrations recorded but ${steps.length} steps were given: a newer version of the app migrated it`);
  }
  rows.forEach(([version, name], i) => {
    if (Number(version) !== i + 1 || name !== steps[i]!.name) {
      throw new CipherliteError(
        'MIGRATION_FAILED',
        `migration ${i + 1} is recorded as "${String(name)}" (version ${String(version)}) but step ${i + 1} is "${steps[i]!.name}": the steps were renamed or reordered`,
      );
    }
  });
  return rows.length;
}

async function applyStep(tx: SqlTransaction, step: MigrationStep, version: number): Promise<void> {
  try {
    const sql = step.sql === undefined ? [] : typeof step.sql === 'string' ? [step.sql] : step.sql;
    for (const statement of sql) if (statement.trim() !== '') await tx.exec(statement);
    await step.run?.(tx);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new CipherliteError('MIGRATION_FAILED', `migration ${version} "${step.name}" failed and was rolled back: ${reason}`, {}, { cause: e });
  }
  await tx.exec(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`, [version, step.name, Date.now()]);
}

/**
 * Applies the steps not yet recorded, in order, each in one transaction. Resolves with the names
 * it applied; rejects with `MIGRATION_FAILED` when a step fails (that step rolled back, earlier
 * ones kept) or the record does not match `steps`, `INVALID_ARGUMENT` for malformed steps.
 */
export async function migrate(db: SqlClient, steps: readonly MigrationStep[]): Promise<MigrateResult> {
  checkSteps(steps);
  const applied: string[] = [];
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const count = await appliedCount(tx, steps);
      if (count === steps.length) return true;
      const step = steps[count]!;
      await applyStep(tx, step, count + 1);
      applied.push(step.name);
      return false;
    });
    if (done) return { applied, version: steps.length };
  }
}
