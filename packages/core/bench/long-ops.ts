/**
 * Long operations in Node (not a test): builds an encrypted database of ~BENCH_MB megabytes once,
 * then times `verify`, `backup`, `exportPlaintext` and `rekey` on copies of it, and prints MB/s
 * (database size / time; wall and CPU time, see `report`) with the median of BENCH_RUNS runs,
 * next to two floors measured in the
 * same run: AES-256-GCM opening every block (what any authenticated read pays) and
 * `PRAGMA integrity_check` on the plaintext export in an in-memory database (SQLite's own cost).
 *
 * Run: npx tsx packages/core/bench/long-ops.ts
 *   BENCH_MB=80         approximate database size (default 80)
 *   BENCH_RUNS=3        runs per operation (median reported)
 *   BENCH_STORAGE=fs    NodeFsStorage in a temp directory instead of MemoryStorage
 *   BENCH_OPS=verify,backup   a subset
 *   BENCH_PROFILE=dir   write a V8 CPU profile of each operation's first run (only the operation,
 *                       not the build) to dir/<op>.cpuprofile (open it in Chrome DevTools)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, MemoryStorage } from '../src/index.js';
import { NodeFsStorage } from '../src/node.js';
import { backup, exportPlaintext, rekey, verify } from '../src/keys/index.js';
import { loadSqlite } from '../src/sqlite/loader.js';
import { createAesGcmKey } from '../src/crypto/aes-gcm-wasm/index.js';
import type { SyncStorage } from '../src/storage/sync-file.js';

const TARGET_MB = Number(process.env['BENCH_MB'] ?? 80);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const ON_DISK = process.env['BENCH_STORAGE'] === 'fs';
const OPS = (process.env['BENCH_OPS'] ?? 'verify,backup,exportPlaintext,rekey').split(',');
const PROFILE_DIR = process.env['BENCH_PROFILE'];
const NAME = 'long.db';
const key = new Uint8Array(32).fill(7);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MB = 1e6;

/** ~150-byte rows, as in bench:latency's scale section; rows are generated inside SQLite. */
async function build(storage: SyncStorage): Promise<number> {
  const db = await Database.open({ storage, name: NAME, key });
  await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price INTEGER NOT NULL, qty INTEGER NOT NULL, note TEXT NOT NULL)');
  const rowsPerMb = 6000;
  const total = Math.round(TARGET_MB * rowsPerMb);
  for (let done = 0; done < total; done += 100_000) {
    const n = Math.min(100_000, total - done);
    await db.exec(
      `WITH RECURSIVE c(x) AS (SELECT ${done + 1} UNION ALL SELECT x + 1 FROM c WHERE x < ${done + n})
       INSERT INTO items SELECT x, printf('item-%08d', x), x % 10000, x % 97, hex(randomblob(56)) FROM c`,
    );
  }
  const [row] = await db.query<{ s: number }>('SELECT page_count * page_size AS s FROM pragma_page_count, pragma_page_size');
  await db.close();
  return row!.s;
}

interface Fresh {
  storage: SyncStorage;
  db: Database;
  done(): Promise<void>;
}

let dir: string | null = null;

async function fresh(): Promise<Fresh> {
  let storage: SyncStorage;
  if (ON_DISK) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'cl-longops-'));
    const fs = new NodeFsStorage(dir);
    for (const [name, bytes] of snapshot) {
      const f = fs.open(name, { create: true });
      f.write(bytes, { at: 0 });
      f.flush();
      f.close();
    }
    storage = fs;
  } else {
    storage = MemoryStorage.from(snapshot);
  }
  const db = await Database.open({ storage, name: NAME, key, create: false });
  return { storage, db, done: async () => void (await db.close().catch(() => undefined)) };
}

async function time(label: string, op: (f: Fresh) => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const f = await fresh();
    const profiler = r === 0 && PROFILE_DIR ? await startProfile() : null;
    const c = process.cpuUsage();
    const t = performance.now();
    await op(f);
    ms.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    if (profiler) await stopProfile(profiler, label);
    await f.done();
  }
  report(label, median(ms), median(cpu), ms);
}

/**
 * Wall time and this process's CPU time (user + system). On a shared, loaded machine the wall
 * time stretches with other processes' load; the CPU time much less, so before/after comparisons
 * there should read the CPU column.
 */
function report(label: string, wallMs: number, cpuMs: number, runs?: number[]): void {
  const rate = (t: number) => (size / MB / (t / 1000)).toFixed(1).padStart(6);
  console.log(
    `${label.padEnd(28)} wall ${wallMs.toFixed(0).padStart(6)} ms ${rate(wallMs)} MB/s | cpu ${cpuMs.toFixed(0).padStart(6)} ms ${rate(cpuMs)} MB/s${runs ? `   wall runs: ${runs.map((x) => x.toFixed(0)).join(', ')}` : ''}`,
  );
}

async function startProfile(): Promise<Session> {
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.setSamplingInterval', { interval: 200 });
  await s.post('Profiler.start');
  return s;
}

async function stopProfile(s: Session, label: string): Promise<void> {
  const { profile } = await s.post('Profiler.stop');
  s.disconnect();
  mkdirSync(PROFILE_DIR!, { recursive: true });
  writeFileSync(join(PROFILE_DIR!, `${label}.cpuprofile`), JSON.stringify(profile));
}

async function aesFloor(blocks: number): Promise<{ wall: number; cpu: number }> {
  const k = createAesGcmKey(new Uint8Array(32).fill(3));
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array(43);
  const pt = new Uint8Array(4096).fill(1);
  const ct = new Uint8Array(4096);
  const tag = new Uint8Array(16);
  k.seal(nonce, aad, pt, ct, tag);
  const c = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < blocks; i++) k.open(nonce, aad, ct, tag, pt);
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  k.destroy();
  return { wall, cpu: (used.user + used.system) / 1000 };
}

const buildStorage = new MemoryStorage();
let t0 = performance.now();
const size = await build(buildStorage);
const snapshot: Map<string, Uint8Array> = buildStorage.snapshot();
console.log(`cipherlite long operations — Node ${process.version}, ${ON_DISK ? 'NodeFsStorage (temp dir)' : 'MemoryStorage'}, medians of ${RUNS}`);
console.log(`database: ${(size / MB).toFixed(1)} MB (${size / 4096} pages), built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const floors: { wall: number; cpu: number }[] = [];
for (let r = 0; r < RUNS; r++) floors.push(await aesFloor(size / 4096));
report('floor: AES-GCM open, 4 KiB', median(floors.map((f) => f.wall)), median(floors.map((f) => f.cpu)));

if (OPS.includes('verify')) {
  // SQLite's own floor for verify: integrity_check on the same pages, already decrypted, in memory.
  const f = await fresh();
  const plain = await exportPlaintext(f.db);
  await f.done();
  const sqlite3 = (await loadSqlite()) as unknown as {
    oo1: { DB: new (n: string) => { pointer: number; selectValue(s: string): unknown; close(): void } };
    wasm: { allocFromTypedArray(b: Uint8Array): number };
    capi: Record<string, (...a: unknown[]) => number> & { SQLITE_DESERIALIZE_FREEONCLOSE: number; SQLITE_DESERIALIZE_RESIZEABLE: number };
  };
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const mem = new sqlite3.oo1.DB(':memory:');
    const p = sqlite3.wasm.allocFromTypedArray(plain);
    sqlite3.capi.sqlite3_deserialize!(mem.pointer, 'main', p, plain.length, plain.length, sqlite3.capi.SQLITE_DESERIALIZE_FREEONCLOSE | sqlite3.capi.SQLITE_DESERIALIZE_RESIZEABLE);
    const c = process.cpuUsage();
    const t = performance.now();
    const r0 = mem.selectValue('PRAGMA integrity_check');
    ms.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    if (r0 !== 'ok') throw new Error(String(r0));
    mem.close();
  }
  report('floor: integrity_check, mem', median(ms), median(cpu));
}
console.log('');

t0 = performance.now();
if (OPS.includes('verify')) {
  await time('verify', async ({ db }) => {
    const r = await verify(db);
    if (!r.ok) throw new Error(`verify failed: ${JSON.stringify(r)}`);
  });
}
if (OPS.includes('backup')) await time('backup', ({ db }) => backup(db, { key }));
if (OPS.includes('exportPlaintext')) await time('exportPlaintext', ({ db }) => exportPlaintext(db));
if (OPS.includes('rekey')) {
  await time('rekey', async (f) => {
    const r = await rekey(f.db, { key });
    f.db = r.db;
  });
}
if (dir) rmSync(dir, { recursive: true, force: true });
