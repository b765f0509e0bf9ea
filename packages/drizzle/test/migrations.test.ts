/** drizzle-kit's generated SQL migrations applied by cipherlite's migrate(), on a real encrypted database. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '@cipherlite/core';
import { migrate } from '@cipherlite/core/migrate';
import { drizzle, drizzleKitMigrations, type DrizzleKitJournal } from '../src/index.js';
import { customers, orders } from './fixtures/drizzle-kit/schema.js';

const FOLDER = join(import.meta.dirname, 'fixtures', 'drizzle-kit');
const journal = JSON.parse(readFileSync(join(FOLDER, 'meta', '_journal.json'), 'utf8')) as DrizzleKitJournal;
const files = Object.fromEntries(
  readdirSync(FOLDER)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => [f, readFileSync(join(FOLDER, f), 'utf8')]),
);
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

let opened: Database[] = [];
afterEach(async () => {
  for (const db of opened) await db.close();
  opened = [];
});

describe('drizzle-kit migrations', () => {
  it('turns the journal into one step per migration, split at the statement breakpoints', () => {
    const steps = drizzleKitMigrations(journal, files);
    expect(steps.map((s) => s.name)).toEqual(['0000_init', '0001_order_note']);
    expect(steps.map((s) => (s.sql as string[]).length)).toEqual([2, 2]);
  });

  it('migrate applies them once, and the Drizzle schema then works against the database', async () => {
    const database = await Database.open({ storage: new MemoryStorage(), name: 'kit.db', key: KEY });
    opened.push(database);
    const steps = drizzleKitMigrations(journal, files);
    expect((await migrate(database, steps)).applied).toEqual(['0000_init', '0001_order_note']);
    expect((await migrate(database, steps)).applied).toEqual([]);
    const db = drizzle(database);
    const [c] = await db.insert(customers).values({ name: 'Ada' }).returning();
    await db.insert(orders).values({ customerId: c!.id, totalCents: 450, note: 'oat milk' });
    expect(await db.select({ note: orders.note }).from(orders)).toEqual([{ note: 'oat milk' }]);
    expect(await database.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'orders_customer_idx'")).toHaveLength(1);
  });

  it('keys from a bundler glob (./drizzle/0000_init.sql) are found; a missing file or another dialect is INVALID_ARGUMENT', () => {
    const globbed = Object.fromEntries(Object.entries(files).map(([f, text]) => [`./drizzle/${f}`, text]));
    expect(drizzleKitMigrations(journal, globbed).map((s) => s.name)).toEqual(['0000_init', '0001_order_note']);
    expect(() => drizzleKitMigrations(journal, { '0000_init.sql': files['0000_init.sql']! })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('0001_order_note') }),
    );
    expect(() => drizzleKitMigrations({ ...journal, dialect: 'postgresql' }, files)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
