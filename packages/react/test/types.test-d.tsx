/** Type tests: row generics of the hooks, result narrowing, and which databases fit `LiveDatabase`. */
import { describe, expectTypeOf, it } from 'vitest';
import type { CipherliteDatabase } from '@cipherlite/worker';
import type { CipherliteError, Database, ErrorCode, Row } from '@cipherlite/core';
import { LiveQuery, useMutation, useQuery, useTransaction, useUnlock, type LiveDatabase, type LiveResult, type LockState, type QueryResult } from '../src/index.js';
import type { CoreLiveDatabase } from '../src/core-adapter.js';

/** Hooks accept interfaces… */
interface Product {
  id: number;
  name: string;
  price_cents: number;
}
/** …while `tx.query/get` (like core's and the worker's) need a type alias (an index signature). */
type ProductRow = { id: number; name: string; price_cents: number };

describe('useQuery', () => {
  it('types rows from the generic (interfaces too), Row by default', () => {
    const r = useQuery<Product>('SELECT * FROM product');
    expectTypeOf(r).toEqualTypeOf<QueryResult<Product>>();
    expectTypeOf(r.data).toEqualTypeOf<Product[] | undefined>();
    expectTypeOf(useQuery('SELECT 1').data).toEqualTypeOf<Row[] | undefined>();
  });

  it('narrows on status: success has data, error has a CipherliteError', () => {
    const r = useQuery<Product>('SELECT * FROM product WHERE id = ?', [1]);
    if (r.status === 'success') {
      expectTypeOf(r.data).toEqualTypeOf<Product[]>();
      expectTypeOf(r.error).toEqualTypeOf<null>();
    }
    if (r.status === 'error') {
      expectTypeOf(r.error).toEqualTypeOf<CipherliteError>();
      expectTypeOf(r.error.code).toEqualTypeOf<ErrorCode>();
    }
    if (r.status === 'pending') expectTypeOf(r.data).toEqualTypeOf<undefined>();
  });

  it('rejects params SQLite cannot bind', () => {
    // @ts-expect-error a Date is not a SqlValue
    useQuery('SELECT ?', [new Date()]);
    // @ts-expect-error undefined is not a SqlValue
    useQuery('SELECT :a', { ':a': undefined });
    useQuery('SELECT ?, ?, ?, ?, ?', [null, 1, 2n, 'x', new Uint8Array(1)]);
  });

  it('with a fetcher, data is what the fetcher resolves to (not rows)', () => {
    const r = useQuery(['count'], async (db) => (await db.get<{ n: number }>('SELECT count(*) AS n FROM product'))?.n ?? 0);
    expectTypeOf(r).toEqualTypeOf<LiveResult<number>>();
    if (r.status === 'success') expectTypeOf(r.data).toEqualTypeOf<number>();
    const worker = useQuery(['slots'], (db: CipherliteDatabase) => db.listKeyslots(), { tables: [] });
    expectTypeOf(worker.data).toEqualTypeOf<Awaited<ReturnType<CipherliteDatabase['listKeyslots']>> | undefined>();
    // @ts-expect-error a fetcher must return a promise
    useQuery(['sync'], () => 1);
  });

  it('LiveQuery snapshots carry the row type', () => {
    expectTypeOf<ReturnType<LiveQuery<Product>['getSnapshot']>>().toEqualTypeOf<QueryResult<Product>>();
  });
});

describe('mutations', () => {
  it('infers argument and result types from the function', () => {
    const m = useMutation((db, name: string, cents: number) => db.exec('INSERT INTO product (name, price_cents) VALUES (?, ?)', [name, cents]));
    expectTypeOf(m.mutate).parameters.toEqualTypeOf<[string, number]>();
    expectTypeOf(m.mutateAsync).returns.resolves.toEqualTypeOf<{ changes: number; lastInsertRowid: number | bigint }>();
    if (m.status === 'success') expectTypeOf(m.data.changes).toEqualTypeOf<number>();
    if (m.status === 'error') {
      expectTypeOf(m.error).toEqualTypeOf<Error>();
      expectTypeOf(m.code).toEqualTypeOf<ErrorCode | null>();
    }
    // @ts-expect-error wrong argument type
    void m.mutate('x', 'y');

    const t = useTransaction(async (tx, id: number) => tx.get<ProductRow>('SELECT * FROM product WHERE id = ?', [id]));
    expectTypeOf(t.mutateAsync).returns.resolves.toEqualTypeOf<ProductRow | undefined>();
  });

  it('useUnlock takes a password or key material', () => {
    const { unlock } = useUnlock();
    void unlock('pw');
    void unlock({ key: new Uint8Array(32) });
    void unlock({ recoveryKey: 'ABCD-…' });
    // @ts-expect-error not key material
    void unlock({ pin: 1234 });
  });
});

describe('LiveDatabase', () => {
  it("is satisfied by the worker's CipherliteDatabase and by the core adapter", () => {
    expectTypeOf<CipherliteDatabase>().toExtend<LiveDatabase>();
    expectTypeOf<CoreLiveDatabase>().toExtend<LiveDatabase>();
    expectTypeOf<CoreLiveDatabase['database']>().toEqualTypeOf<Database>();
    expectTypeOf<LiveDatabase['lockState']>().toEqualTypeOf<LockState>();
  });

  it("core's Database itself is not one (it has no lock state): use the adapter", () => {
    expectTypeOf<Database>().not.toExtend<LiveDatabase>();
  });
});
