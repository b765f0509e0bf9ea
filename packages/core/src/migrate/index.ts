/**
 * `@cipherlite/core/migrate` — migrations and the `SqlClient` interface the SQL adapters share.
 * Imports no SQLite: the browser page can use it with the worker's database handle.
 */
export { migrate, MIGRATIONS_TABLE, type MigrateResult, type MigrationStep } from './migrate.js';
export type { LiveSqlClient, SqlClient, SqlTransaction } from './sql-client.js';
/** The error type, for adapters that must not import the SQLite-carrying root entry on the page. */
export { CipherliteError, isCipherliteError, type ErrorCode } from '../errors.js';
