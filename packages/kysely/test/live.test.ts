/**
 * live(query) with @cipherlite/react's QueryCache (the object behind useQuery), on a real
 * encrypted database: the value reloads when a table the query reads changes, and only then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Kysely } from 'kysely';
import { QueryCache } from '@cipherlite/react';
import { memoryDatabases, until } from '../../react/test/helpers.js';
import { CipherliteDialect, live } from '../src/index.js';
import { DDL, type Shop } from './schema.js';

const databases = memoryDatabases(DDL);
afterEach(() => databases.closeAll());

describe('live(query)', () => {
  it('reloads after a write to a table the query reads (a subquery counts), not after others', async () => {
    const { database, live: liveDb } = await databases.open();
    const db = new Kysely<Shop>({ dialect: new CipherliteDialect({ database }) });
    await db.insertInto('customers').values({ id: 1, name: 'Ada' }).execute();

    const cache = new QueryCache(liveDb);
    const query = db
      .selectFrom('customers')
      .select((eb) => [
        'name',
        eb
          .selectFrom('orders')
          .whereRef('orders.customer_id', '=', 'customers.id')
          .select((o) => o.fn.countAll<number>().as('n'))
          .as('orders'),
      ])
      .where('id', '=', 1);
    const value = cache.fetch(...live(query));
    const keepAlive = value.subscribe(() => {});
    expect((await until(value, (s) => s.status === 'success')).data).toEqual([{ name: 'Ada', orders: 0 }]);
    const runsAfterLoad = value.runs;

    await db.insertInto('orders').values({ customer_id: 1, total_cents: 300 }).execute();
    expect((await until(value, (s) => s.data?.[0]?.orders === 1)).data).toEqual([{ name: 'Ada', orders: 1 }]);
    expect(value.runs).toBe(runsAfterLoad + 1);

    await db.insertInto('audit').values({ what: 'unrelated' }).execute();
    await new Promise((r) => setTimeout(r, 50));
    expect(value.runs).toBe(runsAfterLoad + 1);
    keepAlive();
  });
});
