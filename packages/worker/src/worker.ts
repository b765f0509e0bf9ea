/**
 * The dedicated worker entry. Spawned by `openDatabase()` (or by the app, see README):
 * `new Worker(new URL('@cipherlite/worker/worker', import.meta.url), { type: 'module' })`.
 */
import { expose } from 'comlink';
import { loadSqlite } from '@cipherlite/core/internal';
import { browserPlatform } from './engine/browser-platform.js';
import { WorkerEngine } from './engine/engine.js';

// Every worker is spawned to open a database, and SQLite's WebAssembly is the largest thing an
// open loads: start fetching and compiling it now (browsers compile WebAssembly off this thread),
// while the page's `open` call arrives and the storage, locks and Argon2id run. The open awaits
// the same load (core's loader runs it once per worker); a failure surfaces there.
// A bundler puts code shared with the chunks loaded on first use (key management, the replica,
// sync) in this entry chunk, and WebKit evaluates this module a second time when such a chunk
// imports from it: only the first evaluation starts the engine (a second would answer every
// message twice).
const STARTED = Symbol.for('@cipherlite/worker engine started');
const realm = globalThis as unknown as Record<symbol, boolean | undefined>;
if (!realm[STARTED]) {
  realm[STARTED] = true;
  loadSqlite().catch(() => undefined);
  expose(new WorkerEngine(browserPlatform()));
}
