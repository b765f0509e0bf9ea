/**
 * The operation table (`OPERATIONS` in shared/protocol.ts) is the one place an operation is
 * described: every `DbOps` method has a row (the compiler checks it, and the type assertions below
 * say so again), every row is dispatched exactly once on the leader and called by one client
 * method, and the sets the engine reads are the table's columns.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { CipherliteDatabase } from '../src/page/client.js';
import { SQL_OPS } from '../src/engine/leader/ops.js';
import { KEY_OPS } from '../src/engine/leader/key-management.js';
import { canRecord } from '../src/engine/leader/request-log.js';
import { isRepeatable } from '../src/shared/bus.js';
import { KEY_CHANGING_OPS, OPERATIONS, PROGRESS_OPS, ROLLBACK_JOURNAL_OPS, TRANSFERRED_RESULTS, TX_OPS, operationRow } from '../src/shared/protocol.js';
import type { DbOps, OpName, OperationRow } from '../src/shared/protocol.js';

const rows = Object.entries(OPERATIONS as Record<OpName, OperationRow>) as [OpName, OperationRow][];
const names = rows.map(([op]) => op).sort();

/** The operations the handle calls: through `#run`, or `#runWithProof` (a secret or a passkey ceremony as proof first). */
function clientCalls(): string[] {
  const source = readFileSync(new URL('../src/page/client.ts', import.meta.url), 'utf8');
  return [...new Set([...source.matchAll(/this\.#run(?:WithProof)?\(\s*'([A-Za-z]+)'/g)].map((m) => m[1]!))].sort();
}

describe('operation table', () => {
  it('has exactly one row per DbOps method (type level)', () => {
    expectTypeOf<keyof typeof OPERATIONS>().toEqualTypeOf<keyof DbOps>();
    expectTypeOf(OPERATIONS).toMatchTypeOf<{ readonly [K in OpName]: OperationRow }>();
  });

  it('every row is called by a client method of the same name, and the client calls nothing else', () => {
    expect(clientCalls()).toEqual(names);
    for (const op of names) expect(typeof (CipherliteDatabase.prototype as unknown as Record<string, unknown>)[op], op).toBe('function');
  });

  it('every row is dispatched once: by SQL_OPS or KEY_OPS (the key-management chunk), or by the leader itself when it replaces the Database handle', () => {
    for (const [op, row] of rows) {
      const tables = [SQL_OPS, KEY_OPS].filter((t) => Object.hasOwn(t, op));
      expect(tables.length, op).toBe(row.replacesDatabase ? 0 : 1);
    }
    expect([...Object.keys(SQL_OPS), ...Object.keys(KEY_OPS)].every((op) => operationRow(op) !== undefined)).toBe(true);
    // The hot path: everything a query or a transaction runs is in the worker's main chunk.
    expect(Object.keys(SQL_OPS).sort()).toEqual(['batch', 'exec', 'get', 'query', 'tables', 'values']);
    for (const op of TX_OPS) expect(Object.hasOwn(SQL_OPS, op), op).toBe(true);
  });

  it('key material columns point at arguments the signature has, and a secret adopted is one of them', () => {
    for (const [op, row] of rows) {
      for (const i of row.keyArgs) expect(Number.isInteger(i) && i >= 0, op).toBe(true);
      if (row.adoptsKeyArg !== undefined) expect(row.keyArgs, op).toContain(row.adoptsKeyArg);
    }
  });

  it('derives the sets the engine used to spell out by name', () => {
    expect([...PROGRESS_OPS].sort()).toEqual(['backup', 'confirmRestore', 'exportPlaintext', 'rekey', 'verify']);
    expect([...KEY_CHANGING_OPS].sort()).toEqual(['changePassword', 'confirmRestore', 'rekey', 'removeKeyslot']);
    expect([...TX_OPS].sort()).toEqual(['batch', 'exec', 'get', 'query', 'values']);
    expect([...ROLLBACK_JOURNAL_OPS].sort()).toEqual(['backup', 'confirmRestore', 'exportPlaintext', 'inspectBackup', 'rekey', 'stats']);
    expect([...TRANSFERRED_RESULTS].sort()).toEqual(['backup', 'exportPlaintext', 'readBackup']);
    const keyArgs = Object.fromEntries(rows.filter(([, r]) => r.keyArgs.length > 0).map(([op, r]) => [op, r.keyArgs]));
    expect(keyArgs).toEqual({ changePassword: [0, 1], addRecoveryKey: [0], removeKeyslot: [0], addPasskey: [0], rekey: [0], backup: [0], inspectBackup: [1], confirmRestore: [1] });
    expect(rows.filter(([, r]) => r.adoptsKeyArg !== undefined).map(([op]) => op)).toEqual(['changePassword']);
    expect(rows.filter(([, r]) => r.replacesDatabase).map(([op]) => op)).toEqual(['rekey']);
  });

  it('a name that is no operation has no row (not even an Object.prototype member)', () => {
    for (const op of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'dropTable']) expect(operationRow(op), op).toBeUndefined();
  });

  it('repeatability follows the column: reads outside a transaction, tables, recorded writes; never key management', () => {
    expect(isRepeatable({ op: 'auth', key: { password: 'x' } })).toBe(true);
    expect(isRepeatable({ op: 'tables', args: ['INSERT INTO t VALUES (1)'] })).toBe(true);
    expect(isRepeatable({ op: 'query', args: ['SELECT 1'] })).toBe(true);
    expect(isRepeatable({ op: 'query', args: ['SELECT 1'], txId: 3 })).toBe(false);
    expect(isRepeatable({ op: 'get', args: ['DELETE FROM t RETURNING *'] })).toBe(false);
    expect(isRepeatable({ op: 'exec', args: ['INSERT INTO t VALUES (1)'] })).toBe(false);
    expect(isRepeatable({ op: 'exec', args: ['INSERT INTO t VALUES (1)'], record: 'tab:1' })).toBe(true);
    expect(isRepeatable({ op: 'txBegin' })).toBe(false);
    expect(isRepeatable({ op: 'txEnd', txId: 1, commit: true })).toBe(false);
    expect(isRepeatable({ op: 'txEnd', txId: 1, commit: true, record: 'tab:2' })).toBe(true);
    for (const op of ['verify', 'stats', 'listKeyslots', 'changePassword', 'rekey', 'backup'] as const) expect(isRepeatable({ op, args: [] }), op).toBe(false);
  });

  it('only writes whose row says ifRecorded are recorded, outside transactions, never transaction control', () => {
    expect(canRecord('exec', ['INSERT INTO t VALUES (1)'], undefined)).toBe(true);
    expect(canRecord('batch', [[{ sql: 'BEGIN' }]], undefined)).toBe(true);
    expect(canRecord('exec', ['INSERT INTO t VALUES (1)'], 4)).toBe(false);
    expect(canRecord('exec', ['  commit'], undefined)).toBe(false);
    expect(canRecord('exec', ['VACUUM'], undefined)).toBe(false);
    expect(canRecord('query', ['SELECT 1'], undefined)).toBe(false);
    expect(canRecord('changePassword', ['x'], undefined)).toBe(false);
  });
});
