/** @cipherlite/drizzle on core's Database (a real encrypted sqlite-wasm database, in memory). */
import { afterEach, describe, expect, it } from 'vitest';
import { asc, count, eq, sql } from 'drizzle-orm';
import { TransactionRollbackError } from 'drizzle-orm';
import { memoryDatabases } from '../../react/test/helpers.js';
import { drizzle } from '../src/index.js';
import { customers, DDL, orders, customersRelations, ordersRelations } from './schema.js';

const schema = { customers, orders, customersRelations, ordersRelations };
const databases = memoryDatabases(DDL);
afterEach(() => databases.closeAll());
async function setup() {
  const { database } = await databases.open();
  return { database, db: drizzle(database, { schema }) };
}

describe('queries', () => {
  it('insert … returning, select with where/order, update, delete; run reports the rows changed', async () => {
    const { db } = await setup();
    const inserted = await db
      .insert(customers)
      .values([{ name: 'Ada', vip: true }, { name: 'Grace' }])
      .returning();
    expect(inserted).toEqual([
      { id: 1, name: 'Ada', vip: true },
      { id: 2, name: 'Grace', vip: false },
    ]);
    expect(await db.select({ name: customers.name }).from(customers).where(eq(customers.vip, false))).toEqual([{ name: 'Grace' }]);
    const updated = await db.update(customers).set({ vip: true }).where(eq(customers.id, 2)).run();
    expect(updated).toMatchObject({ changes: 1 });
    await db.delete(customers).where(eq(customers.id, 1));
    expect(await db.select().from(customers)).toEqual([{ id: 2, name: 'Grace', vip: true }]);
    expect(await db.get(sql`SELECT count(*) AS n FROM customers`)).toEqual([1]);
  });

  it('a join keeps columns of equal names apart (rows travel as arrays)', async () => {
    const { db } = await setup();
    await db.insert(customers).values({ id: 7, name: 'Ada' });
    await db.insert(orders).values({ id: 70, customerId: 7, totalCents: 1250 });
    const rows = await db.select({ customer: customers.id, order: orders.id, name: customers.name }).from(orders).innerJoin(customers, eq(customers.id, orders.customerId));
    expect(rows).toEqual([{ customer: 7, order: 70, name: 'Ada' }]);
  });

  it('relational queries (schema given)', async () => {
    const { db } = await setup();
    await db.insert(customers).values({ id: 1, name: 'Ada' });
    await db.insert(orders).values([
      { customerId: 1, totalCents: 500 },
      { customerId: 1, totalCents: 700, note: 'gift' },
    ]);
    const found = await db.query.customers.findFirst({ with: { orders: { orderBy: [asc(orders.totalCents)] } } });
    expect(found?.orders.map((o) => o.totalCents)).toEqual([500, 700]);
    expect(found?.name).toBe('Ada');
  });

  it('an SQL error is a CipherliteError SQL', async () => {
    const { db } = await setup();
    await expect(db.insert(orders).values({ customerId: 1, totalCents: null as unknown as number })).rejects.toMatchObject({ cause: expect.objectContaining({ code: 'SQL' }) });
  });
});

describe('batch', () => {
  it('runs every query in order in one transaction and returns each result', async () => {
    const { db } = await setup();
    const [ins, sel, cnt] = await db.batch([db.insert(customers).values({ name: 'Ada' }).returning({ id: customers.id }), db.select().from(customers), db.select({ n: count() }).from(customers)]);
    expect(ins).toEqual([{ id: 1 }]);
    expect(sel).toEqual([{ id: 1, name: 'Ada', vip: false }]);
    expect(cnt).toEqual([{ n: 1 }]);
  });

  it('a failing query rolls back the whole batch', async () => {
    const { db } = await setup();
    await expect(db.batch([db.insert(customers).values({ name: 'Ada' }), db.insert(orders).values({ customerId: 1, totalCents: sql`no_such_function()` })])).rejects.toThrow();
    expect(await db.select().from(customers)).toEqual([]);
  });
});

describe('transactions', () => {
  it('commit: what the callback wrote is there; typed rows inside', async () => {
    const { db } = await setup();
    const id = await db.transaction(async (tx) => {
      const [c] = await tx.insert(customers).values({ name: 'Ada' }).returning();
      await tx.insert(orders).values({ customerId: c!.id, totalCents: 900 });
      return c!.id;
    });
    expect(await db.select({ total: orders.totalCents }).from(orders).where(eq(orders.customerId, id))).toEqual([{ total: 900 }]);
  });

  it('a throw or tx.rollback() rolls everything back', async () => {
    const { db } = await setup();
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(customers).values({ name: 'Ada' });
        throw new Error('card declined');
      }),
    ).rejects.toThrow('card declined');
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(customers).values({ name: 'Grace' });
        tx.rollback();
      }),
    ).rejects.toBeInstanceOf(TransactionRollbackError);
    expect(await db.select().from(customers)).toEqual([]);
  });

  it('is isolated: a call made while it runs waits and sees the committed state, never the middle', async () => {
    const { db } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const events: string[] = [];
    const tx = db.transaction(async (t) => {
      await t.insert(customers).values({ name: 'Ada' });
      events.push('tx wrote 1 of 2');
      await gate;
      await t.insert(customers).values({ name: 'Grace' });
      events.push('tx wrote 2 of 2');
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = db
      .select({ n: count() })
      .from(customers)
      .then((rows) => {
        events.push(`outside read ${rows[0]!.n}`);
      });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([tx, outside]);
    expect(events).toEqual(['tx wrote 1 of 2', 'tx wrote 2 of 2', 'outside read 2']);
  });

  it('nested transactions are savepoints: the inner one rolls back alone', async () => {
    const { db } = await setup();
    await db.transaction(async (tx) => {
      await tx.insert(customers).values({ name: 'Ada' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(customers).values({ name: 'Grace' });
          inner.rollback();
        }),
      ).rejects.toBeInstanceOf(TransactionRollbackError);
      await tx.transaction(async (inner) => {
        await inner.insert(customers).values({ name: 'Linus' });
      });
    });
    expect((await db.select({ name: customers.name }).from(customers)).map((r) => r.name)).toEqual(['Ada', 'Linus']);
  });

  it('relational queries work inside a transaction', async () => {
    const { db } = await setup();
    const found = await db.transaction(async (tx) => {
      await tx.insert(customers).values({ id: 3, name: 'Ada' });
      return tx.query.customers.findMany({ with: { orders: true } });
    });
    expect(found).toEqual([{ id: 3, name: 'Ada', vip: false, orders: [] }]);
  });
});
