/**
 * The statements of the per-call latency benchmark and the table they run on: `items`, ~150-byte
 * rows (the size of the VFS benchmark's rows), ids 1..rows. Ids come from a fixed-seed generator,
 * so every client answers the same sequence of calls.
 */
import type { Client } from './latency-clients.ts';
import type { LatencyConfig, LatencyFigures, LatencyOp, Stmt } from './latency-protocol.ts';

export const CREATE_ITEMS = 'CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL, qty INTEGER NOT NULL, note TEXT NOT NULL)';
const INSERT_ITEM = 'INSERT INTO items(id, name, price, qty, note) VALUES (?, ?, ?, ?, ?)';
const GET_ITEM = 'SELECT id, name, price, qty, note FROM items WHERE id = ?';
const PAGE_OF_ITEMS = 'SELECT id, name, price, qty, note FROM items WHERE id >= ? ORDER BY id LIMIT 20';
const BUMP_QTY = 'UPDATE items SET qty = qty + 1 WHERE id = ?';
const NOTE_LENGTH = 100;
const TX_STATEMENTS = 10;

export function itemRow(id: number): Stmt {
  const note = `${id.toString(36)}:${((id * 2654435761) >>> 0).toString(16)}`.padEnd(NOTE_LENGTH, '.');
  return { sql: INSERT_ITEM, params: [id, `item ${id}`, 100 + (id % 9000), id % 50, note] };
}

/** xorshift32: deterministic ids in 1..max. */
export function idSequence(max: number, seed = 0x9e3779b9): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return 1 + (x % max);
  };
}

/** Inserts rows `from+1 .. to` in batches of `batchRows` (each one transaction, one round trip). */
export async function insertItems(client: Client, from: number, to: number, batchRows: number): Promise<void> {
  for (let start = from + 1; start <= to; start += batchRows) {
    const stmts: Stmt[] = [];
    for (let id = start; id < Math.min(start + batchRows, to + 1); id++) stmts.push(itemRow(id));
    await client.batch(stmts);
  }
}

/** Creates `items` with `rows` rows unless it already has them. */
export async function ensureItems(client: Client, rows: number): Promise<void> {
  await client.exec({ sql: CREATE_ITEMS, params: [] });
  const have = Number(((await client.get({ sql: 'SELECT count(*) AS n FROM items', params: [] })) as { n: number }).n);
  if (have !== rows) {
    await client.exec({ sql: 'DELETE FROM items', params: [] });
    await insertItems(client, 0, rows, 1000);
  }
}

function call(client: Client, op: LatencyOp, next: () => number): Promise<unknown> {
  switch (op) {
    case 'get':
      return client.get({ sql: GET_ITEM, params: [next()] });
    case 'query20':
      return client.query({ sql: PAGE_OF_ITEMS, params: [next()] });
    case 'exec':
      return client.exec({ sql: BUMP_QTY, params: [next()] });
    case 'transaction10':
      return client.transaction(Array.from({ length: TX_STATEMENTS }, () => ({ sql: BUMP_QTY, params: [next()] })));
    case 'batch10':
      return client.batch(Array.from({ length: TX_STATEMENTS }, () => ({ sql: BUMP_QTY, params: [next()] })));
  }
}

/** Fails loudly when a client answers something else than the statement asks for. */
function check(op: LatencyOp, result: unknown): void {
  if (op === 'get' && typeof (result as { id?: unknown } | undefined)?.id !== 'number') throw new Error(`get returned ${JSON.stringify(result)}`);
  if (op === 'query20' && (!Array.isArray(result) || result.length === 0)) throw new Error(`query returned ${JSON.stringify(result)}`);
}

export function summarize(samples: number[]): LatencyFigures {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { calls: sorted.length, medianMs: at(0.5), p99Ms: at(0.99), meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** Times `cfg.calls` sequential calls of `op` (each awaited before the next), main thread to main thread. */
export async function timeOp(client: Client, op: LatencyOp, cfg: LatencyConfig, rows: number): Promise<LatencyFigures> {
  // Pages near the end would return fewer than 20 rows.
  const next = idSequence(op === 'query20' ? Math.max(1, rows - 20) : rows);
  check(op, await call(client, op, next));
  for (let i = 0; i < cfg.warmup; i++) await call(client, op, next);
  const samples: number[] = [];
  for (let i = 0; i < cfg.calls; i++) {
    const t = performance.now();
    await call(client, op, next);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}
