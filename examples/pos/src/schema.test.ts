/**
 * The point-of-sale schema's own rules, run in Node against real SQLite (core's `Database` on
 * memory storage — the same engine and SQL the app runs in the browser): the migration from the
 * first schema keeps every sale line, and the refund triggers refuse whatever would give back more
 * than was sold or paid, whichever code writes it. The UI caps its quantities too; these are the
 * writes a stale tab or a buggy screen could still attempt. And the current schema syncs: every
 * table has the explicit PRIMARY KEY sync needs, and two tablets' sales and stock merge (core's
 * sync on an in-memory log; the browser end to end is e2e/tests/pos-sync.e2e.ts).
 */
import { expect, test } from 'vitest';
import { Database, MemoryStorage } from '@cipherlite/core';
import { enableSync, MemorySyncLog } from '@cipherlite/core/sync';
import { migrate, MIGRATIONS, REFUND_EXCEEDS_SALE, SHOP_TABLES } from './schema.ts';

const KEY = new Uint8Array(32).fill(7);

async function shop(versions = MIGRATIONS.length): Promise<Database> {
  const db = await Database.open({ storage: new MemoryStorage(), name: 'pos', key: KEY });
  for (let v = 0; v < versions; v++) await db.exec(MIGRATIONS[v]!);
  await db.exec(`PRAGMA user_version = ${versions}`);
  return db;
}

/** Sale 1: 2 × Espresso at 250 + 1 × Croissant at 320 = 820, paid by card. */
async function sell(db: Database): Promise<void> {
  await db.exec("INSERT INTO product (id, name, price_cents) VALUES (1, 'Espresso', 250), (2, 'Croissant', 320)");
  await db.exec("INSERT INTO sale (id, created_at, day, total_cents, method, card_last4) VALUES (1, 't', '2026-01-01', 820, 'card', '4242')");
  await db.exec("INSERT INTO sale_line (sale_id, product_id, name, unit_cents, qty) VALUES (1, 1, 'Espresso', 250, 2), (1, 2, 'Croissant', 320, 1)");
}

const refund = (db: Database, id: number, total: number, sale = 1) =>
  db.exec(`INSERT INTO refund (id, sale_id, created_at, day, total_cents, method) VALUES (?, ?, 't', '2026-01-02', ?, 'card')`, [id, sale, total]);
const refundLine = (db: Database, refundId: number, lineId: number, qty: number) =>
  db.exec('INSERT INTO refund_line (refund_id, sale_line_id, qty, amount_cents) VALUES (?, ?, ?, 0)', [refundId, lineId, qty]);

test('migrating a first-version till keeps its sale lines and gives each a stable id', async () => {
  const db = await shop(1);
  try {
    await db.exec("INSERT INTO product (id, name, price_cents) VALUES (1, 'Espresso', 250)");
    await db.exec("INSERT INTO sale (id, created_at, day, total_cents, method) VALUES (1, 't', 'd', 500, 'cash'), (2, 't', 'd', 250, 'cash')");
    await db.exec("INSERT INTO sale_line (sale_id, product_id, name, unit_cents, qty) VALUES (1, 1, 'Espresso', 250, 2), (2, 1, 'Espresso', 250, 1)");
    await migrate(db);
    expect(await db.get('PRAGMA user_version')).toEqual({ user_version: MIGRATIONS.length });
    expect(await db.query('SELECT id, sale_id, qty FROM sale_line ORDER BY id')).toEqual([
      { id: 1, sale_id: 1, qty: 2 },
      { id: 2, sale_id: 2, qty: 1 },
    ]);
    await migrate(db); // already up to date: nothing runs twice
    expect(await db.get('SELECT count(*) AS n FROM sale_line')).toEqual({ n: 2 });
  } finally {
    await db.close();
  }
});

test('refund triggers: no more than was paid, no more of a line than was sold, no line of another sale', async () => {
  const db = await shop();
  try {
    await sell(db);
    // More money than the sale took, at once or over several refunds.
    await expect(refund(db, 1, 821)).rejects.toThrow(REFUND_EXCEEDS_SALE);
    await refund(db, 1, 500);
    await expect(refund(db, 2, 321)).rejects.toThrow(REFUND_EXCEEDS_SALE);
    // More of a line than was sold, at once or over several refund lines.
    await expect(refundLine(db, 1, 1, 3)).rejects.toThrow(REFUND_EXCEEDS_SALE);
    await refundLine(db, 1, 1, 2);
    await expect(refundLine(db, 1, 1, 1)).rejects.toThrow(REFUND_EXCEEDS_SALE);
    // A line of another sale under this refund.
    await db.exec("INSERT INTO sale (id, created_at, day, total_cents, method) VALUES (2, 't', 'd', 320, 'cash')");
    await db.exec("INSERT INTO sale_line (id, sale_id, product_id, name, unit_cents, qty) VALUES (10, 2, 2, 'Croissant', 320, 1)");
    await expect(refundLine(db, 1, 10, 1)).rejects.toThrow(REFUND_EXCEEDS_SALE);
    // A refund of nothing, or of a negative amount, is not a refund.
    await expect(refund(db, 3, 0)).rejects.toThrow(/CHECK constraint failed/);
    await expect(refund(db, 3, -100)).rejects.toThrow(/CHECK constraint failed/);
    // What is left is still refundable, exactly.
    await refund(db, 2, 320);
    await refundLine(db, 2, 2, 1);
    expect(await db.get('SELECT sum(total_cents) AS refunded FROM refund WHERE sale_id = 1')).toEqual({ refunded: 820 });
    await expect(refund(db, 4, 1)).rejects.toThrow(REFUND_EXCEEDS_SALE);
  } finally {
    await db.close();
  }
});

test('migrating a till of the second version gives each refund line an id and keeps it; sales get a tablet, products a stock, both empty', async () => {
  const db = await shop(2);
  try {
    await sell(db);
    await refund(db, 1, 250);
    await refundLine(db, 1, 1, 1);
    await migrate(db);
    expect(await db.query('SELECT id, refund_id, sale_line_id, qty FROM refund_line')).toEqual([{ id: 1, refund_id: 1, sale_line_id: 1, qty: 1 }]);
    expect(await db.query('SELECT tablet FROM sale')).toEqual([{ tablet: null }]);
    expect(await db.query('SELECT stock FROM product ORDER BY id')).toEqual([{ stock: null }, { stock: null }]);
    // The rebuilt table keeps its trigger.
    await expect(refundLine(db, 1, 1, 2)).rejects.toThrow(REFUND_EXCEEDS_SALE);
  } finally {
    await db.close();
  }
});

test('two tablets of one shop sync the current schema: every sale reaches both, stock drops by both tablets, a price takes the later write', async () => {
  const log = new MemorySyncLog();
  const tablets = await Promise.all(
    ['Counter A', 'Counter B'].map(async (name) => {
      const db = await shop();
      await db.exec("INSERT INTO product (id, name, price_cents, stock) VALUES (1, 'Espresso', 250, 20)");
      return { name, db, sync: await enableSync(db, { log, tables: SHOP_TABLES, maxSchemaVersion: MIGRATIONS.length, deviceName: name }) };
    }),
  );
  try {
    for (const [i, t] of tablets.entries()) {
      await t.sync.transaction(async (tx) => {
        await tx.exec("INSERT INTO sale (id, tablet, created_at, day, total_cents, method) VALUES (?, ?, 't', 'd', 250, 'cash')", [100 + i, t.name]);
        await tx.exec("INSERT INTO sale_line (id, sale_id, product_id, name, unit_cents, qty) VALUES (?, ?, 1, 'Espresso', 250, 1)", [200 + i, 100 + i]);
        await tx.exec('UPDATE product SET stock = stock - 1, price_cents = ? WHERE id = 1', [260 + i * 10]);
      });
    }
    for (const t of tablets) await t.sync.push();
    for (const t of tablets) await t.sync.pull();
    for (const { db } of tablets) {
      expect(await db.query('SELECT tablet, count(*) AS n, sum(total_cents) AS total FROM sale GROUP BY tablet ORDER BY tablet')).toEqual([
        { tablet: 'Counter A', n: 1, total: 250 },
        { tablet: 'Counter B', n: 1, total: 250 },
      ]);
      expect(await db.get('SELECT stock, price_cents FROM product WHERE id = 1')).toEqual({ stock: 18, price_cents: 270 });
    }
    expect((await tablets[0]!.sync.devices()).map((d) => d.name)).toEqual(['Counter A', 'Counter B']);
  } finally {
    for (const { db } of tablets) await db.close();
  }
});
