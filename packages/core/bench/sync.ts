/**
 * Multi-device sync over the replica log on the local Ceph RGW (not a test; docs/PERFORMANCE.md
 * "Sync over the replica"). Two devices of one database, A and B, both online:
 *
 * - commit → visible: A commits a sale in `sync.transaction` and pushes it; the time until B's
 *   database holds it. "interval": B pulls every BENCH_PULL_MS (the app's pull loop; nothing
 *   pulls in the background by itself). "hint": B pulls as soon as A's push returns (a push hint
 *   delivered at no cost: what a notification channel would add is not in the figure).
 * - rebase: B holds BENCH_REBASE pending local transactions while A pushes as many; the time of
 *   B's pull (reading and checking A's entries, undoing B's, applying A's, re-applying B's), on
 *   RGW and on the in-memory log (the rebase without the network).
 * - log bytes per sale: the objects one pushed sale adds to the bucket.
 *
 * Run: npm run bench:sync   (starts the local RGW: scripts/s3.sh)
 *   BENCH_SAMPLES=40      commit → visible samples per mode
 *   BENCH_PULL_MS=1000    B's pull interval in the "interval" mode
 *   BENCH_REBASE=1000     pending and remote transactions in the rebase measurement
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Database, MemoryStorage } from '../src/index.js';
import { createBucket, S3ObjectStore } from '../src/replica/s3-store.js';
import { listAll } from '../src/replica/object-store.js';
import { createSyncReplica, enableSync, joinSyncReplica, MemorySyncLog, type Sync, type SyncLog } from '../src/sync/index.js';

const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 40);
const PULL_MS = Number(process.env['BENCH_PULL_MS'] ?? 1000);
const REBASE = Number(process.env['BENCH_REBASE'] ?? 1000);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const key = new Uint8Array(32).fill(9);
const SCHEMA = `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL, stock INTEGER NOT NULL);
  CREATE TABLE sales (id TEXT PRIMARY KEY, item INTEGER NOT NULL, qty INTEGER NOT NULL, total INTEGER NOT NULL, device TEXT NOT NULL, at INTEGER NOT NULL);
  INSERT INTO items (id, name, price, stock) VALUES (1, 'flat white', 350, 1000000);`;
const POLICIES = { items: { counters: ['stock'] } };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

interface Dev {
  db: Database;
  sync: Sync;
  device: string;
}

async function dev(db: Database, log: SyncLog): Promise<Dev> {
  const sync = await enableSync(db, { log, tables: POLICIES });
  return { db, sync, device: (await sync.status()).device };
}

async function sale(d: Dev, id: string): Promise<void> {
  await d.sync.transaction(async (tx) => {
    await tx.exec('INSERT INTO sales (id, item, qty, total, device, at) VALUES (?, 1, 1, 350, ?, ?)', [id, d.device, Date.now()]);
    await tx.exec('UPDATE items SET stock = stock - 1 WHERE id = 1');
  });
}

async function has(d: Dev, id: string): Promise<boolean> {
  return (await d.db.query('SELECT 1 FROM sales WHERE id = ?', [id])).length > 0;
}

async function pair(store: S3ObjectStore): Promise<[Dev, Dev, string]> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const dbA = await Database.open({ storage: new MemoryStorage(), name: 'a.db', key });
  await dbA.exec(SCHEMA);
  const a = await dev(dbA, await createSyncReplica(dbA, { store, prefix }));
  const joined = await joinSyncReplica({ storage: new MemoryStorage(), name: 'b.db', replica: { store, prefix }, key });
  const b = await dev(joined.db, joined.log);
  await b.sync.pull();
  return [a, b, prefix];
}

/** Commit on A → visible on B, B pulling on its own loop (interval) or right after A's push (hint). */
async function visible(a: Dev, b: Dev, mode: 'interval' | 'hint'): Promise<number[]> {
  const times: number[] = [];
  let running = true;
  const loop = (async (): Promise<void> => {
    while (running && mode === 'interval') {
      await sleep(PULL_MS);
      await b.sync.pull();
    }
  })();
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(Math.random() * PULL_MS); // a random phase against B's loop
    const id = `${mode}-${i}`;
    const t0 = performance.now();
    await sale(a, id);
    await a.sync.push();
    if (mode === 'hint') await b.sync.pull();
    while (!(await has(b, id))) await sleep(5);
    times.push(performance.now() - t0);
  }
  running = false;
  await loop;
  return times;
}

async function rebase(a: Dev, b: Dev): Promise<number> {
  for (let i = 0; i < REBASE; i++) await sale(b, `b-pending-${i}`);
  for (let i = 0; i < REBASE; i++) await sale(a, `a-remote-${i}`);
  await a.sync.push();
  const t0 = performance.now();
  await b.sync.pull();
  const ms = performance.now() - t0;
  const status = await b.sync.status();
  if (status.pending !== REBASE) throw new Error(`expected ${REBASE} pending after the rebase, got ${status.pending}`);
  return ms;
}

async function memoryRebase(): Promise<number> {
  const log = new MemorySyncLog();
  const open = async (): Promise<Dev> => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'm.db', key });
    await db.exec(SCHEMA);
    return dev(db, log);
  };
  const a = await open();
  const b = await open();
  const ms = await rebase(a, b);
  await a.db.close();
  await b.db.close();
  return ms;
}

async function main(): Promise<void> {
  const endpoint = execFileSync('bash', [`${ROOT}scripts/s3.sh`, 'status'], { encoding: 'utf8' }).trim();
  const s3 = { endpoint, bucket: `bench-${randomBytes(4).toString('hex')}`, credentials: { accessKeyId: 'TESTKEY', secretAccessKey: 'TESTSECRET' } };
  await createBucket(s3);
  const store = new S3ObjectStore(s3);
  const load = loadavg().map((l) => l.toFixed(1));
  console.log(`sync over the replica log, local Ceph RGW; load average ${load.join(' / ')}`);

  const [a, b, prefix] = await pair(store);
  for (const mode of ['interval', 'hint'] as const) {
    const t = await visible(a, b, mode);
    console.log(
      `commit on A → visible on B (${mode === 'interval' ? `B pulls every ${PULL_MS} ms` : 'push hint'}): p50 ${pct(t, 50).toFixed(0)} ms, p99 ${pct(t, 99).toFixed(0)} ms (${t.length} samples)`,
    );
  }
  const before = await listAll(store, `${prefix}/g/`);
  const n = 20;
  for (let i = 0; i < n; i++) {
    await sale(a, `bytes-${i}`);
    await a.sync.push();
  }
  const after = await listAll(store, `${prefix}/g/`);
  const added = after.reduce((s, o) => s + o.size, 0) - before.reduce((s, o) => s + o.size, 0);
  console.log(`log bytes per sale (one sale per entry, ${n} sales): ${(added / n).toFixed(0)} bytes in ${(after.length - before.length) / n} object(s)`);
  const rgw = await rebase(a, b);
  console.log(`rebase on RGW: ${REBASE} pending on B vs ${REBASE} remote from A: B's pull ${rgw.toFixed(0)} ms`);
  await a.db.close();
  await b.db.close();
  const mem = await memoryRebase();
  console.log(`rebase on the in-memory log: ${REBASE} pending vs ${REBASE} remote: pull ${mem.toFixed(0)} ms`);
  console.log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}`,
  );
}

await main();
