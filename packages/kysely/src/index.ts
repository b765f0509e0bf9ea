/**
 * `@cipherlite/kysely` — a Kysely dialect for cipherlite's encrypted SQLite, in the browser (the
 * worker's database handle) and in Node (core's `Database`).
 */
export { CipherliteDialect, CipherliteDriver, type CipherliteDialectConfig } from './dialect.js';
export { CipherliteConnection } from './connection.js';
export { live, type LiveableQuery, type LiveQueryArgs } from './live.js';
