/**
 * The floor any worker-based database pays: plain sqlite-wasm + opfs-sahpool answering
 * statements (no encryption, no multi-tab coordination), with its prepared statements cached and
 * rows returned as objects — what cipherlite's client returns. Two entry points serve it:
 * `bare-worker.ts` (raw `postMessage`) and `bare-comlink-worker.ts` (the same through Comlink).
 */
import sqlite3InitModule, { type Database as OoDb, type PreparedStatement, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { BareRequest, DistributiveOmit, Stmt } from './latency-protocol.ts';

interface SahPool {
  OpfsSAHPoolDb: new (name: string) => OoDb;
  exportFile(name: string): Uint8Array;
  pauseVfs(): void;
}

let sqlite3: Sqlite3Static | null = null;
let pool: SahPool | null = null;
let db: OoDb | null = null;
let dbName = '';
const statements = new Map<string, PreparedStatement>();

function prepared(sql: string, params: Stmt['params']): PreparedStatement {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = db!.prepare(sql);
    statements.set(sql, stmt);
  }
  stmt.reset(true);
  if (params.length > 0) stmt.bind(params as never);
  return stmt;
}

function run(sql: string, params: Stmt['params']): { changes: number; lastInsertRowid: number } {
  prepared(sql, params).stepReset();
  return { changes: db!.changes(), lastInsertRowid: Number(sqlite3!.capi.sqlite3_last_insert_rowid(db!)) };
}

function all(sql: string, params: Stmt['params']): Record<string, unknown>[] {
  const stmt = prepared(sql, params);
  const rows: Record<string, unknown>[] = [];
  while (stmt.step()) rows.push(stmt.get({}));
  stmt.reset();
  return rows;
}

/** Runs one request (without its id) on this worker's database. */
export async function handle(req: DistributiveOmit<BareRequest, 'id'>): Promise<unknown> {
  switch (req.op) {
    case 'open':
      sqlite3 ??= await (sqlite3InitModule as unknown as (o: object) => Promise<Sqlite3Static>)({ print: () => {}, printErr: () => {} });
      // One pool directory per worker kind: a pool holds every file of its directory open.
      pool ??= await (sqlite3 as unknown as { installOpfsSAHPoolVfs(o: object): Promise<SahPool> }).installOpfsSAHPoolVfs({ name: req.pool, directory: `.${req.pool}` });
      dbName = `/${req.name}`;
      db = new pool.OpfsSAHPoolDb(dbName);
      // The same page cache and durability as cipherlite's defaults; SQLite's default journal.
      db.exec('PRAGMA cache_size = -32768; PRAGMA synchronous = FULL');
      return null;
    case 'get':
      return all(req.sql, req.params)[0];
    case 'all':
      return all(req.sql, req.params);
    case 'run':
      return run(req.sql, req.params);
    case 'batch':
      db!.exec('BEGIN');
      try {
        const results = req.stmts.map((s) => run(s.sql, s.params));
        db!.exec('COMMIT');
        return results;
      } catch (e) {
        db!.exec('ROLLBACK');
        throw e;
      }
    case 'integrityCheck':
      return all('PRAGMA integrity_check', []);
    case 'exportFile':
      return pool!.exportFile(dbName);
    case 'close':
      for (const s of statements.values()) s.finalize();
      statements.clear();
      db?.close();
      db = null;
      // Releases the pool's sync access handles, so a new worker can open the files at once.
      pool?.pauseVfs();
      return null;
  }
}
