/** @cipherlite/kysely on core's Database (a real encrypted sqlite-wasm database, in memory). */
import { afterEach, describe, expect, it } from 'vitest';
import { Kysely, sql } from 'kysely';
import { memoryDatabases } from '../../react/test/helpers.js';
import { CipherliteDialect } from '../src/index.js';
import { DDL, type Shop } from './schema.js';

const databases = memoryDatabases(DDL);
afterEach(() => databases.closeAll());
async function setup() {
  const { database } = await databases.open();
  return { database, db: new Kysely<Shop>({ dialect: new CipherliteDialect({ database }) }) };
}

describe('queries', () => {
  it('insert (insertId, numInsertedOrUpdatedRows), returning, select with join, update, delete', async () => {
    const { db } = await setup();
    const ins = await db
      .insertInto('customers')
      .values([{ name: 'Ada' }, { name: 'Grace' }])
      .executeTakeFirstOrThrow();
    expect(ins).toMatchObject({ insertId: 2n, numInsertedOrUpdatedRows: 2n });
    const returned = await db.insertInto('orders').values({ customer_id: 1, total_cents: 450 }).returning(['id', 'total_cents']).execute();
    expect(returned).toEqual([{ id: 1, total_cents: 450 }]);
    const joined = await db.selectFrom('orders').innerJoin('customers', 'customers.id', 'orders.customer_id').select(['customers.id as customer', 'orders.id as order', 'customers.name']).execute();
    expect(joined).toEqual([{ customer: 1, order: 1, name: 'Ada' }]);
    expect(await db.updateTable('customers').set({ vip: 1 }).where('name', '=', 'Grace').executeTakeFirst()).toMatchObject({ numUpdatedRows: 1n });
    expect(await db.deleteFrom('customers').where('id', '=', 2).executeTakeFirst()).toMatchObject({ numDeletedRows: 1n });
    expect(await db.selectFrom('customers').selectAll().execute()).toEqual([{ id: 1, name: 'Ada', vip: 0 }]);
  });

  it('raw sql: reads return rows, writes return the rows changed', async () => {
    const { db } = await setup();
    const w = await sql`INSERT INTO audit (what) VALUES (${'opened'}), (${'closed'})`.execute(db);
    expect(w.numAffectedRows).toBe(2n);
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM audit`.execute(db);
    expect(r.rows).toEqual([{ n: 2 }]);
  });

  it('an SQL error is a CipherliteError SQL', async () => {
    const { db } = await setup();
    await expect(sql`INSERT INTO nowhere VALUES (1)`.execute(db)).rejects.toMatchObject({ name: 'CipherliteError', code: 'SQL' });
  });

  it('introspection (Kysely’s SQLite introspector) lists the tables and columns', async () => {
    const { db } = await setup();
    const tables = await db.introspection.getTables();
    expect(tables.map((t) => t.name).sort()).toEqual(['audit', 'customers', 'orders']);
    expect(tables.find((t) => t.name === 'orders')!.columns.map((c) => [c.name, c.isNullable])).toEqual([
      ['id', true], // SQLite's own answer: INTEGER PRIMARY KEY without NOT NULL
      ['customer_id', false],
      ['total_cents', false],
      ['note', true],
    ]);
  });
});

describe('transactions', () => {
  it('commit and rollback', async () => {
    const { db } = await setup();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values({ name: 'Ada' }).execute();
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('customers').values({ name: 'Grace' }).execute();
        throw new Error('card declined');
      }),
    ).rejects.toThrow('card declined');
    const trx = await db.startTransaction().execute();
    await trx.insertInto('customers').values({ name: 'Linus' }).execute();
    await trx.rollback().execute();
    expect((await db.selectFrom('customers').select('name').execute()).map((r) => r.name)).toEqual(['Ada']);
  });

  it('is isolated: a call made while it runs waits and sees the committed state, never the middle', async () => {
    const { db } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const events: string[] = [];
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values({ name: 'Ada' }).execute();
      events.push('tx wrote 1 of 2');
      await gate;
      await trx.insertInto('customers').values({ name: 'Grace' }).execute();
      events.push('tx wrote 2 of 2');
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
      .then((row) => void events.push(`outside read ${row.n}`));
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([tx, outside]);
    expect(events).toEqual(['tx wrote 1 of 2', 'tx wrote 2 of 2', 'outside read 2']);
  });

  it('savepoints inside a controlled transaction', async () => {
    const { db } = await setup();
    const trx = await db.startTransaction().execute();
    await trx.insertInto('customers').values({ name: 'Ada' }).execute();
    const sp = await trx.savepoint('before_grace').execute();
    await sp.insertInto('customers').values({ name: 'Grace' }).execute();
    await sp.rollbackToSavepoint('before_grace').execute();
    await trx.insertInto('customers').values({ name: 'Linus' }).execute();
    await trx.commit().execute();
    expect((await db.selectFrom('customers').select('name').execute()).map((r) => r.name)).toEqual(['Ada', 'Linus']);
  });

  it('a transaction that cannot start (database closed) rejects with CLOSED', async () => {
    const { db, database } = await setup();
    await database.close();
    await expect(db.transaction().execute(async () => undefined)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
