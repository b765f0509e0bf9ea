/**
 * live(query) with @cipherlite/react's QueryCache (the object behind useQuery), on a real
 * encrypted database: the value reloads when a table the query reads changes, and only then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { Database, MemoryStorage } from '@cipherlite/core';
import { QueryCache, type LiveResult, type LiveValue } from '@cipherlite/react';
import { CoreLiveDatabase } from '@cipherlite/react/core';
import { drizzle, live } from '../src/index.js';
import { customers, DDL, orders } from './schema.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
let opened: CoreLiveDatabase[] = [];
afterEach(async () => {
  for (const db of opened) await db.close();
  opened = [];
});

function until<D>(v: LiveValue<D>, pred: (s: LiveResult<D>) => boolean): Promise<LiveResult<D>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(v.getSnapshot())}`)), 5000);
    const check = () => {
      const s = v.getSnapshot();
      if (pred(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    };
    const off = v.subscribe(check);
    check();
  });
}

describe('live(query)', () => {
  it('reloads after a write to a table the query reads (a join: both tables), not after others', async () => {
    const database = await Database.open({ storage: new MemoryStorage(), name: 'live.db', key: KEY });
    const liveDb = new CoreLiveDatabase(database, { storage: new MemoryStorage(), name: 'live.db' });
    opened.push(liveDb);
    for (const ddl of DDL) await database.exec(ddl);
    const db = drizzle(database);
    await db.insert(customers).values({ id: 1, name: 'Ada' });

    const cache = new QueryCache(liveDb);
    const query = db.select({ name: customers.name, total: orders.totalCents }).from(orders).innerJoin(customers, eq(customers.id, orders.customerId));
    const value = cache.fetch(...live(query));
    const keepAlive = value.subscribe(() => {});
    expect((await until(value, (s) => s.status === 'success')).data).toEqual([]);
    const runsAfterLoad = value.runs;

    await db.insert(orders).values({ customerId: 1, totalCents: 300 });
    expect((await until(value, (s) => s.data?.length === 1)).data).toEqual([{ name: 'Ada', total: 300 }]);

    await db.update(customers).set({ name: 'Ada L.' }).where(eq(customers.id, 1));
    expect((await until(value, (s) => s.data?.[0]?.name === 'Ada L.')).data).toEqual([{ name: 'Ada L.', total: 300 }]);
    const runsBeforeUnrelated = value.runs;
    expect(runsBeforeUnrelated).toBe(runsAfterLoad + 2);

    await database.exec("INSERT INTO audit (what) VALUES ('unrelated')");
    await new Promise((r) => setTimeout(r, 50));
    expect(value.runs).toBe(runsBeforeUnrelated);
    keepAlive();
  });

  it('equal queries share one key; different parameters do not', () => {
    const db = drizzle({} as never);
    const a = live(db.select().from(customers).where(eq(customers.id, 1)));
    const b = live(db.select().from(customers).where(eq(customers.id, 1)));
    const c = live(db.select().from(customers).where(eq(customers.id, 2)));
    expect(a[0]).toEqual(b[0]);
    expect(a[0]).not.toEqual(c[0]);
    expect(a[2].statements[0]).toMatch(/^select .* from "customers"/);
  });
});
