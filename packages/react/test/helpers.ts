/** Test helpers: a REAL encrypted database (core on MemoryStorage) behind the hooks — no mocks. */
import { Database, MemoryStorage } from '@cipherlite/core';
import { CoreLiveDatabase, openCoreDatabase } from '../src/core-adapter.js';
import type { LiveValue } from '../src/live-query.js';
import type { LiveDatabase, LiveResult } from '../src/types.js';

/** The cheapest Argon2id core accepts: the KDF is not under test here. */
export const FAST_KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };
export const PASSWORD = 'correct horse battery staple';

export async function openTestDatabase(name = 'shop.db', storage = new MemoryStorage()): Promise<CoreLiveDatabase> {
  const db = await openCoreDatabase({ storage, name, password: PASSWORD, kdf: FAST_KDF });
  await db.exec(`
    CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price_cents INTEGER NOT NULL CHECK (price_cents >= 0));
    CREATE TABLE sale (id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL);
    INSERT INTO product (name, price_cents) VALUES ('Espresso', 250), ('Croissant', 320);
  `);
  return db;
}

/**
 * Counts the statements that reach the database, by SQL text. A transparent wrapper around the
 * real database (every call goes through), used to prove deduplication and "re-run only when…".
 */
export function counting<D extends LiveDatabase>(db: D): { db: D; queries: string[] } {
  const queries: string[] = [];
  const wrapped = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (sql: string, params?: never) => {
          queries.push(sql);
          return target.query(sql, params);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : (void receiver, v);
    },
  });
  return { db: wrapped, queries };
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Subscribes and resolves with the first snapshot that satisfies `pred`. */
export function until<D>(q: LiveValue<D>, pred: (s: LiveResult<D>) => boolean, timeoutMs = 5000): Promise<LiveResult<D>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out; last snapshot ${JSON.stringify(q.getSnapshot())}`));
    }, timeoutMs);
    const check = () => {
      const s = q.getSnapshot();
      if (pred(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    };
    const off = q.subscribe(check);
    check();
  });
}

/**
 * Opens real encrypted databases in memory (core's `Database` with a raw key) for the adapter
 * tests, each with `ddl` run, wrapped for the live-query cache; `closeAll` closes them.
 */
export function memoryDatabases(ddl: readonly string[]) {
  const opened: CoreLiveDatabase[] = [];
  const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  return {
    async open(): Promise<{ database: Database; live: CoreLiveDatabase }> {
      const storage = new MemoryStorage();
      const database = await Database.open({ storage, name: 'shop.db', key });
      const live = new CoreLiveDatabase(database, { storage, name: 'shop.db' });
      opened.push(live);
      for (const statement of ddl) await database.exec(statement);
      return { database, live };
    },
    async closeAll(): Promise<void> {
      for (const db of opened.splice(0)) await db.close();
    },
  };
}
