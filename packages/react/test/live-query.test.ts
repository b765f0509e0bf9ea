/** LiveQuery and QueryCache without React, against a real encrypted database. */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveQuery, QueryCache } from '../src/live-query.js';
import { fetcherKey, queryKey } from '../src/query-key.js';
import { CipherliteError } from '@cipherlite/core';
import type { LiveDatabase } from '../src/types.js';
import { counting, openTestDatabase, PASSWORD, tick, until } from './helpers.js';
import type { CoreLiveDatabase } from '../src/core-adapter.js';

let opened: CoreLiveDatabase[] = [];
afterEach(async () => {
  for (const db of opened) await db.close();
  opened = [];
});
async function open() {
  const db = await openTestDatabase();
  opened.push(db);
  return db;
}

describe('LiveQuery', () => {
  it('starts pending, loads on first subscribe, and stays idle without subscribers', async () => {
    const { db, queries } = counting(await open());
    const q = new LiveQuery<{ name: string }>(db, 'SELECT name FROM product ORDER BY name');
    expect(q.getSnapshot()).toMatchObject({ status: 'pending', data: undefined, error: null });
    await tick(20);
    expect(queries).toEqual([]);
    const s = await until(q, (s) => s.status === 'success');
    expect(s.data).toEqual([{ name: 'Croissant' }, { name: 'Espresso' }]);
    expect(s.fetching).toBe(false);
  });

  it('re-runs when a table it reads changes, and not when another table changes', async () => {
    const { db, queries } = counting(await open());
    const q = new LiveQuery<{ n: number }>(db, 'SELECT count(*) AS n FROM product');
    const off = q.subscribe(() => {});
    await until(q, (s) => s.status === 'success');
    expect(queries.length).toBe(1);

    await db.exec('INSERT INTO sale (total_cents) VALUES (100)'); // not read by q
    await tick(20);
    expect(queries.length).toBe(1);

    await db.exec("INSERT INTO product (name, price_cents) VALUES ('Tea', 200)");
    const s = await until(q, (s) => s.status === 'success' && s.data[0]!.n === 3);
    expect(s.data).toEqual([{ n: 3 }]);
    expect(queries.length).toBe(2);
    off();
  });

  it('sees writes made by anyone on the database, joins and views included', async () => {
    const raw = await open();
    await raw.exec('CREATE VIEW cheap AS SELECT name FROM product WHERE price_cents < 300');
    const q = new LiveQuery<{ name: string }>(raw, 'SELECT name FROM cheap ORDER BY name');
    const off = q.subscribe(() => {});
    expect((await until(q, (s) => s.status === 'success')).data).toEqual([{ name: 'Espresso' }]);
    // Written through core's Database directly, as the worker's leader does for another tab.
    await raw.database.exec("INSERT INTO product (name, price_cents) VALUES ('Biscuit', 90)");
    expect((await until(q, (s) => s.data?.length === 2)).data).toEqual([{ name: 'Biscuit' }, { name: 'Espresso' }]);
    off();
  });

  it('coalesces a burst of changes into few runs and ends on the latest data', async () => {
    const { db, queries } = counting(await open());
    const q = new LiveQuery<{ n: number }>(db, 'SELECT count(*) AS n FROM product');
    const off = q.subscribe(() => {});
    await until(q, (s) => s.status === 'success');
    await Promise.all(Array.from({ length: 20 }, (_, i) => db.exec('INSERT INTO product (name, price_cents) VALUES (?, ?)', [`p${i}`, i])));
    const s = await until(q, (s) => s.status === 'success' && !s.fetching && s.data[0]!.n === 22);
    expect(s.data![0]!.n).toBe(22);
    expect(queries.length).toBeLessThan(21);
    off();
  });

  it('keeps the same snapshot object when a re-run returns equal rows', async () => {
    const db = await open();
    const q = new LiveQuery<{ name: string }>(db, "SELECT name FROM product WHERE name = 'Espresso'");
    const off = q.subscribe(() => {});
    const first = await until(q, (s) => s.status === 'success');
    await db.exec("UPDATE product SET price_cents = 260 WHERE name = 'Espresso'");
    await tick(50);
    expect(q.getSnapshot().data).toBe(first.data);
    off();
  });

  it('reports SQL errors as CipherliteError with data kept, and recovers when the table appears', async () => {
    const db = await open();
    const q = new LiveQuery(db, 'SELECT * FROM customer');
    const off = q.subscribe(() => {});
    const s = await until(q, (s) => s.status === 'error');
    expect(s.error).toMatchObject({ name: 'CipherliteError', code: 'SQL' });
    expect(s.error!.message).toMatch(/no such table: customer/);
    // Read set unknown → any committed change re-runs it.
    await db.exec("CREATE TABLE customer (name TEXT); INSERT INTO customer VALUES ('Ada')");
    expect((await until(q, (s) => s.status === 'success')).data).toEqual([{ name: 'Ada' }]);
    off();
  });

  it('drops its rows when the database locks and reloads after unlock', async () => {
    const db = await open();
    const q = new LiveQuery<{ name: string }>(db, 'SELECT name FROM product ORDER BY id');
    const off = q.subscribe(() => {});
    await until(q, (s) => s.status === 'success');
    await db.lock();
    expect(q.getSnapshot()).toMatchObject({ status: 'pending', data: undefined });
    await expect(db.unlock('wrong')).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(q.getSnapshot().status).toBe('pending');
    await db.unlock(PASSWORD);
    expect((await until(q, (s) => s.status === 'success')).data).toEqual([{ name: 'Espresso' }, { name: 'Croissant' }]);
    off();
  });
});

describe('QueryCache', () => {
  it('shares one LiveQuery per sql + params by value, and forgets it after its last subscriber', async () => {
    const { db, queries } = counting(await open());
    const cache = new QueryCache(db);
    const a = cache.get('SELECT * FROM product WHERE price_cents > ?', [100]);
    const b = cache.get('SELECT * FROM product WHERE price_cents > ?', [100]);
    const c = cache.get('SELECT * FROM product WHERE price_cents > ?', [300]);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    const off1 = a.subscribe(() => {});
    const off2 = b.subscribe(() => {});
    await until(a, (s) => s.status === 'success');
    expect(queries.length).toBe(1);
    off1();
    off2();
    off2(); // idempotent
    c.subscribe(() => {})();
    await tick(1100);
    expect(cache.size).toBe(0);
  });

  it('keys parameters by value: objects in any key order, bigint and bytes', () => {
    expect(queryKey('q', { ':a': 1, ':b': 'x' })).toBe(queryKey('q', { ':b': 'x', ':a': 1 }));
    expect(queryKey('q', [1n])).not.toBe(queryKey('q', [1]));
    expect(queryKey('q', [new Uint8Array([1, 2])])).toBe(queryKey('q', [new Uint8Array([1, 2])]));
    expect(queryKey('q', [new Uint8Array([1, 2])])).not.toBe(queryKey('q', [new Uint8Array([1, 3])]));
    expect(queryKey('q')).not.toBe(queryKey('q', []));
  });

  it('never gives different parameters one key: 5n is not "5n", 5 is not "5", bytes are not a look-alike', () => {
    expect(queryKey('q', [5n])).not.toBe(queryKey('q', ['5n']));
    expect(queryKey('q', { ':a': 5n })).not.toBe(queryKey('q', { ':a': '5n' }));
    expect(queryKey('q', [5])).not.toBe(queryKey('q', ['5']));
    expect(queryKey('q', [null])).not.toBe(queryKey('q', ['null']));
    expect(fetcherKey(['x', new Uint8Array([1])])).not.toBe(fetcherKey(['x', { u8: [1] }]));
    expect(queryKey('a|b', [])).not.toBe(queryKey('a', ['b']));
    expect(fetcherKey('SELECT 1')).not.toBe(queryKey('SELECT 1'));
    expect(() => fetcherKey([new Date(0)])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('two queries that differ only by 5n vs "5n" get their own rows', async () => {
    const db = await open();
    const cache = new QueryCache(db);
    const asBigint = cache.get<{ v: string }>('SELECT typeof(?) AS v', [5n]);
    const asString = cache.get<{ v: string }>('SELECT typeof(?) AS v', ['5n']);
    expect(asBigint).not.toBe(asString);
    const offs = [asBigint.subscribe(() => {}), asString.subscribe(() => {})];
    expect((await until(asBigint, (s) => s.status === 'success')).data).toEqual([{ v: 'integer' }]);
    expect((await until(asString, (s) => s.status === 'success')).data).toEqual([{ v: 'text' }]);
    for (const off of offs) off();
  });
});

describe('QueryCache.fetch (any async fetcher)', () => {
  it('shares one value per key, loads the fetcher, and reloads after any committed change by default', async () => {
    const db = await open();
    const cache = new QueryCache(db);
    let loads = 0;
    const fetcher = async (d: LiveDatabase) => {
      loads++;
      const [p] = await d.query<{ n: number }>('SELECT count(*) AS n FROM product');
      const [s] = await d.query<{ n: number }>('SELECT count(*) AS n FROM sale');
      return { products: p!.n, sales: s!.n };
    };
    const v = cache.fetch(['counts'], fetcher);
    expect(cache.fetch(['counts'], fetcher)).toBe(v);
    const off = v.subscribe(() => {});
    expect((await until(v, (s) => s.status === 'success')).data).toEqual({ products: 2, sales: 0 });
    await db.exec('INSERT INTO sale (total_cents) VALUES (100)');
    expect((await until(v, (s) => s.data?.sales === 1)).data).toEqual({ products: 2, sales: 1 });
    expect(loads).toBe(2);
    off();
  });

  it('with tables, reloads only when one of them changes; equal results keep the data object', async () => {
    const db = await open();
    const cache = new QueryCache(db);
    let loads = 0;
    const v = cache.fetch(
      'names',
      async (d) => {
        loads++;
        return (await d.query<{ name: string }>('SELECT name FROM product ORDER BY name')).map((r) => r.name);
      },
      { tables: ['Product'] },
    );
    const off = v.subscribe(() => {});
    const first = await until(v, (s) => s.status === 'success');
    await db.exec('INSERT INTO sale (total_cents) VALUES (100)'); // not a table it depends on
    await tick(30);
    expect(loads).toBe(1);
    await db.exec("UPDATE product SET price_cents = 1 WHERE name = 'Espresso'"); // same names
    await until(v, (s) => loads === 2 && !s.fetching);
    expect(v.getSnapshot().data).toBe(first.data);
    await db.exec("INSERT INTO product (name, price_cents) VALUES ('Tea', 200)");
    expect((await until(v, (s) => s.data?.length === 3)).data).toEqual(['Croissant', 'Espresso', 'Tea']);
    off();
  });

  it('with statements, depends on the tables those statements read (plus any tables given)', async () => {
    const db = await open();
    await db.exec('CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)');
    const cache = new QueryCache(db);
    let loads = 0;
    const sql = 'SELECT p.name FROM product p WHERE p.id IN (SELECT id FROM sale)';
    const v = cache.fetch(
      'sold',
      async (d) => {
        loads++;
        return d.query(sql);
      },
      { statements: [sql], tables: ['note'] },
    );
    const off = v.subscribe(() => {});
    await until(v, (s) => s.status === 'success');
    await db.exec('CREATE TABLE other (x)');
    await db.exec('INSERT INTO other VALUES (1)'); // read by neither
    await tick(30);
    expect(loads).toBe(1);
    await db.exec('INSERT INTO sale (total_cents) VALUES (100)'); // read by the subquery
    await until(v, () => loads === 2);
    await db.exec("INSERT INTO note (text) VALUES ('x')"); // given in tables
    await until(v, () => loads === 3);
    await db.exec("UPDATE product SET name = 'Ristretto' WHERE id = 1"); // read by the outer query
    expect((await until(v, (s) => loads === 4 && !s.fetching)).data).toEqual([{ name: 'Ristretto' }]);
    off();
  });

  it('runs the latest fetcher given for a key, and reports its failure as a CipherliteError', async () => {
    const db = await open();
    const cache = new QueryCache(db);
    const v = cache.fetch('which', async () => 'first');
    const off = v.subscribe(() => {});
    expect((await until(v, (s) => s.status === 'success')).data).toBe('first');
    cache.fetch('which', async () => {
      throw new CipherliteError('CORRUPT', 'page 2 failed authentication');
    });
    await v.refetch();
    const s = v.getSnapshot();
    expect(s.status).toBe('error');
    expect(s.error).toMatchObject({ code: 'CORRUPT' });
    expect(s.data).toBe('first');
    off();
  });
});
