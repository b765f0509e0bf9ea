/**
 * Exactly-once writes across a change of leader.
 *
 * A follower's write can be cut off by the leader's tab dying at any step: before the leader got
 * it, while it ran, after COMMIT but before the answer left. The follower cannot tell these apart,
 * so the database tells it: every forwarded write carries a request id (`<tab>:<n>`, unique for
 * the life of the origin), and the leader stores that id and the write's result in a small table
 * **in the same SQLite transaction as the write**. The write and its record commit together or not
 * at all, so any later leader can answer a resent request from the database itself:
 * - the id is there → the write committed; its stored result is the answer (nothing runs again);
 * - the id is not there → it did not commit (SQLite rolled it back with the dead tab); it runs now.
 *
 * Each leader runs the check, the write and the record as one transaction, so a request resent
 * twice, or to the same leader, still runs once. The table keeps the newest `KEEP_RECORDS` ids: a
 * resend arrives within a takeover (seconds), long before 1,000 newer writes pushed it out.
 */
import { operationRow } from '../../shared/protocol.js';
import type { SqlTarget } from './op-context.js';

/** The bookkeeping table (visible in the schema; change events never name it). */
export const REQUEST_LOG_TABLE = '_cipherlite_requests';

/** How many of the newest request ids are kept. */
const KEEP_RECORDS = 1000;

const BIGINT_TAG = '$bigint';

function encode(result: unknown): string {
  return JSON.stringify(result ?? null, (_key, v: unknown) => (typeof v === 'bigint' ? { [BIGINT_TAG]: v.toString() } : v));
}

function decode(text: string): unknown {
  return (
    JSON.parse(text, (_key, v: unknown) => {
      if (typeof v === 'object' && v !== null && BIGINT_TAG in v) return BigInt((v as Record<string, string>)[BIGINT_TAG]!);
      return v;
    }) ?? undefined
  );
}

/**
 * A `WITHOUT ROWID` table with its own sequence number: inserting a record then leaves SQLite's
 * `last_insert_rowid()` at the user's write (a rowid table would move it to the record). Tables
 * made by earlier versions (plain rowid tables) are converted in place, keeping their records.
 */
const CREATE_SQL = `CREATE TABLE ${REQUEST_LOG_TABLE} (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, result TEXT NOT NULL) WITHOUT ROWID`;
const INDEX_SQL = `CREATE INDEX IF NOT EXISTS ${REQUEST_LOG_TABLE}_seq ON ${REQUEST_LOG_TABLE} (seq)`;

async function ensureTable(target: SqlTarget): Promise<void> {
  const row = await target.get(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, [REQUEST_LOG_TABLE]);
  if (row && /\bseq\b/.test(String(row.sql))) return;
  if (!row) {
    await target.exec(CREATE_SQL);
  } else {
    const old = `${REQUEST_LOG_TABLE}_rowid`;
    await target.exec(`ALTER TABLE ${REQUEST_LOG_TABLE} RENAME TO ${old}`);
    await target.exec(CREATE_SQL);
    await target.exec(`INSERT INTO ${REQUEST_LOG_TABLE} (id, seq, result) SELECT id, rowid, result FROM ${old}`);
    await target.exec(`DROP TABLE ${old}`);
  }
  await target.exec(INDEX_SQL);
}

/** The stored result of request `id`, if it committed; must run inside the transaction that would record it. */
export async function findRecord(target: SqlTarget, id: string): Promise<{ result: unknown } | null> {
  await ensureTable(target);
  const row = await target.get(`SELECT result FROM ${REQUEST_LOG_TABLE} WHERE id = ?`, [id]);
  return row ? { result: decode(String(row.result)) } : null;
}

/** Stores `id` with `result` in the current transaction and drops ids older than the newest `KEEP_RECORDS`. */
export async function addRecord(target: SqlTarget, id: string, result: unknown): Promise<void> {
  await ensureTable(target);
  await target.exec(`INSERT INTO ${REQUEST_LOG_TABLE} (id, seq, result) VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM ${REQUEST_LOG_TABLE}), ?)`, [id, encode(result)]);
  await target.exec(`DELETE FROM ${REQUEST_LOG_TABLE} WHERE seq <= (SELECT max(seq) FROM ${REQUEST_LOG_TABLE}) - ?`, [KEEP_RECORDS]);
}

/** Inside one transaction on `target`: the stored answer of `id`, or `write`'s result recorded under `id`. */
export async function runOnce(target: SqlTarget, id: string, write: () => Promise<unknown>): Promise<unknown> {
  const prior = await findRecord(target, id);
  if (prior) return prior.result;
  const result = await write();
  await addRecord(target, id, result);
  return result;
}

/** Transaction-control and connection statements cannot run inside the write's transaction: they go unrecorded. */
const UNRECORDABLE_SQL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|VACUUM|PRAGMA|ATTACH|DETACH)\b/i;

/**
 * Whether a forwarded write (`OperationRow.repeatable` is `ifRecorded`: `exec`, `batch`) can be
 * recorded: outside an interactive transaction, and unless its one statement (a string first
 * argument, `exec`'s SQL) is transaction control; `batch`'s statements already run in one transaction.
 */
export function canRecord(op: string, args: readonly unknown[], txId: number | undefined): boolean {
  if (txId !== undefined || operationRow(op)?.repeatable !== 'ifRecorded') return false;
  return typeof args[0] !== 'string' || !UNRECORDABLE_SQL.test(args[0]);
}
