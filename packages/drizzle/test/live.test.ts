/**
 * live(query) with @cipherlite/react's QueryCache (the object behind useQuery), on a real
 * encrypted database: the value reloads when a table the query reads changes, and only then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { QueryCache } from '@cipherlite/react';
import { memoryDatabases, until } from '../../react/test/helpers.js';
import { drizzle, live } from '../src/index.js';
import { customers, DDL, orders } from './schema.js';

const databases = memoryDatabases(DDL);
afterEach(() => databases.closeAll());

describe('live(query)', () => {
  it('reloads after a write to a table the query reads (a join: both tables), not after others', async () => {
    const { database, live: liveDb } = await databases.open();
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
