/**
 * `CipherliteDialect`: Kysely on cipherlite's encrypted SQLite — core's `Database` in Node, the
 * worker's `CipherliteDatabase` in the browser (anything with the `SqlClient` shape).
 *
 * SQL, schema introspection and the adapter are Kysely's own SQLite ones; the driver runs the
 * statements through cipherlite. Transactions (`db.transaction().execute(fn)`,
 * `db.startTransaction()`) are cipherlite transactions: isolated from every other call and tab
 * until they commit or roll back; savepoints work inside them.
 */
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from 'kysely';
import type { SqlClient } from '@cipherlite/core/migrate';
import { CipherliteConnection } from './connection.js';

export interface CipherliteDialectConfig {
  /** The database: `openDatabase()`'s handle (browser) or core's `Database` (Node). */
  database: SqlClient;
}

/** `"name"` with inner quotes doubled: a savepoint name as an SQL identifier. */
const identifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const asConnection = (c: DatabaseConnection): CipherliteConnection => c as CipherliteConnection;

export class CipherliteDriver implements Driver {
  readonly #client: SqlClient;

  constructor(client: SqlClient) {
    this.#client = client;
  }

  async init(): Promise<void> {}

  /** A fresh connection per use: cipherlite orders the calls itself, there is no pool to manage. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new CipherliteConnection(this.#client);
  }

  /** Isolation and access mode are cipherlite's: one writer at a time, serialisable. */
  beginTransaction(connection: DatabaseConnection): Promise<void> {
    return asConnection(connection).begin();
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return asConnection(connection).end(true);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return asConnection(connection).end(false);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${identifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${identifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${identifier(name)}`));
  }

  async releaseConnection(): Promise<void> {}

  /** The database belongs to the caller: `kysely.destroy()` does not close it. */
  async destroy(): Promise<void> {}
}

export class CipherliteDialect implements Dialect {
  readonly #client: SqlClient;

  constructor(config: CipherliteDialectConfig) {
    this.#client = config.database;
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createDriver(): Driver {
    return new CipherliteDriver(this.#client);
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
}
