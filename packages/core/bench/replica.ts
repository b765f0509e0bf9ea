/**
 * The replica against the local Ceph RGW (scripts/s3.sh; started here when down, stopped again
 * only if this run started it). Not a test. Prints:
 * - commit → durable: time from a small committed write until `pushNow` has the bucket holding
 *   it (p50/p99 over BENCH_COMMITS commits, one entry each);
 * - bytes uploaded per small commit (the log object's size) against the pages it changed;
 * - the initial replica of a ~BENCH_MB MB database (genesis + the first full push + a snapshot), MB/s,
 *   and the CPU time this process spent on it (all its threads);
 * - restore of it into a new database (download, check, import), MB/s;
 * - local commit latency (durable autocommit INSERT) with no replica and with one pushing.
 *
 * Run: npm run bench:replica      BENCH_MB=100  BENCH_COMMITS=200
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Database, MemoryStorage } from '../src/index.js';
import { createBucket, listAll, restoreFromReplica, S3ObjectStore, startReplica } from '../src/replica/index.js';

const TARGET_MB = Number(process.env['BENCH_MB'] ?? 100);
const COMMITS = Number(process.env['BENCH_COMMITS'] ?? 200);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CREDENTIALS = { accessKeyId: 'TESTKEY', secretAccessKey: 'TESTSECRET' };
const key = new Uint8Array(32).fill(9);
const MB = 1e6;
const TRANSFER = 16;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

function s3(cmd: 'start' | 'stop' | 'status'): string | null {
  try {
    return execFileSync('bash', [`${ROOT}scripts/s3.sh`, cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return null;
  }
}

async function bucket(endpoint: string) {
  const target = { endpoint, bucket: `bench-${randomBytes(5).toString('hex')}`, credentials: CREDENTIALS };
  await createBucket(target);
  return target;
}

async function commitToDurable(endpoint: string): Promise<void> {
  const target = { ...(await bucket(endpoint)), prefix: 'small' };
  const db = await Database.open({ storage: new MemoryStorage(), name: 'small.db', key });
  await db.exec('CREATE TABLE sale(id INTEGER PRIMARY KEY, note TEXT)');
  const replica = startReplica(db, { ...target, debounceMs: 0 });
  await replica.pushNow();
  const store = new S3ObjectStore(target);
  const times: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < COMMITS; i++) {
    const t0 = performance.now();
    await db.exec('INSERT INTO sale(note) VALUES (?)', [`sale ${i}`]);
    const s = await replica.pushNow();
    times.push(performance.now() - t0);
    const o = await store.head(`small/g/00000000/log/${s.lastPushedSeq!.toString(16).padStart(16, '0')}`);
    if (o) sizes.push(o.size);
  }
  const pageSize = Number((await db.get<{ page_size: number }>('PRAGMA page_size'))!.page_size);
  await replica.stop();
  await db.close();
  console.log(`commit → durable (${COMMITS} commits): p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms`);
  // A small INSERT changes the table's leaf page and page 1 (the change counter): 2 pages.
  console.log(`bytes per small commit: median ${pct(sizes, 50)} B (changed pages ≈ 2 × ${pageSize} B = ${2 * pageSize} B; ratio ${(pct(sizes, 50) / (2 * pageSize)).toFixed(2)})`);
}

async function bigRoundTrip(endpoint: string): Promise<void> {
  const target = { ...(await bucket(endpoint)), prefix: 'big' };
  const db = await Database.open({ storage: new MemoryStorage(), name: 'big.db', key });
  await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, note TEXT NOT NULL)');
  const rows = Math.round(TARGET_MB * 7000);
  for (let done = 0; done < rows; done += 100_000) {
    const n = Math.min(100_000, rows - done);
    await db.exec(`WITH RECURSIVE c(x) AS (SELECT ${done + 1} UNION ALL SELECT x + 1 FROM c WHERE x < ${done + n}) INSERT INTO items SELECT x, hex(randomblob(60)) FROM c`);
  }
  const size = Number((await db.get<{ s: number }>('SELECT page_count * page_size AS s FROM pragma_page_count, pragma_page_size'))!.s);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const replica = startReplica(db, { ...target, debounceMs: 0, snapshotEvery: 1 });
  await replica.pushNow();
  const push = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  await replica.stop();
  await db.close();
  const objects = await listAll(new S3ObjectStore(target), 'big/');
  // CPU time of every thread of this process (reading, WebCrypto's threads, HTTP), not RGW's.
  const cpuText = `CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`;
  console.log(`initial replica of ${(size / MB).toFixed(1)} MB: ${push.toFixed(2)} s, ${(size / MB / push).toFixed(1)} MB/s (${objects.length} objects; ${cpuText})`);
  const t1 = performance.now();
  const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'restored.db', replica: target, key });
  const restore = (performance.now() - t1) / 1000;
  await restored.close();
  // The bucket's ~100 MB leave the memstore OSD (2 GiB): repeated runs would fill it.
  const store = new S3ObjectStore(target);
  for (let i = 0; i < objects.length; i += TRANSFER) await Promise.all(objects.slice(i, i + TRANSFER).map(({ key }) => store.delete(key)));
  console.log(`restore of ${(size / MB).toFixed(1)} MB: ${restore.toFixed(2)} s, ${(size / MB / restore).toFixed(1)} MB/s`);
}

async function localCommitCost(endpoint: string): Promise<void> {
  const run = async (withReplica: boolean): Promise<number> => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'cost.db', key });
    await db.exec('CREATE TABLE sale(id INTEGER PRIMARY KEY, note TEXT)');
    const replica = withReplica ? startReplica(db, { ...(await bucket(endpoint)), prefix: 'cost', debounceMs: 0 }) : null;
    const times: number[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const t0 = performance.now();
      await db.exec('INSERT INTO sale(note) VALUES (?)', [`sale ${i}`]);
      times.push(performance.now() - t0);
      // Leave room for the push to run between commits, as a till's commits do.
      await new Promise((r) => setTimeout(r, 5));
    }
    await replica?.pushNow();
    await replica?.stop();
    await db.close();
    return pct(times, 50);
  };
  const without = await run(false);
  const withR = await run(true);
  console.log(`local commit p50: ${without.toFixed(2)} ms without a replica, ${withR.toFixed(2)} ms while pushing (${(((withR - without) / without) * 100).toFixed(0)} %)`);
}

const up = s3('status');
const endpoint = up ?? (s3('start'), s3('status'));
if (!endpoint) throw new Error('the local RGW did not start (scripts/s3.sh start)');
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; RGW ${endpoint}${up ? ' (already up)' : ''}`,
);
try {
  await commitToDurable(endpoint);
  await localCommitCost(endpoint);
  await bigRoundTrip(endpoint);
} finally {
  if (!up) s3('stop');
}
