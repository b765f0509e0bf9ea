/**
 * The workloads (issue "Benchmarks in real Chromium"): each returns elapsed milliseconds.
 * Statements are prepared once and reused, as a real app (and our Database class) does.
 */
import type { Database as OoDb } from '@sqlite.org/sqlite-wasm';
import type { BenchConfig } from './protocol.ts';

const now = () => performance.now();
const text = (n: number, seed: number) => {
  let s = '';
  while (s.length < n) s += ((seed * 2654435761) >>> 0).toString(36) + ' ';
  return s.slice(0, n);
};

export function createSchema(db: OoDb): void {
  db.exec(`CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, descr TEXT);
    CREATE TABLE orders(id INTEGER PRIMARY KEY, day TEXT, total INTEGER);
    CREATE TABLE order_lines(id INTEGER PRIMARY KEY, order_id INTEGER, item_id INTEGER, qty INTEGER, cents INTEGER);
    CREATE INDEX order_lines_order ON order_lines(order_id);
    CREATE TABLE stock(item_id INTEGER PRIMARY KEY, qty INTEGER);`);
}

/** 1. bulk insert: rows of (id, ~30-char text, real, ~100-char text), 1000 per transaction. */
export function bulkInsert(db: OoDb, cfg: BenchConfig): number {
  const stmt = db.prepare('INSERT INTO items(id, name, price, descr) VALUES (?, ?, ?, ?)');
  const t = now();
  for (let i = 0; i < cfg.rows; i += 1000) {
    db.exec('BEGIN');
    for (let j = i; j < Math.min(cfg.rows, i + 1000); j++) stmt.bind([j + 1, text(30, j), j * 0.25, text(100, j * 7)]).stepReset();
    db.exec('COMMIT');
  }
  const elapsed = now() - t;
  stmt.finalize();
  db.exec('INSERT INTO stock(item_id, qty) SELECT id, 1000 FROM items WHERE id <= 500');
  return elapsed;
}

/** 2. random point selects by primary key (warm: the table was just written and read). */
export function pointSelects(db: OoDb, cfg: BenchConfig): number {
  const stmt = db.prepare('SELECT name, price FROM items WHERE id = ?');
  let seed = 12345;
  let found = 0;
  const t = now();
  for (let i = 0; i < cfg.selects; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    stmt.bind([1 + (seed % cfg.rows)]);
    if (stmt.step()) found++;
    stmt.reset();
  }
  const elapsed = now() - t;
  stmt.finalize();
  if (found !== cfg.selects) throw new Error(`point selects found ${found}`);
  return elapsed;
}

/** 3. full-table aggregate scan. */
export function scan(db: OoDb): number {
  const t = now();
  const n = Number(db.selectValue('SELECT count(*) + sum(length(descr)) * 0 + sum(price) * 0 FROM items'));
  const elapsed = now() - t;
  if (!(n > 0)) throw new Error('empty scan');
  return elapsed;
}

/** 4. single-row autocommit updates: each its own durable transaction. */
export function durableUpdates(db: OoDb, cfg: BenchConfig): number {
  const stmt = db.prepare('UPDATE items SET price = price + 1 WHERE id = ?');
  let seed = 777;
  const t = now();
  for (let i = 0; i < cfg.updates; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    stmt.bind([1 + (seed % cfg.rows)]).stepReset();
  }
  const elapsed = now() - t;
  stmt.finalize();
  return elapsed;
}

/** 5. mixed POS-like: insert an order + 3 lines, update stock, read the day's totals every 10th. */
export function mixed(db: OoDb, cfg: BenchConfig): number {
  const order = db.prepare('INSERT INTO orders(day, total) VALUES (?, ?)');
  const line = db.prepare('INSERT INTO order_lines(order_id, item_id, qty, cents) VALUES (?, ?, ?, ?)');
  const stock = db.prepare('UPDATE stock SET qty = qty - ? WHERE item_id = ?');
  const totals = db.prepare('SELECT count(*), sum(total) FROM orders WHERE day = ?');
  let seed = 99;
  const t = now();
  for (let i = 0; i < cfg.mixedOrders; i++) {
    const day = `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`;
    db.exec('BEGIN IMMEDIATE');
    order.bind([day, 0]).stepReset();
    const orderId = Number(db.selectValue('SELECT last_insert_rowid()'));
    for (let k = 0; k < 3; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const item = 1 + (seed % 500);
      line.bind([orderId, item, 1 + k, 250 + k]).stepReset();
      stock.bind([1 + k, item]).stepReset();
    }
    db.exec('COMMIT');
    if (i % 10 === 0) {
      totals.bind([day]).step();
      totals.reset();
    }
  }
  const elapsed = now() - t;
  for (const s of [order, line, stock, totals]) s.finalize();
  return elapsed;
}
