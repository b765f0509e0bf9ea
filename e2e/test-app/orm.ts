/**
 * The Drizzle and Kysely page of the e2e suite: both adapters over the worker's database handle,
 * migrations (drizzle-kit's generated SQL), cross-tab transactions and live queries, exposed on
 * `window.orm` for `page.evaluate`. Imports the packages exactly as an app would.
 */
import { openDatabase } from '@cipherlite/worker';
import type { CipherliteDatabase } from '@cipherlite/worker';
import { migrate, type MigrationStep } from '@cipherlite/core/migrate';
import { drizzle, drizzleKitMigrations, live as drizzleLive, type CipherliteDrizzleDatabase } from '@cipherlite/drizzle';
import { CipherliteDialect, live as kyselyLive } from '@cipherlite/kysely';
import { QueryCache, type LiveValue } from '@cipherlite/react';
import { asc, count, eq } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { Kysely, type Generated } from 'kysely';
import journal from '../../packages/drizzle/test/fixtures/drizzle-kit/meta/_journal.json';

/** drizzle-kit's output, as an app bundles it (Vite's raw glob). */
const files = import.meta.glob<string>('../../packages/drizzle/test/fixtures/drizzle-kit/*.sql', { query: '?raw', import: 'default', eager: true });

const customers = sqliteTable('customers', { id: integer('id').primaryKey(), name: text('name').notNull() });
const orders = sqliteTable('orders', { id: integer('id').primaryKey(), customerId: integer('customer_id').notNull(), totalCents: integer('total_cents').notNull(), note: text('note') });
interface Shop {
  customers: { id: Generated<number>; name: string };
  orders: { id: Generated<number>; customer_id: number; total_cents: number; note: string | null };
  hook_runs: { tab: string };
}

const FAST_KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };
let database: CipherliteDatabase;
let dz: CipherliteDrizzleDatabase;
let ky: Kysely<Shop>;
let gate: { release(): void } | null = null;
let held: Promise<number> | null = null;
const values: Record<string, LiveValue<unknown>> = {};

/** Starts a transaction through `run`, writes one row, and holds it open until `release()`. */
function hold(run: (inside: () => Promise<void>) => Promise<void>): Promise<void> {
  return new Promise((entered, failed) => {
    held = run(async () => {
      entered();
      await new Promise<void>((r) => (gate = { release: r }));
    }).then(
      () => Date.now(),
      (e: unknown) => (failed(e), 0),
    );
  });
}

const orm = {
  async open(name: string): Promise<string> {
    database = await openDatabase({ name, password: 'correct horse battery staple', kdf: FAST_KDF });
    dz = drizzle(database);
    ky = new Kysely<Shop>({ dialect: new CipherliteDialect({ database }) });
    return database.role;
  },

  /** drizzle-kit's migrations plus a JavaScript step that records which tab ran it. */
  async migrate(tab: string): Promise<string[]> {
    const steps: MigrationStep[] = [
      ...drizzleKitMigrations(journal, files),
      { name: 'hook', sql: 'CREATE TABLE hook_runs (tab TEXT NOT NULL)', run: async (tx) => void (await tx.exec('INSERT INTO hook_runs (tab) VALUES (?)', [tab])) },
    ];
    return (await migrate(database, steps)).applied;
  },

  async failingMigration(): Promise<{ code: unknown; tables: string[] }> {
    let code: unknown = null;
    try {
      await migrate(database, [{ name: 'half', sql: ['CREATE TABLE half_done (x)', 'INSERT INTO nowhere VALUES (1)'] }]);
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    const rows = await database.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    return { code, tables: rows.map((r) => r.name) };
  },

  hookRuns: async () => (await ky.selectFrom('hook_runs').select('tab').execute()).map((r) => r.tab),

  /** A Drizzle transaction: one customer, then (after `release`) a second. Resolves once inside. */
  holdDrizzle: (first: string, second: string) =>
    hold((inside) =>
      dz.transaction(async (tx) => {
        await tx.insert(customers).values({ name: first });
        await inside();
        await tx.insert(customers).values({ name: second });
      }),
    ),

  /** The same with Kysely. */
  holdKysely: (first: string, second: string) =>
    hold((inside) =>
      ky.transaction().execute(async (trx) => {
        await trx.insertInto('customers').values({ name: first }).execute();
        await inside();
        await trx.insertInto('customers').values({ name: second }).execute();
      }),
    ),

  /** Lets the held transaction finish; resolves with the time it committed. */
  async release(): Promise<number> {
    gate!.release();
    return held!;
  },

  /** Counts customers through Drizzle or Kysely; resolves with the count and the time it arrived. */
  async countDrizzle(): Promise<{ n: number; at: number }> {
    const [row] = await dz.select({ n: count() }).from(customers);
    return { n: row!.n, at: Date.now() };
  },
  async countKysely(): Promise<{ n: number; at: number }> {
    const row = await ky
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { n: row.n, at: Date.now() };
  },

  async insertDrizzle(name: string): Promise<void> {
    await dz.insert(customers).values({ name });
  },
  async insertKysely(name: string): Promise<void> {
    await ky.insertInto('customers').values({ name }).execute();
  },

  /** Rolls back a Kysely transaction and a Drizzle one; resolves with the names left. */
  async rollbacks(): Promise<string[]> {
    await ky
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('customers').values({ name: 'kysely-rolled-back' }).execute();
        throw new Error('undo');
      })
      .catch(() => undefined);
    await dz
      .transaction(async (tx) => {
        await tx.insert(customers).values({ name: 'drizzle-rolled-back' });
        tx.rollback();
      })
      .catch(() => undefined);
    return (await dz.select({ name: customers.name }).from(customers).orderBy(asc(customers.id))).map((r) => r.name);
  },

  /** A Drizzle join and the same through Kysely, for one order. */
  async joins(): Promise<unknown> {
    const [c] = await dz.insert(customers).values({ name: 'Joiner' }).returning();
    await ky.insertInto('orders').values({ customer_id: c!.id, total_cents: 450, note: 'oat milk' }).execute();
    const viaDrizzle = await dz.select({ name: customers.name, total: orders.totalCents }).from(orders).innerJoin(customers, eq(customers.id, orders.customerId));
    const viaKysely = await ky.selectFrom('orders').innerJoin('customers', 'customers.id', 'orders.customer_id').select(['customers.name', 'orders.note']).execute();
    return { viaDrizzle, viaKysely };
  },

  /** Subscribes a live query (`@cipherlite/react`'s QueryCache, as useQuery does) under `id`. */
  watch(id: string, via: 'drizzle' | 'kysely'): void {
    const cache = new QueryCache(database);
    const value =
      via === 'drizzle'
        ? cache.fetch(...drizzleLive(dz.select({ name: customers.name }).from(customers).orderBy(asc(customers.id))))
        : cache.fetch(...kyselyLive(ky.selectFrom('customers').select('name').orderBy('id')));
    value.subscribe(() => {});
    values[id] = value;
  },
  /** The live value's current rows (names) and how many times it loaded. */
  seen(id: string): { names: string[] | null; runs: number } {
    const s = values[id]!.getSnapshot();
    return { names: s.status === 'success' ? (s.data as { name: string }[]).map((r) => r.name) : null, runs: values[id]!.runs };
  },
};

declare global {
  interface Window {
    orm: typeof orm;
  }
}
window.orm = orm;
document.getElementById('status')!.textContent = 'ready';
