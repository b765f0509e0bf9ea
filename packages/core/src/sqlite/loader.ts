/**
 * Loads the official SQLite WASM build once per realm (worker or Node process).
 * `@sqlite.org/sqlite-wasm` resolves to its Node build under Node and to the browser build in
 * bundlers, through its package `exports` conditions; custom JS VFSes work in both.
 */
import sqlite3InitModule, { type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { Sqlite3Init } from './wasm-types.js';

let loading: Promise<Sqlite3Static> | null = null;
let loaded: Sqlite3Static | null = null;
/** The same function, typed with the overrides it accepts. */
const init: Sqlite3Init = sqlite3InitModule;

/** The module, if a load has finished (synchronous; null while none has). */
export function loadedSqlite(): Sqlite3Static | null {
  return loaded;
}

/**
 * Loads SQLite (once; every later call returns the same promise). Calling it early is how a
 * worker preloads it: the WebAssembly is fetched and compiled while other start-up work runs.
 */
export function loadSqlite(): Promise<Sqlite3Static> {
  loading ??= init({
    // SQLite's own diagnostics (e.g. "OPFS not available" notes) are not errors of ours.
    print: () => {},
    printErr: () => {},
  }).then((sqlite3) => {
    // oo1 warns on the console for every failing statement, with the SQL text — which can hold
    // application data. Our API reports the same failure as a typed error, so drop the echo.
    const config = sqlite3.config as unknown as Record<string, unknown>;
    config['warn'] = () => {};
    config['log'] = () => {};
    loaded = sqlite3;
    return sqlite3;
  });
  return loading;
}
