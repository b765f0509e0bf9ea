/** Type tests (checked by the package typecheck, `tsc -b` of packages/kysely/tsconfig.check.json): Kysely's result types through the cipherlite dialect and live(). */
import { describe, expectTypeOf, it } from 'vitest';
import { Kysely } from 'kysely';
import type { Database } from '@cipherlite/core';
import type { CipherliteDatabase } from '@cipherlite/worker';
import { CipherliteDialect, live } from '../src/index.js';
import type { Shop } from './schema.js';

declare const core: Database;
declare const worker: CipherliteDatabase;

describe('@cipherlite/kysely types', () => {
  it('the dialect takes core Database or the worker handle, nothing else', () => {
    expectTypeOf(new CipherliteDialect({ database: core })).toEqualTypeOf<CipherliteDialect>();
    expectTypeOf(new CipherliteDialect({ database: worker })).toEqualTypeOf<CipherliteDialect>();
    // @ts-expect-error — not a database
    new CipherliteDialect({ database: { exec: 1 } });
  });

  it('select, join, returning and transaction results are typed', async () => {
    const db = new Kysely<Shop>({ dialect: new CipherliteDialect({ database: worker }) });
    const joined = await db.selectFrom('orders').innerJoin('customers', 'customers.id', 'orders.customer_id').select(['customers.name', 'orders.note']).execute();
    expectTypeOf(joined).toEqualTypeOf<{ name: string; note: string | null }[]>();
    const returned = await db.insertInto('customers').values({ name: 'Ada' }).returning('id').executeTakeFirstOrThrow();
    expectTypeOf(returned).toEqualTypeOf<{ id: number }>();
    const total = await db.transaction().execute(async (trx) => (await trx.selectFrom('orders').select('total_cents').executeTakeFirst())?.total_cents);
    expectTypeOf(total).toEqualTypeOf<number | undefined>();
  });

  it('live(query) gives useQuery a fetcher of the query result type', () => {
    const db = new Kysely<Shop>({ dialect: new CipherliteDialect({ database: core }) });
    const [, fetcher, options] = live(db.selectFrom('customers').select(['id', 'vip']));
    expectTypeOf(fetcher).returns.resolves.toEqualTypeOf<{ id: number; vip: number }[]>();
    expectTypeOf(options.statements).toEqualTypeOf<readonly string[]>();
  });
});
