/** Type tests (checked by the package typecheck, `tsc -b` of packages/drizzle/tsconfig.check.json): Drizzle's inferred row types flow through the cipherlite driver, its transactions, batch and live(). */
import { describe, expectTypeOf, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Database } from '@cipherlite/core';
import type { CipherliteDatabase } from '@cipherlite/worker';
import type { SqlClient } from '@cipherlite/core/migrate';
import { drizzle, live } from '../src/index.js';
import { customers, customersRelations, orders, ordersRelations } from './schema.js';

declare const core: Database;
declare const worker: CipherliteDatabase;
const schema = { customers, orders, customersRelations, ordersRelations };

describe('@cipherlite/drizzle types', () => {
  it('accepts core Database and the worker handle; $client is the SqlClient', () => {
    expectTypeOf(drizzle(core).$client).toEqualTypeOf<SqlClient>();
    expectTypeOf(drizzle(worker, { schema }).query.customers).toHaveProperty('findMany');
    // @ts-expect-error — not a database
    drizzle({ exec: 1 });
  });

  it('select, returning, relational and transaction results are typed', async () => {
    const db = drizzle(worker, { schema });
    expectTypeOf(await db.select({ name: customers.name, total: orders.totalCents }).from(orders).innerJoin(customers, eq(customers.id, orders.customerId))).toEqualTypeOf<
      { name: string; total: number }[]
    >();
    expectTypeOf(await db.insert(customers).values({ name: 'Ada' }).returning({ id: customers.id, vip: customers.vip })).toEqualTypeOf<{ id: number; vip: boolean }[]>();
    const inTx = await db.transaction(async (tx) => (await tx.query.orders.findFirst({ with: { customer: true } }))?.customer.name);
    expectTypeOf(inTx).toEqualTypeOf<string | undefined>();
    const [a, b] = await db.batch([db.select({ id: customers.id }).from(customers), db.select({ note: orders.note }).from(orders)]);
    expectTypeOf(a).toEqualTypeOf<{ id: number }[]>();
    expectTypeOf(b).toEqualTypeOf<{ note: string | null }[]>();
  });

  it('live(query) gives useQuery a fetcher of the query result type', () => {
    const db = drizzle(core);
    const [key, fetcher, options] = live(db.select({ id: customers.id }).from(customers));
    expectTypeOf(key).toEqualTypeOf<readonly unknown[]>();
    expectTypeOf(fetcher).returns.resolves.toEqualTypeOf<{ id: number }[]>();
    expectTypeOf(options.statements).toEqualTypeOf<readonly string[]>();
  });
});
