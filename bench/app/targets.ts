/**
 * The three databases every workload runs on, in the same worker, same run:
 *  - plain-sahpool: the official sqlite-wasm `opfs-sahpool` VFS — the unencrypted baseline users
 *    would otherwise pick;
 *  - cipherlite-opfs: cipherlite's encrypted VFS on OPFS (the product);
 *  - memory: an in-memory database (no I/O, no encryption) as the floor.
 * All three are driven through the same oo1 handle with the same prepared statements, page size,
 * cache size, journal mode and synchronous level, so a ratio measures the VFS + encryption cost
 * only. (The async Database/worker API adds a fixed per-call cost, measured separately.)
 */
import { Database, type SyncStorage } from '@cipherlite/core';
import { internals } from '@cipherlite/core/internal';
import sqlite3InitModule, { type Database as OoDb, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { OpfsStorage, opfsDirectory } from '../../packages/worker/src/engine/storage/opfs.ts';
import type { BenchConfig, Target } from './protocol.ts';

export interface OpenTarget {
  db: OoDb;
  /** Bytes the database occupies on storage. */
  bytes(): Promise<number>;
  close(): Promise<void>;
}

export type Opener = (() => Promise<OpenTarget>) & { dispose?: () => Promise<void> };

let sqlite3: Sqlite3Static | null = null;
let sahPool: { OpfsSAHPoolDb: new (name: string) => OoDb; wipeFiles(): Promise<void>; getFileNames(): string[] } | null = null;

async function plainSqlite(): Promise<Sqlite3Static> {
  sqlite3 ??= await (sqlite3InitModule as unknown as (o: object) => Promise<Sqlite3Static>)({ print: () => {}, printErr: () => {} });
  return sqlite3;
}

const KEY = new Uint8Array(32).fill(42);

function pragmas(cfg: BenchConfig, wal = false): string {
  const journal = wal ? 'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA journal_size_limit = 0;' : `PRAGMA journal_mode = ${cfg.plainJournalMode};`;
  return `${journal} PRAGMA synchronous = FULL; PRAGMA cache_size = -${cfg.cacheKiB}; PRAGMA temp_store = MEMORY;`;
}

export async function makeOpener(target: Target, cfg: BenchConfig, fresh: boolean): Promise<Opener> {
  if (target === 'memory') {
    const s = await plainSqlite();
    let shared: OoDb | null = null;
    return async () => {
      // ":memory:" cannot be reopened; a cold scan on it is the same as a warm one.
      shared ??= new s.oo1.DB(':memory:');
      if (fresh) shared.exec(`PRAGMA page_size = ${cfg.pageSize}; ${pragmas(cfg)}`);
      return { db: shared, bytes: async () => Number(shared!.selectValue('PRAGMA page_count')) * cfg.pageSize, close: async () => {} };
    };
  }
  if (target === 'plain-sahpool' || target === 'plain-sahpool-wal') {
    const wal = target === 'plain-sahpool-wal';
    const s = await plainSqlite();
    sahPool ??= (await (s as unknown as { installOpfsSAHPoolVfs(o: object): Promise<typeof sahPool> }).installOpfsSAHPoolVfs({
      name: 'bench-sahpool',
      directory: '.bench-sahpool',
      initialCapacity: 8,
    }))!;
    if (fresh) await sahPool.wipeFiles();
    let first = fresh;
    return async () => {
      const db = new sahPool!.OpfsSAHPoolDb('/bench.db');
      if (wal) db.exec('PRAGMA locking_mode = EXCLUSIVE');
      if (first) db.exec(`PRAGMA page_size = ${cfg.pageSize}; VACUUM;`);
      first = false;
      db.exec(pragmas(cfg, wal));
      return { db, bytes: async () => Number(db.selectValue('PRAGMA page_count')) * cfg.pageSize, close: async () => db.close() };
    };
  }
  // cipherlite on OPFS
  const dir = await opfsDirectory(`bench-${target}`);
  if (fresh) {
    // Collect first: removing entries while iterating the directory is not reliable.
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    for (const name of names) await dir.removeEntry(name);
  }
  const opfs = await OpfsStorage.open(dir);
  const storage: SyncStorage = cfg.ioStats ? instrument(opfs) : opfs;
  // Sync access handles are exclusive: release them before the next run empties the directory.
  return Object.assign(
    async () => {
      const d = await Database.open({
        storage,
        name: 'bench.db',
        key: KEY,
        pageSize: cfg.pageSize,
        cacheSizeKiB: cfg.cacheKiB,
        journalMode: target === 'cipherlite-opfs-wal' ? 'WAL' : cfg.journalMode,
        synchronous: 'FULL',
      });
      const { db } = internals(d).sqlite;
      return {
        db,
        bytes: async () => storage.open('bench.db', { create: false }).getSize(),
        close: () => d.close(),
      };
    },
    { dispose: () => opfs.close() },
  );
}

/** Per-operation time spent in storage calls (for profiling the VFS; printed by the driver). */
export const ioStats: Record<string, { n: number; ms: number }> = {};
function timed<T>(op: string, f: () => T): T {
  const t = performance.now();
  try {
    return f();
  } finally {
    const s = (ioStats[op] ??= { n: 0, ms: 0 });
    s.n++;
    s.ms += performance.now() - t;
  }
}
function instrument(s: SyncStorage): SyncStorage {
  return {
    open: (name, o) => {
      const f = timed('open', () => s.open(name, o));
      return {
        read: (b, at) => timed('read', () => f.read(b, at)),
        write: (b, at) => timed('write', () => f.write(b, at)),
        truncate: (n) => timed('truncate', () => f.truncate(n)),
        getSize: () => timed('getSize', () => f.getSize()),
        flush: () => timed('flush', () => f.flush()),
        close: () => timed('close', () => f.close()),
      };
    },
    exists: (n) => timed('exists', () => s.exists(n)),
    delete: (n) => timed('delete', () => s.delete(n)),
    list: () => s.list(),
    prepare: (names) => s.prepare!(names),
  };
}

/** For the memory figures: the sqlite3 module instances the targets ran on. */
export async function plainSqliteForStats(): Promise<{ wasm: { heap8u(): Uint8Array } }> {
  return await plainSqlite();
}
export async function loadSqliteForStats(): Promise<{ wasm: { heap8u(): Uint8Array } }> {
  const { loadSqlite } = await import('../../packages/core/src/sqlite/loader.ts');
  return await loadSqlite();
}
