/**
 * The leader's sync scheduler (engine/leader/sync-host.ts) in Node: two devices on real
 * sqlite-wasm databases share one multi-writer replica on core's in-process object store (the
 * same `ObjectStore` contract as S3; the browser e2e runs it against Ceph RGW). What is checked is
 * the scheduling: a push after a sync transaction, pulls on the interval with change events,
 * `offline` with backoff and the queue kept, a halting error, pause/resume, pushNow's typed error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CipherliteError, Database, MemoryStorage } from '@cipherlite/core';
import { MemoryObjectStore } from '@cipherlite/core/replica';
import { joinSyncReplica } from '@cipherlite/core/sync';
import { Diagnostics } from '../src/shared/diagnostics.js';
import type { BusMessage } from '../src/shared/bus.js';
import type { SyncStatus, WorkerSyncOptions } from '../src/shared/sync.js';
import { SyncHost } from '../src/engine/leader/sync-host.js';

const KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };
const PASSWORD = 'sync host pw';
const INTERVAL = 40;

interface Device {
  db: Database;
  host: SyncHost;
  posted: BusMessage[];
  changes: string[];
}

const hosts: SyncHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
});

function options(extra: Partial<WorkerSyncOptions> = {}): WorkerSyncOptions {
  return {
    replica: { endpoint: 'http://unused.invalid', bucket: 'b', prefix: 'shop', credentials: { accessKeyId: 'k', secretAccessKey: 's' } },
    tables: { items: { counters: ['stock'] } },
    pullIntervalMs: INTERVAL,
    pushDebounceMs: 5,
    retryMinMs: 30,
    retryMaxMs: 120,
    ...extra,
  };
}

async function host(db: Database, store: MemoryObjectStore, create: boolean, extra: Partial<WorkerSyncOptions> = {}): Promise<Device> {
  const posted: BusMessage[] = [];
  const changes: string[] = [];
  db.onChange((tables) => changes.push(...tables));
  const events = { post: (m: BusMessage) => void posted.push(structuredClone(m)), listen: () => undefined, close: () => undefined };
  const h = await SyncHost.start(db, options(extra), { storage: { files: db.storage }, events, log: Diagnostics.silent, persist: () => Promise.resolve(), store }, create);
  hosts.push(h);
  return { db, host: h, posted, changes };
}

/** Device A creates the replica from its schema; device B joins it with the password. */
async function shop(extra: Partial<WorkerSyncOptions> = {}): Promise<{ store: MemoryObjectStore; a: Device; b: Device }> {
  const store = new MemoryObjectStore();
  const dbA = await Database.open({ storage: new MemoryStorage(), name: 'shop', password: PASSWORD, kdf: KDF });
  await dbA.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, stock INTEGER NOT NULL)');
  await dbA.exec(`INSERT INTO items VALUES (1, 'coffee', 100)`);
  const a = await host(dbA, store, true, extra);
  const { db: dbB } = await joinSyncReplica({ storage: new MemoryStorage(), name: 'shop', replica: { prefix: 'shop', store }, password: PASSWORD, kdf: KDF });
  const b = await host(dbB, store, false, extra);
  return { store, a, b };
}

const sell = (d: Device, qty: number) => d.host.transaction((tx) => tx.exec('UPDATE items SET stock = stock - ? WHERE id = 1', [qty]));
const stock = async (d: Device) => Number((await d.db.get('SELECT stock FROM items WHERE id = 1'))!.stock);

async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How many rounds device `d` began (each posts `syncing` first). */
const rounds = (d: Device) => d.posted.filter((m) => m.kind === 'sync' && m.status.state === 'syncing').length;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const status = (d: Device): Promise<SyncStatus> => d.host.call({ action: 'status' });
/**
 * Log position after `sales` sale entries from devices that registered: each device appends its
 * signed `device` entry before its first push (docs/SYNC.md "Device identity and removal").
 */
const positionAfter = (sales: number, devices = 1) => devices + sales;

describe('sync scheduler', () => {
  it('pushes soon after a sync transaction; the other device pulls it on its interval and hears the change', async () => {
    const { a, b } = await shop();
    await until(
      () => status(b),
      (s) => s.state === 'idle' && s.lastPullAt !== null,
    );
    b.changes.length = 0;
    await sell(a, 3);
    await until(
      () => status(a),
      (s) => s.pending === 0 && s.seq === positionAfter(1),
    );
    expect((await status(a)).lastPushAt).not.toBeNull();
    await until(
      () => stock(b),
      (v) => v === 97,
    );
    expect(b.changes).toContain('items');
    const seen = (await status(b)).devices;
    expect(seen).toEqual([{ device: (await status(a)).device, lastSeq: positionAfter(1), lastSeenAt: expect.any(Number) as number }]);
    // Every status went out on the bus, `syncing` included.
    expect(a.posted.filter((m) => m.kind === 'sync').map((m) => (m.kind === 'sync' ? m.status.state : ''))).toContain('syncing');
  });

  it('offline: rounds fail with REPLICA_UNAVAILABLE (state offline), the queue is kept, retries back off; back online everything goes out', async () => {
    const { store, a, b } = await shop();
    await until(
      () => status(a),
      (s) => s.state === 'idle',
    );
    store.fault = () => {
      throw new CipherliteError('REPLICA_UNAVAILABLE', 'the network is down');
    };
    await sell(a, 1);
    await sell(a, 2);
    const offline = await until(
      () => status(a),
      (s) => s.state === 'offline',
    );
    expect(offline).toMatchObject({ pending: 2, lastError: { code: 'REPLICA_UNAVAILABLE' } });
    await expect(a.host.pushNow()).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    // Backoff: retries at most every retryMaxMs once it doubled up (120 ms); the pull interval (40 ms) no longer applies.
    await wait(300);
    const before = rounds(a);
    await wait(600);
    const retries = rounds(a) - before;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(600 / 120 + 1);
    store.fault = null;
    await until(
      () => status(a),
      (s) => s.state === 'idle' && s.pending === 0 && s.seq === positionAfter(2),
    );
    await until(
      () => stock(b),
      (v) => v === 97,
    );
  });

  it('an error retrying does not mend (a fork) stops the rounds until resume; local transactions keep queueing', async () => {
    const { store, a } = await shop();
    await until(
      () => status(a),
      (s) => s.state === 'idle',
    );
    store.fault = () => {
      throw new CipherliteError('REPLICA_FORK', 'another history');
    };
    await sell(a, 1);
    await until(
      () => status(a),
      (s) => s.state === 'error',
    );
    const stopped = rounds(a);
    await wait(INTERVAL * 6);
    expect(rounds(a)).toBe(stopped);
    await sell(a, 1);
    expect(await status(a)).toMatchObject({ state: 'error', pending: 2, lastError: { code: 'REPLICA_FORK' } });
    store.fault = null;
    await a.host.call({ action: 'resume' });
    await until(
      () => status(a),
      (s) => s.state === 'idle' && s.pending === 0 && s.seq === positionAfter(2),
    );
  });

  it('paused: no rounds at all, sales queue; resume pushes them', async () => {
    const { a, b } = await shop();
    await until(
      () => status(a),
      (s) => s.state === 'idle',
    );
    expect(await a.host.call({ action: 'pause' })).toMatchObject({ state: 'paused' });
    const paused = rounds(a);
    await sell(a, 5);
    await wait(INTERVAL * 6);
    expect(rounds(a)).toBe(paused);
    expect(await status(a)).toMatchObject({ state: 'paused', pending: 1 });
    await a.host.call({ action: 'resume' });
    await until(
      () => status(a),
      (s) => s.state === 'idle' && s.pending === 0,
    );
    await until(
      () => stock(b),
      (v) => v === 95,
    );
  });

  it('a database that neither created nor joined a sync replica is refused (INVALID_ARGUMENT) and left without sync', async () => {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'plain', password: PASSWORD, kdf: KDF });
    await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY)');
    await expect(host(db, new MemoryObjectStore(), false)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await db.query(`SELECT name FROM sqlite_schema WHERE name LIKE '_cipherlite_sync%'`)).toEqual([]);
    await db.close();
  });

  it('counters from both devices add up, whatever the order of their pushes', async () => {
    const { a, b } = await shop();
    await Promise.all([sell(a, 1), sell(b, 2), sell(a, 4), sell(b, 8)]);
    await until(
      async () => [await stock(a), await stock(b), (await status(a)).pending + (await status(b)).pending],
      ([x, y, p]) => x === 85 && y === 85 && p === 0,
    );
    expect((await status(a)).seq).toBe(positionAfter(4, 2));
  });
});
