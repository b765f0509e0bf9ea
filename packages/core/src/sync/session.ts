/**
 * The glue between SQLite's session extension (sqlite3session_*, sqlite3changeset_*) and bytes:
 * record one transaction's changes as a changeset, read a changeset into plain change records,
 * invert one, and apply one that must apply exactly. Every pointer and every sqlite3_free stays
 * in this file; the rest of sync/ speaks `Uint8Array` and `Change`.
 *
 * The changeset format is SQLite's own (https://www.sqlite.org/sessionintro.html): per table,
 * INSERTs carry the whole new row, DELETEs the whole old row, UPDATEs the primary key plus the
 * old and new values of the changed columns only (unchanged columns are absent: `undefined`).
 */
import type { Sqlite3Static, WasmPointer } from '@sqlite.org/sqlite-wasm';
import { CipherliteError } from '../errors.js';
import type { SqlValue } from '../types.js';

/** sqlite3.h: the operation codes a changeset iterator reports. */
export const OP = { INSERT: 18, DELETE: 9, UPDATE: 23 } as const;
export type ChangeOp = 'INSERT' | 'UPDATE' | 'DELETE';

/** sqlite3.h: SQLITE_ROW (the iterator has a change), SQLITE_CHANGESET_ABORT (conflict handler's answer). */
const SQLITE_ROW = 100;
const SQLITE_CHANGESET_ABORT = 2;

/** One change of a changeset; `old`/`new` hold `undefined` for columns the change does not carry. */
export interface Change {
  readonly table: string;
  readonly op: ChangeOp;
  /** Per column: true for a primary-key column. */
  readonly pk: readonly boolean[];
  readonly old: readonly (SqlValue | undefined)[];
  readonly new: readonly (SqlValue | undefined)[];
}

/** The heap helpers used here, typed as they behave (sqlite3-api-prologue.js). */
interface SessionWasm {
  alloc(n: number): WasmPointer;
  dealloc(p: WasmPointer): void;
  heap8u(): Uint8Array;
  peekPtr(p: WasmPointer): WasmPointer;
  peek32(p: WasmPointer): number;
  cstrToJs(p: WasmPointer): string;
  readonly pstack: { readonly pointer: WasmPointer; restore(p: WasmPointer): void; allocPtr(): WasmPointer };
}

interface SessionCapi {
  sqlite3session_create(db: WasmPointer, schema: string, pp: WasmPointer): number;
  sqlite3session_delete(s: WasmPointer): void;
  sqlite3session_attach(s: WasmPointer, table: string | null): number;
  sqlite3session_table_filter(s: WasmPointer, filter: (ctx: WasmPointer, table: string) => number, ctx: WasmPointer): void;
  sqlite3session_changeset(s: WasmPointer, pn: WasmPointer, pp: WasmPointer): number;
  sqlite3changeset_start(pp: WasmPointer, n: number, p: WasmPointer): number;
  sqlite3changeset_next(it: WasmPointer): number;
  sqlite3changeset_op(it: WasmPointer, pzTab: WasmPointer, pnCol: WasmPointer, pOp: WasmPointer, pbIndirect: WasmPointer): number;
  sqlite3changeset_pk(it: WasmPointer, pabPK: WasmPointer, pnCol: WasmPointer): number;
  sqlite3changeset_old_js(it: WasmPointer, col: number): SqlValue | undefined;
  sqlite3changeset_new_js(it: WasmPointer, col: number): SqlValue | undefined;
  sqlite3changeset_finalize(it: WasmPointer): number;
  sqlite3changeset_invert(n: number, p: WasmPointer, pnOut: WasmPointer, ppOut: WasmPointer): number;
  sqlite3changeset_apply(db: WasmPointer, n: number, p: WasmPointer, filter: WasmPointer, conflict: (ctx: WasmPointer, kind: number, it: WasmPointer) => number, ctx: WasmPointer): number;
  sqlite3_free(p: WasmPointer): void;
  sqlite3_errstr(rc: number): string;
}

/** The module seen through the declarations above (every member exists in the official build). */
function surface(sqlite3: Sqlite3Static): { capi: SessionCapi; wasm: SessionWasm } {
  return sqlite3 as unknown as { capi: SessionCapi; wasm: SessionWasm };
}

function check(capi: SessionCapi, rc: number, what: string): void {
  if (rc !== 0) throw new CipherliteError('SQL', `${what} failed: ${capi.sqlite3_errstr(rc)}`, { sqliteCode: rc });
}

/** Runs `fn` with pointer-sized out-parameters on the wasm stack. */
function withOut<R>(wasm: SessionWasm, count: number, fn: (...out: WasmPointer[]) => R): R {
  const mark = wasm.pstack.pointer;
  try {
    return fn(...Array.from({ length: count }, () => wasm.pstack.allocPtr()));
  } finally {
    wasm.pstack.restore(mark);
  }
}

/** Copies `bytes` into the wasm heap for the duration of `fn`. */
function withBytes<R>(wasm: SessionWasm, bytes: Uint8Array, fn: (p: WasmPointer) => R): R {
  const p = wasm.alloc(Math.max(1, bytes.length));
  try {
    wasm.heap8u().set(bytes, Number(p));
    return fn(p);
  } finally {
    wasm.dealloc(p);
  }
}

/** Copies an sqlite3_malloc'ed buffer out of the heap and frees it. */
function takeBuffer(capi: SessionCapi, wasm: SessionWasm, pn: WasmPointer, pp: WasmPointer): Uint8Array {
  const n = wasm.peek32(pn);
  const p = wasm.peekPtr(pp);
  const out = wasm.heap8u().slice(Number(p), Number(p) + n);
  if (p) capi.sqlite3_free(p);
  return out;
}

/** A session recording every change to the tables `track` accepts, on connection `db`. */
export class Session {
  readonly #capi: SessionCapi;
  readonly #wasm: SessionWasm;
  #session: WasmPointer;

  constructor(sqlite3: Sqlite3Static, db: WasmPointer, track: (table: string) => boolean) {
    const { capi, wasm } = surface(sqlite3);
    this.#capi = capi;
    this.#wasm = wasm;
    this.#session = withOut(wasm, 1, (pp) => {
      check(capi, capi.sqlite3session_create(db, 'main', pp), 'sqlite3session_create');
      return wasm.peekPtr(pp);
    });
    try {
      capi.sqlite3session_table_filter(this.#session, (_ctx, table) => (track(table) ? 1 : 0), 0);
      check(capi, capi.sqlite3session_attach(this.#session, null), 'sqlite3session_attach');
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The changes recorded so far (empty when nothing changed). */
  changeset(): Uint8Array {
    return withOut(this.#wasm, 2, (pn, pp) => {
      check(this.#capi, this.#capi.sqlite3session_changeset(this.#session, pn, pp), 'sqlite3session_changeset');
      return takeBuffer(this.#capi, this.#wasm, pn, pp);
    });
  }

  close(): void {
    if (this.#session) this.#capi.sqlite3session_delete(this.#session);
    this.#session = 0;
  }
}

/** Reads a changeset into change records, in changeset order. */
export function readChangeset(sqlite3: Sqlite3Static, bytes: Uint8Array): Change[] {
  if (bytes.length === 0) return [];
  const { capi, wasm } = surface(sqlite3);
  return withBytes(wasm, bytes, (p) =>
    withOut(wasm, 5, (ppIter, pzTab, pnCol, pOp, pbIndirect) => {
      check(capi, capi.sqlite3changeset_start(ppIter, bytes.length, p), 'sqlite3changeset_start');
      const it = wasm.peekPtr(ppIter);
      const changes: Change[] = [];
      try {
        while (capi.sqlite3changeset_next(it) === SQLITE_ROW) {
          check(capi, capi.sqlite3changeset_op(it, pzTab, pnCol, pOp, pbIndirect), 'sqlite3changeset_op');
          const table = wasm.cstrToJs(wasm.peekPtr(pzTab));
          const n = wasm.peek32(pnCol);
          const code = wasm.peek32(pOp);
          const op: ChangeOp = code === OP.INSERT ? 'INSERT' : code === OP.DELETE ? 'DELETE' : 'UPDATE';
          check(capi, capi.sqlite3changeset_pk(it, pzTab, pnCol), 'sqlite3changeset_pk');
          const flags = Number(wasm.peekPtr(pzTab));
          const heap = wasm.heap8u();
          const pk = Array.from({ length: n }, (_, i) => heap[flags + i] !== 0);
          const old = op === 'INSERT' ? [] : Array.from({ length: n }, (_, i) => capi.sqlite3changeset_old_js(it, i));
          const neu = op === 'DELETE' ? [] : Array.from({ length: n }, (_, i) => capi.sqlite3changeset_new_js(it, i));
          changes.push({ table, op, pk, old, new: neu });
        }
      } catch (e) {
        capi.sqlite3changeset_finalize(it);
        throw e;
      }
      // A malformed changeset ends the iteration early; finalize reports why.
      const rc = capi.sqlite3changeset_finalize(it);
      if (rc !== 0) throw new CipherliteError('CORRUPT', `a sync changeset is malformed (${capi.sqlite3_errstr(rc)})`, { sqliteCode: rc });
      return changes;
    }),
  );
}

/** The changeset that undoes `bytes` (INSERT ↔ DELETE, UPDATE old ↔ new). */
export function invertChangeset(sqlite3: Sqlite3Static, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return bytes;
  const { capi, wasm } = surface(sqlite3);
  return withBytes(wasm, bytes, (p) =>
    withOut(wasm, 2, (pn, pp) => {
      const rc = capi.sqlite3changeset_invert(bytes.length, p, pn, pp);
      if (rc !== 0) throw new CipherliteError('CORRUPT', `a pending sync changeset cannot be inverted (${capi.sqlite3_errstr(rc)})`, { sqliteCode: rc });
      return takeBuffer(capi, wasm, pn, pp);
    }),
  );
}

/**
 * Applies `bytes`, which must match the database exactly (an undo of changes this device made):
 * any conflict aborts and throws CORRUPT — the caller's transaction then rolls back.
 */
export function applyExactly(sqlite3: Sqlite3Static, db: WasmPointer, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  const { capi, wasm } = surface(sqlite3);
  let conflicts = 0;
  const rc = withBytes(wasm, bytes, (p) =>
    capi.sqlite3changeset_apply(
      db,
      bytes.length,
      p,
      0,
      () => {
        conflicts++;
        return SQLITE_CHANGESET_ABORT;
      },
      0,
    ),
  );
  if (rc !== 0 || conflicts > 0) {
    throw new CipherliteError(
      'CORRUPT',
      `undoing pending sync changes did not apply cleanly (${conflicts} conflicts, ${capi.sqlite3_errstr(rc)}): a synced row was changed outside sync.transaction()`,
      {
        sqliteCode: rc,
      },
    );
  }
}
