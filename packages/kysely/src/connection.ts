/**
 * A Kysely connection over a cipherlite `SqlClient`.
 *
 * Kysely drives a transaction as begin → statements on one connection → commit or rollback;
 * cipherlite runs a transaction as a callback (`db.transaction(fn)`), during which every other
 * call — from this tab and every other — waits. `begin()` starts that callback and keeps it open
 * until Kysely decides: the connection's statements go to the transaction handle meanwhile, and
 * `end(commit)` lets the callback return (commit) or throw (rollback).
 */
import { CipherliteError } from '@cipherlite/core/migrate';
import type { SqlValue } from '@cipherlite/core';
import type { SqlClient, SqlTransaction } from '@cipherlite/core/migrate';
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';

/** Thrown inside the cipherlite transaction to roll it back; never leaves this module. */
class Rollback extends Error {}

/** Statements whose SQL may return rows when Kysely did not build them (`sql\`…\``). */
const READER = /^\s*(select|with|values|pragma|explain)\b|\breturning\b/i;

function returnsRows(query: CompiledQuery): boolean {
  const node = query.query as { kind: string; returning?: unknown };
  if (node.kind === 'SelectQueryNode') return true;
  if (node.kind === 'InsertQueryNode' || node.kind === 'UpdateQueryNode' || node.kind === 'DeleteQueryNode') return node.returning !== undefined;
  return READER.test(query.sql);
}

interface OpenTransaction {
  decide(commit: boolean): void;
  finished: Promise<unknown>;
}

export class CipherliteConnection implements DatabaseConnection {
  readonly #client: SqlClient;
  #target: SqlTransaction;
  #tx: OpenTransaction | null = null;

  constructor(client: SqlClient) {
    this.#client = client;
    this.#target = client;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    // No parameter list at all for a statement without parameters: core refuses to bind `[]` to it.
    const params = compiled.parameters.length === 0 ? undefined : (compiled.parameters as SqlValue[]);
    if (returnsRows(compiled)) {
      const { columns, rows } = await this.#target.values(compiled.sql, params);
      return { rows: rows.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])) as R) };
    }
    const { changes, lastInsertRowid } = await this.#target.exec(compiled.sql, params);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(compiled);
    for (let i = 0; i < rows.length; i += Math.max(1, chunkSize)) yield { rows: rows.slice(i, i + Math.max(1, chunkSize)) };
  }

  /** Opens a cipherlite transaction and routes this connection's statements into it. */
  begin(): Promise<void> {
    if (this.#tx) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'this connection is already in a transaction'));
    return new Promise((ready, fail) => {
      let decide!: (commit: boolean) => void;
      const decided = new Promise<boolean>((resolve) => (decide = resolve));
      const finished = this.#client.transaction(async (tx) => {
        this.#target = tx;
        ready();
        if (!(await decided)) throw new Rollback('rolled back by Kysely');
      });
      // Before `ready`: the transaction could not start (closed, locked): begin fails with its error.
      finished.catch(fail);
      this.#tx = { decide, finished };
    });
  }

  /** Commits (`true`) or rolls back the open transaction and waits until it has ended. */
  async end(commit: boolean): Promise<void> {
    const tx = this.#tx;
    if (!tx) throw new CipherliteError('INVALID_ARGUMENT', 'this connection has no open transaction');
    this.#tx = null;
    this.#target = this.#client;
    tx.decide(commit);
    try {
      await tx.finished;
    } catch (e) {
      if (!(e instanceof Rollback)) throw e;
    }
  }
}
