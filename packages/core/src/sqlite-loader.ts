/**
 * Loads the official SQLite WASM build once per realm (worker or Node process).
 * `@sqlite.org/sqlite-wasm` resolves to its Node build under Node and to the browser build in
 * bundlers, through its package `exports` conditions; custom JS VFSes work in both.
 */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';

let loading: Promise<Sqlite3Static> | null = null;

export function loadSqlite(): Promise<Sqlite3Static> {
  loading ??= (sqlite3InitModule as unknown as (opts?: object) => Promise<Sqlite3Static>)({
    // SQLite's own diagnostics (e.g. "OPFS not available" notes) are not errors of ours.
    print: () => {},
    printErr: () => {},
  });
  return loading;
}
