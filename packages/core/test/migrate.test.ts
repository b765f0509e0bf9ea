/** migrate(): ordered steps, one transaction each, recorded, once, all-or-nothing — on a real encrypted database. */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
import { migrate, MIGRATIONS_TABLE, type MigrationStep } from '../src/migrate/index.js';
import { expectCode, openWithKey } from './helpers.js';

let open: Database[] = [];
afterEach(async () => {
  for (const db of open) await db.close();
  open = [];
});
async function fresh(storage = new MemoryStorage()): Promise<Database> {
  const db = await openWithKey(storage, 'shop.db');
  open.push(db);
  return db;
}
const tablesOf = async (db: Database) => (await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((r) => r.name);
const recorded = async (db: Database) => (await db.query<{ version: number; name: string }>(`SELECT version, name FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((r) => `${r.version}:${r.name}`);

const V1: MigrationStep = { name: 'create-product', sql: 'CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price TEXT NOT NULL)' };
const V2: MigrationStep = { name: 'seed', sql: ["INSERT INTO product (name, price) VALUES ('Espresso', '2.50')", "INSERT INTO product (name, price) VALUES ('Croissant', '3.20')"] };
/** A data migration in JavaScript: prices as text → integer cents in a new column. */
const V3: MigrationStep = {
  name: 'price-cents',
  sql: 'ALTER TABLE product ADD COLUMN price_cents INTEGER',
  async run(tx) {
    const { rows } = await tx.values('SELECT id, price FROM product');
    for (const [id, price] of rows) await tx.exec('UPDATE product SET price_cents = ? WHERE id = ?', [Math.round(Number(price) * 100), id!]);
  },
};

describe('migrate', () => {
  it('applies the steps in order, records each, and applies nothing the second time', async () => {
    const db = await fresh();
    expect(await migrate(db, [V1, V2, V3])).toEqual({ applied: ['create-product', 'seed', 'price-cents'], version: 3 });
    expect(await db.query('SELECT name, price_cents FROM product ORDER BY id')).toEqual([
      { name: 'Espresso', price_cents: 250 },
      { name: 'Croissant', price_cents: 320 },
    ]);
    expect(await recorded(db)).toEqual(['1:create-product', '2:seed', '3:price-cents']);
    expect(await migrate(db, [V1, V2, V3])).toEqual({ applied: [], version: 3 });
    expect(await db.get<{ n: number }>('SELECT count(*) AS n FROM product')).toEqual({ n: 2 });
  });

  it('a later app version applies only its new steps; the record survives close and reopen', async () => {
    const storage = new MemoryStorage();
    const first = await fresh(storage);
    await migrate(first, [V1, V2]);
    await first.close();
    const db = await fresh(storage);
    expect(await migrate(db, [V1, V2, V3])).toEqual({ applied: ['price-cents'], version: 3 });
    expect(await db.get('SELECT price_cents FROM product WHERE name = ?', ['Croissant'])).toEqual({ price_cents: 320 });
  });

  it('a step failing half-way leaves nothing of that step; earlier steps stay applied; MIGRATION_FAILED names it', async () => {
    const db = await fresh();
    const broken: MigrationStep = {
      name: 'add-sale',
      sql: ['CREATE TABLE sale (id INTEGER PRIMARY KEY)', "INSERT INTO product (name, price) VALUES ('Tea', '1.80')", 'INSERT INTO no_such_table VALUES (1)'],
    };
    const err = await expectCode(migrate(db, [V1, V2, broken]), 'MIGRATION_FAILED');
    expect(err.message).toContain('migration 3 "add-sale" failed and was rolled back');
    expect(err.message).toContain('no_such_table');
    expect(await tablesOf(db)).toEqual([MIGRATIONS_TABLE, 'product']);
    expect(await db.get<{ n: number }>('SELECT count(*) AS n FROM product')).toEqual({ n: 2 });
    expect(await recorded(db)).toEqual(['1:create-product', '2:seed']);
    // Fixed in the next release: the step runs from a clean state.
    const fixed: MigrationStep = { name: 'add-sale', sql: 'CREATE TABLE sale (id INTEGER PRIMARY KEY)' };
    expect(await migrate(db, [V1, V2, fixed])).toEqual({ applied: ['add-sale'], version: 3 });
  });

  it('a JavaScript hook that throws rolls back the SQL of its step too', async () => {
    const db = await fresh();
    await migrate(db, [V1, V2]);
    const failing: MigrationStep = {
      name: 'cents-then-fail',
      sql: 'ALTER TABLE product ADD COLUMN price_cents INTEGER',
      async run(tx) {
        await tx.exec('UPDATE product SET price_cents = 1');
        throw new Error('bad data in row 2');
      },
    };
    const err = await expectCode(migrate(db, [V1, V2, failing]), 'MIGRATION_FAILED');
    expect(err.message).toContain('bad data in row 2');
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect((await db.query("SELECT name FROM pragma_table_info('product')")).map((r) => r.name)).toEqual(['id', 'name', 'price']);
    expect(await recorded(db)).toEqual(['1:create-product', '2:seed']);
  });

  it('two concurrent callers: every step runs exactly once, both resolve', async () => {
    const db = await fresh();
    let hookRuns = 0;
    const steps: MigrationStep[] = [V1, V2, { name: 'count', run: async (tx) => void (hookRuns++, await tx.exec("INSERT INTO product (name, price) VALUES ('Hook', '0')")) }];
    const [a, b] = await Promise.all([migrate(db, steps), migrate(db, steps)]);
    expect(hookRuns).toBe(1);
    expect([...a.applied, ...b.applied].sort()).toEqual(['count', 'create-product', 'seed']);
    expect(await db.get<{ n: number }>('SELECT count(*) AS n FROM product')).toEqual({ n: 3 });
    expect(await recorded(db)).toEqual(['1:create-product', '2:seed', '3:count']);
  });

  it('refuses a record that does not match the steps: renamed or reordered steps, or a newer app', async () => {
    const db = await fresh();
    await migrate(db, [V1, V2]);
    expect((await expectCode(migrate(db, [V1, { ...V2, name: 'seed-renamed' }]), 'MIGRATION_FAILED')).message).toContain('renamed or reordered');
    expect((await expectCode(migrate(db, [V1]), 'MIGRATION_FAILED')).message).toContain('newer version of the app');
    expect(await recorded(db)).toEqual(['1:create-product', '2:seed']);
  });

  it('malformed steps are INVALID_ARGUMENT before anything runs', async () => {
    const db = await fresh();
    await expectCode(migrate(db, [V1, V1]), 'INVALID_ARGUMENT');
    await expectCode(migrate(db, [{ name: '', sql: 'SELECT 1' }]), 'INVALID_ARGUMENT');
    await expectCode(migrate(db, [{ name: 'nothing' }]), 'INVALID_ARGUMENT');
    await expectCode(migrate(db, [{ name: 'bad-sql', sql: [1 as unknown as string] }]), 'INVALID_ARGUMENT');
    await expectCode(migrate(db, 'V1' as unknown as MigrationStep[]), 'INVALID_ARGUMENT');
    expect(await tablesOf(db)).toEqual([]);
  });
});
