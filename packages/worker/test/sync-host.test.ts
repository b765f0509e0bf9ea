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
import { joinSyncReplica, openSyncReplica } from '@cipherlite/core/sync';
import { Diagnostics } from '../src/shared/diagnostics.js';
import type { BusMessage } from '../src/shared/bus.js';
import type { SyncRefusal, SyncStatus, WorkerSyncOptions } from '../src/shared/sync.js';
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
async function shop(extra: Partial<WorkerSyncOptions> = {}, extraB: Partial<WorkerSyncOptions> = extra): Promise<{ store: MemoryObjectStore; a: Device; b: Device }> {
  const store = new MemoryObjectStore();
  const dbA = await Database.open({ storage: new MemoryStorage(), name: 'shop', password: PASSWORD, kdf: KDF });
  await dbA.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, stock INTEGER NOT NULL)');
  await dbA.exec(`INSERT INTO items VALUES (1, 'coffee', 100)`);
  const a = await host(dbA, store, true, extra);
  const { db: dbB } = await joinSyncReplica({ storage: new MemoryStorage(), name: 'shop', replica: { prefix: 'shop', store }, password: PASSWORD, kdf: KDF });
  const b = await host(dbB, store, false, extraB);
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

  it('devices(): who the log registered, with names and last contact kept across a restart; removeDevice refuses the removed tablet (SYNC_DEVICE_REMOVED, queue kept) and every device hears its later entries refused', async () => {
    const { store, a, b } = await shop({ deviceName: 'till 1' }, { deviceName: 'till 2' });
    await sell(a, 1);
    await sell(b, 2);
    const idA = (await status(a)).device;
    const idB = (await status(b)).device;
    await until(
      async () => [await stock(a), await stock(b), (await status(a)).pending + (await status(b)).pending],
      ([x, y, p]) => x === 97 && y === 97 && p === 0,
    );
    const listed = await until(
      () => a.host.call({ action: 'devices' }),
      (ds) => ds.find((d) => d.device === idB)?.lastSeq !== null && ds.length === 2,
    );
    const sawB = (await status(a)).devices.find((d) => d.device === idB)!;
    expect(listed).toEqual([
      expect.objectContaining({ device: idA, name: 'till 1', removedSeq: null, self: true, lastSeq: null, lastSeenAt: null }),
      expect.objectContaining({ device: idB, name: 'till 2', removedSeq: null, self: false, lastSeq: sawB.lastSeq, lastSeenAt: sawB.lastSeenAt }),
    ]);
    expect(sawB.lastSeenAt).toEqual(expect.any(Number));
    expect(listed.map((d) => d.addedSeq)).toEqual([1, expect.any(Number)]);

    // A restarted leader (a reload, a takeover) still knows B's last contact: it is kept in the database.
    await a.host.stop();
    const again = await host(a.db, store, false, { deviceName: 'till 1' });
    expect((await again.host.call({ action: 'devices' })).find((d) => d.device === idB)).toMatchObject({ lastSeq: sawB.lastSeq, lastSeenAt: sawB.lastSeenAt });
    expect((await status(again)).devices).toEqual([sawB]);

    const removed = await again.host.call({ action: 'removeDevice', device: idB });
    expect(removed.seq).toBeGreaterThan(sawB.lastSeq);
    const afterRemoval = await again.host.call({ action: 'devices' });
    expect(afterRemoval.find((d) => d.device === idB)).toMatchObject({ removedSeq: removed.seq });
    // The removed tablet learns it at its next round: its sale stays queued, the push is refused, the rounds stop.
    await sell(b, 5);
    await until(
      () => status(b),
      (s) => s.state === 'error',
    );
    expect(await status(b)).toMatchObject({ pending: 1, lastError: { code: 'SYNC_DEVICE_REMOVED' } });
    await expect(b.host.pushNow()).rejects.toMatchObject({ code: 'SYNC_DEVICE_REMOVED' });
    expect(await stock(again)).toBe(97);

    // The removed tablet still holds the data key: an entry it writes past its engine is refused by every device, and each one hears it.
    const rogue = await openSyncReplica(b.db, { prefix: 'shop', store });
    const at = (await rogue.tip()) + 1;
    const signedChangeset = Uint8Array.from([2, 1, 0, 0, 0, 9, 1, ...new Array<number>(64).fill(7)]);
    expect(await rogue.tryAppend(at, { device: idB, payload: signedChangeset })).toBe('ok');
    const refusals = (d: Device): SyncRefusal[] => d.posted.flatMap((m) => (m.kind === 'syncRefused' ? [m.refusal] : []));
    await until(
      () => refusals(again),
      (r) => r.length > 0,
    );
    expect(refusals(again)).toEqual([{ seq: at, device: idB, kind: 'changeset', reason: 'removed' }]);
    expect((await status(again)).seq).toBe(at);
    expect(await stock(again)).toBe(97);
  });
});
