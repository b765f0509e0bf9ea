/**
 * Core micro-benchmark (Node; not a test). Prints, in one run:
 *  1. per-block AES-256-GCM seal/open cost for 4 KiB and 8 KiB blocks: WebAssembly vs @noble/ciphers;
 *  2. end-to-end insert and select times: plain sqlite-wasm in-memory database (the unencrypted,
 *     no-I/O baseline) vs cipherlite on MemoryStorage with each AES backend.
 * Run: npm run bench:core   (figures are medians of 3 runs)
 */
import { createAesGcmKey } from '../src/crypto/aes-gcm-wasm/index.js';
import { nobleAesGcm, type AeadKeyFactory } from '../src/crypto/aead.js';
import { MemoryStorage } from '../src/index.js';
import { openWithInternalOptions } from '../src/internal.js';
import { loadSqlite } from '../src/sqlite/loader.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROWS = 20_000;
const SELECTS = 5_000;

function blockCost(factory: AeadKeyFactory, size: number): { seal: number; open: number } {
  const key = factory(new Uint8Array(32).fill(3));
  const nonce = new Uint8Array(12).fill(1);
  const aad = new Uint8Array(43);
  const pt = new Uint8Array(size).fill(7);
  const ct = new Uint8Array(size);
  const tag = new Uint8Array(16);
  const out = new Uint8Array(size);
  const n = Math.max(200, Math.floor(4_000_000 / size));
  const seal: number[] = [];
  const open: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    for (let i = 0; i < n; i++) key.seal(nonce, aad, pt, ct, tag);
    seal.push(((performance.now() - t) * 1000) / n);
    t = performance.now();
    for (let i = 0; i < n; i++) if (!key.open(nonce, aad, ct, tag, out)) throw new Error('auth failed');
    open.push(((performance.now() - t) * 1000) / n);
  }
  key.destroy();
  return { seal: median(seal), open: median(open) };
}

interface Workload {
  insert(rows: [number, string, number, string][]): Promise<void>;
  select(ids: number[]): Promise<number>;
  close(): Promise<void>;
}

async function plainMemory(): Promise<Workload> {
  const sqlite3 = await loadSqlite();
  const db = new sqlite3.oo1.DB(':memory:');
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b REAL, c TEXT)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  const sel = db.prepare('SELECT a FROM t WHERE id = ?');
  return {
    async insert(rows) {
      db.exec('BEGIN');
      for (const r of rows) ins.bind(r).stepReset();
      db.exec('COMMIT');
    },
    async select(ids) {
      let n = 0;
      for (const id of ids) {
        sel.bind([id]);
        if (sel.step()) n++;
        sel.reset();
      }
      return n;
    },
    async close() {
      ins.finalize();
      sel.finalize();
      db.close();
    },
  };
}

async function encrypted(aead: AeadKeyFactory): Promise<Workload> {
  const db = await openWithInternalOptions({ storage: new MemoryStorage(), name: 'b.db', key: new Uint8Array(32).fill(1) }, { aead });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b REAL, c TEXT)');
  return {
    async insert(rows) {
      await db.transaction(async (tx) => {
        for (const r of rows) await tx.exec('INSERT INTO t VALUES (?, ?, ?, ?)', r);
      });
    },
    async select(ids) {
      let n = 0;
      for (const id of ids) if (await db.get('SELECT a FROM t WHERE id = ?', [id])) n++;
      return n;
    },
    close: () => db.close(),
  };
}

async function endToEnd(make: () => Promise<Workload>): Promise<{ insert: number; select: number }> {
  const rows: [number, string, number, string][] = Array.from({ length: ROWS }, (_, i) => [i + 1, `name-${i}-${'x'.repeat(20)}`, i * 0.5, 'y'.repeat(100)]);
  const ids = Array.from({ length: SELECTS }, (_, i) => 1 + ((i * 7919) % ROWS));
  const ins: number[] = [];
  const sel: number[] = [];
  for (let r = 0; r < 3; r++) {
    const w = await make();
    let t = performance.now();
    for (let i = 0; i < rows.length; i += 1000) await w.insert(rows.slice(i, i + 1000));
    ins.push(performance.now() - t);
    t = performance.now();
    if ((await w.select(ids)) !== ids.length) throw new Error('missing rows');
    sel.push(performance.now() - t);
    await w.close();
  }
  return { insert: median(ins), select: median(sel) };
}

console.log(`cipherlite core micro-benchmark — Node ${process.version}, medians of 3\n`);
console.log('Per-block AES-256-GCM (µs per block, MB/s):');
const table: Record<string, Record<string, string>> = {};
for (const size of [4096, 8192]) {
  for (const [name, f] of [
    ['wasm', createAesGcmKey],
    ['noble', nobleAesGcm],
  ] as const) {
    const c = blockCost(f, size);
    table[`${name} ${size / 1024} KiB`] = {
      'seal µs': c.seal.toFixed(1),
      'open µs': c.open.toFixed(1),
      'seal MB/s': (size / c.seal).toFixed(1),
      'open MB/s': (size / c.open).toFixed(1),
    };
  }
}
console.table(table);

console.log(`End to end: insert ${ROWS} rows in transactions of 1000, then ${SELECTS} point selects (ms):`);
const plain = await endToEnd(plainMemory);
const wasm = await endToEnd(() => encrypted(createAesGcmKey));
const noble = await endToEnd(() => encrypted(nobleAesGcm));
const row = (r: { insert: number; select: number }) => ({
  'insert ms': r.insert.toFixed(0),
  'select ms': r.select.toFixed(0),
  'insert ×plain': (r.insert / plain.insert).toFixed(2),
  'select ×plain': (r.select / plain.select).toFixed(2),
});
console.table({
  'plain sqlite-wasm :memory: (no encryption, no I/O)': row(plain),
  'cipherlite, MemoryStorage, wasm AES': row(wasm),
  'cipherlite, MemoryStorage, noble AES': row(noble),
});
