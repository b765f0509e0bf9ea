/** Test helpers: a REAL encrypted database (core on MemoryStorage) behind the hooks — no mocks. */
import { MemoryStorage } from '@cipherlite/core';
import { openCoreDatabase, type CoreLiveDatabase } from '../src/core-adapter.js';
import type { LiveDatabase } from '../src/types.js';

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
