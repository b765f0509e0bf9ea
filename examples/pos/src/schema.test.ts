/**
 * The point-of-sale schema's own rules, run in Node against real SQLite (core's `Database` on
 * memory storage — the same engine and SQL the app runs in the browser): the migration from the
 * first schema keeps every sale line, and the refund triggers refuse whatever would give back more
 * than was sold or paid, whichever code writes it. The UI caps its quantities too; these are the
 * writes a stale tab or a buggy screen could still attempt.
 */
import { expect, test } from 'vitest';
import { Database, MemoryStorage } from '@cipherlite/core';
import { migrate, MIGRATIONS, REFUND_EXCEEDS_SALE } from './schema.ts';

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
