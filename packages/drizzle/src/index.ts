/**
 * `@cipherlite/drizzle` — Drizzle ORM on cipherlite's encrypted SQLite, in the browser (the
 * worker's database handle) and in Node (core's `Database`).
 */
export { drizzle, type CipherliteDrizzleDatabase } from './driver.js';
export { live, type LiveableQuery, type LiveQueryArgs } from './live.js';
export { drizzleKitMigrations, type DrizzleKitJournal } from './migrations.js';
