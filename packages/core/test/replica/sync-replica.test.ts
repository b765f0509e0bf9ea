/**
 * Multi-device sync over the replica's log on Ceph RGW (docs/SYNC.md "On a replica"): devices
 * edit offline and converge, a device joins later, a store that shows two devices different
 * histories is caught when their logs meet, a store without conditional writes is refused, and
 * single-writer and multi-writer generations never mix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/index.js';
import { entryName, objectHash } from '../../src/replica/format.js';
import { ReplicaLog } from '../../src/replica/log.js';
import { openReplicaWithKey } from '../../src/replica/reader.js';
import { internals } from '../../src/internal.js';
import { listAll, type ListPage, type ObjectStore, type PutOptions } from '../../src/replica/object-store.js';
import { restoreFromReplica, startReplica, verifyReplica } from '../../src/replica/index.js';
import { S3ObjectStore } from '../../src/replica/s3-store.js';
import { encodeEntry } from '../../src/sync/codec.js';
import { signEntry } from '../../src/sync/devices.js';
import { createSyncReplica, openSyncReplica, type SyncLog, type SyncRefusal } from '../../src/sync/index.js';
import { expectCode, findPlaintext, KEY, openWithKey } from '../helpers.js';
import { content, contentHash, settle, type Device } from '../sync-helpers.js';
import { bucket, dump, type Bucket } from './replica-helpers.js';
import { createDevice, joinDevice, reopenDevice, type Target } from './sync-devices.js';
import { MemoryStorage } from '../../src/index.js';

const SEED = `INSERT INTO items (id, name, price, stock) VALUES (1, 'flat-white-marker', 300, 10), (2, 'croissant-marker', 250, 5)`;

const open: { db: Database }[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) if (!d.db.closed) await d.db.close();
});
const keep = <T extends { db: Database }>(d: T): T => (open.push(d), d);

async function target(): Promise<Target & { b: Bucket }> {
  const b = await bucket();
  return { b, store: b.store, prefix: `shop-${Math.random().toString(36).slice(2, 8)}` };
}

async function sale(d: Device, order: string, item: number): Promise<void> {
  const { device } = await d.sync.status();
  return d.sync.transaction(async (tx) => {
    await tx.exec('INSERT INTO orders (id, item, qty, device) VALUES (?, ?, 1, ?)', [order, item, device]);
    await tx.exec('UPDATE items SET stock = stock - 1 WHERE id = ?', [item]);
  });
}

/** Serves the objects of `prefix` from `forkPrefix` while `forked`: a store showing one device another history. */
class ForkingStore implements ObjectStore {
  forked = false;
  constructor(
    readonly base: ObjectStore,
    readonly prefix: string,
    readonly forkPrefix: string,
  ) {}
  #in = (k: string): string => (this.forked && k.startsWith(`${this.prefix}/`) ? `${this.forkPrefix}${k.slice(this.prefix.length)}` : k);
  #out = (k: string): string => (this.forked && k.startsWith(`${this.forkPrefix}/`) ? `${this.prefix}${k.slice(this.forkPrefix.length)}` : k);
  put(key: string, bytes: Uint8Array, o?: PutOptions): ReturnType<ObjectStore['put']> {
    return this.base.put(this.#in(key), bytes, o);
  }
  get(key: string): Promise<Uint8Array | null> {
    return this.base.get(this.#in(key));
  }
  head(key: string): Promise<{ size: number } | null> {
    return this.base.head(this.#in(key));
  }
  delete(key: string): Promise<void> {
    return this.base.delete(this.#in(key));
  }
  async list(prefix: string, startAfter?: string): Promise<ListPage> {
    const page = await this.base.list(this.#in(prefix), startAfter === undefined ? undefined : this.#in(startAfter));
    const keys = page.keys.map((k) => ({ key: this.#out(k.key), size: k.size }));
    return page.next === undefined ? { keys } : { keys, next: this.#out(page.next) };
  }
}

/** An S3 store that never sends If-None-Match (what a store without conditional writes does with it). */
class UnconditionalStore extends S3ObjectStore {
  override put(key: string, bytes: Uint8Array, o: PutOptions = {}): ReturnType<ObjectStore['put']> {
    return super.put(key, bytes, o.signal ? { signal: o.signal } : {});
  }
}

describe('sync over the replica log (Ceph RGW)', () => {
  it('three devices edit offline (one price on two of them, stock on all, sales) and converge; a fourth joins later and converges', async () => {
    const t = await target();
    const a = keep(await createDevice(t, { seed: SEED }));
    const b = keep(await joinDevice(t));
    const c = keep(await joinDevice(t));
    for (const d of [a, b, c]) await d.sync.pull();
    expect(await contentHash(b.db)).toBe(await contentHash(a.db));
    // Offline: nobody pushes.
    await sale(a, 'a-1', 1);
    await sale(a, 'a-2', 2);
    await sale(b, 'b-1', 1);
    await sale(c, 'c-1', 1);
    await a.sync.transaction((tx) => tx.exec('UPDATE items SET price = 320 WHERE id = 1'));
    await b.sync.transaction((tx) => tx.exec('UPDATE items SET price = 310 WHERE id = 1'));
    expect((await c.sync.status()).pending).toBe(1);
    // Online: A pushes first, then B (B's price is later in the log: last writer wins), then C.
    await settle([a, b, c]);
    const hashes = await Promise.all([a, b, c].map((d) => contentHash(d.db)));
    expect(new Set(hashes).size).toBe(1);
    expect(await a.db.query('SELECT id, price, stock FROM items ORDER BY id')).toEqual([
      { id: 1, price: 310, stock: 7 },
      { id: 2, price: 250, stock: 4 },
    ]);
    expect((await a.db.query('SELECT id FROM orders ORDER BY id')).map((r) => r['id'])).toEqual(['a-1', 'a-2', 'b-1', 'c-1']);
    const tip = (await a.sync.status()).seq;
    expect(tip).toBe(9); // each device's device entry, then its 2 + 1 + 1 + 1 + 1 changesets (sales and prices)
    // A fourth device joins afterwards: genesis + the whole log.
    const d = keep(await joinDevice(t));
    await d.sync.pull();
    expect(await contentHash(d.db)).toBe(hashes[0]);
    expect((await d.sync.status()).seq).toBe(tip);
    expect((await d.sync.status()).device).not.toBe((await a.sync.status()).device);
    // The whole generation verifies, and the bucket holds no plaintext.
    const v = await verifyReplica({ replica: t, key: KEY });
    expect(v.tipSeq).toBe(tip);
    expect(findPlaintext(await dump(t.store, t.prefix), ['flat-white-marker', 'croissant-marker', 'CREATE TABLE'])).toEqual([]);
  });

  it('a device that restarts keeps syncing from where it was', async () => {
    const t = await target();
    const a = keep(await createDevice(t, { seed: SEED }));
    const b = keep(await joinDevice(t));
    await sale(b, 'b-1', 2);
    await b.sync.push();
    await b.db.close();
    await sale(a, 'a-1', 2);
    await a.sync.push();
    const b2 = keep(await reopenDevice(t, b.storage));
    await b2.sync.pull();
    expect(await content(b2.db)).toBe(await content(a.db));
  });

  it('two devices shown different histories by the store: caught as REPLICA_FORK the moment their logs meet, nothing merged', async () => {
    const t = await target();
    const hostile = new ForkingStore(t.store, t.prefix, `${t.prefix}-fork`);
    const a = keep(await createDevice(t, { seed: SEED }));
    const b = keep(await joinDevice({ store: hostile, prefix: t.prefix }));
    await sale(a, 'a-0', 1);
    await sale(b, 'b-0', 2); // both register (device entries) before the fork
    await settle([a, b]);
    // The store copies the history and shows B the copy from now on.
    for (const [key, bytes] of await dump(t.store, t.prefix)) await t.store.put(`${t.prefix}-fork${key.slice(t.prefix.length)}`, bytes);
    hostile.forked = true;
    await sale(a, 'a-1', 1);
    await a.sync.push();
    await sale(b, 'b-1', 2);
    await b.sync.push();
    expect((await a.sync.status()).seq).toBe((await b.sync.status()).seq);
    const before = await content(b.db);
    // The store shows B the real history again: B's entry at that position is not there.
    hostile.forked = false;
    await expectCode(b.sync.pull(), 'REPLICA_FORK');
    await expectCode(b.sync.push(), 'REPLICA_FORK');
    expect(await content(b.db)).toBe(before);
    // The check survives a restart of B.
    await b.db.close();
    await expectCode(reopenDevice({ store: hostile, prefix: t.prefix }, b.storage), 'REPLICA_FORK');
    // And A, shown B's branch, refuses it too.
    const aView = new ForkingStore(t.store, t.prefix, `${t.prefix}-fork`);
    aView.forked = true;
    await a.db.close();
    await expectCode(reopenDevice({ store: aView, prefix: t.prefix }, a.storage), 'REPLICA_FORK');
  });

  it('a removed device: SYNC_DEVICE_REMOVED at its next push, and its later signed write refused alike by every device, joiners included', async () => {
    const t = await target();
    const a = keep(await createDevice(t, { seed: SEED }));
    const b = keep(await joinDevice(t));
    let removedLog: SyncLog | undefined;
    const r = keep(await joinDevice(t, { wrap: (log) => (removedLog = log) }));
    const refusals: SyncRefusal[][] = [[], []];
    [a, b].forEach((d, k) => d.sync.onRefused((x) => refusals[k]!.push(x)));
    for (const [k, d] of [a, b, r].entries()) await sale(d, `first-${k}`, 1);
    await settle([a, b, r]);
    const removed = (await r.sync.status()).device;
    await a.sync.removeDevice(removed);
    await sale(r, 'after-removal', 2);
    await expectCode(r.sync.push(), 'SYNC_DEVICE_REMOVED');
    expect((await r.sync.status()).pending).toBe(1);
    // The removed device still holds the data key and its signing key: it writes past its engine.
    const key = (await r.db.get<{ value: Uint8Array }>(`SELECT value FROM _cipherlite_sync_state WHERE key = 'signing_key'`))!.value;
    const changeset = (await r.db.get<{ changeset: Uint8Array }>('SELECT changeset FROM _cipherlite_sync_pending'))!.changeset;
    const seq = (await r.sync.status()).seq + 1;
    expect(await removedLog!.tryAppend(seq, { device: removed, payload: await signEntry(key, seq, removed, encodeEntry({ kind: 'changeset', tx: 40, changeset }, true)) })).toBe('ok');
    // With the data key it can also write an authenticated entry that is no well-formed sync record, and a sync record that does not decode: skipped, not a stuck log.
    const replica = (await openReplicaWithKey(t.store, t.prefix, internals(a.db).container.dek))!.replica;
    const raw = new ReplicaLog(replica);
    const prevHash = objectHash((await t.store.get(entryName(t.prefix, 0, seq)))!);
    const notSync = raw.seal(seq + 1, { prevHash, deviceId: new Uint8Array(16), time: 0, kind: 'changeset', payload: Uint8Array.of(0, 1, 1, 0) }); // its device-id field does not match
    expect((await raw.append(seq + 1, notSync)).appended).toBe(true);
    expect(await removedLog!.tryAppend(seq + 2, { device: removed, payload: Uint8Array.of(9, 1, 0, 0, 0, 0) })).toBe('ok');
    await sale(b, 'after-garbage', 1);
    await b.sync.push();
    for (const d of [a, b]) await d.sync.pull();
    const late = keep(await joinDevice(t));
    await late.sync.pull();
    const hashes = await Promise.all([a, b, late].map((d) => contentHash(d.db)));
    expect(new Set(hashes).size).toBe(1);
    expect(await late.db.query(`SELECT id FROM orders WHERE id = 'after-removal'`)).toEqual([]);
    expect(await late.db.query(`SELECT id FROM orders WHERE id = 'after-garbage'`)).toEqual([{ id: 'after-garbage' }]);
    const expected = [
      { seq, device: removed, kind: 'changeset', reason: 'removed' },
      { seq: seq + 1, device: '', kind: 'unknown', reason: 'malformed' },
      { seq: seq + 2, device: removed, kind: 'unknown', reason: 'malformed' },
    ];
    for (const list of refusals) expect(list).toEqual(expected);
    expect((await late.sync.devices()).map((d) => [d.device, d.removedSeq !== null])).toEqual([
      [(await a.sync.status()).device, false],
      [(await b.sync.status()).device, false],
      [removed, true],
    ]);
    expect((await verifyReplica({ replica: t, key: KEY })).tipSeq).toBe(seq + 3);
  });

  it("entries that are not this log's — another database's, replayed, altered — are typed errors, and nothing is applied", async () => {
    const t = await target();
    const a = keep(await createDevice(t, { seed: SEED }));
    const b = keep(await joinDevice(t));
    const start = await content(b.db);
    await sale(a, 'a-1', 1);
    await a.sync.push();
    // Another database (same schema, its own key material) in the same bucket.
    const other = keep(await createDevice({ store: t.store, prefix: `${t.prefix}-other` }, { seed: SEED }));
    await sale(other, 'o-1', 1);
    await other.sync.push();
    const second = entryName(t.prefix, 0, 2);
    const cases: [string, Uint8Array, string][] = [
      ['foreign', (await t.store.get(entryName(`${t.prefix}-other`, 0, 1)))!, 'REPLICA_FOREIGN'],
      ['replayed', (await t.store.get(entryName(t.prefix, 0, 1)))!, 'REPLICA_REORDERED'],
    ];
    await sale(a, 'a-2', 2);
    await a.sync.push();
    const altered = (await t.store.get(second))!;
    altered[altered.length - 40]! ^= 1;
    cases.push(['altered', altered, 'REPLICA_CORRUPT']);
    const genuine = (await t.store.get(second))!;
    for (const [what, bytes, code] of cases) {
      await t.store.put(second, bytes);
      const err = await expectCode(b.sync.pull(), code);
      expect(err.message, what).toContain('0000000000000002');
      expect(await content(b.db), what).toBe(start);
    }
    await t.store.put(second, genuine);
    await b.sync.pull();
    expect(await content(b.db)).toBe(await content(a.db));
  });

  it('a bucket rolled back under a device is REPLICA_ROLLBACK; a position taken by another device is "taken" (412)', async () => {
    const t = await target();
    const a = keep(await createDevice(t, { seed: SEED }));
    const b = keep(await joinDevice(t));
    const snapshot = await dump(t.store, t.prefix);
    await sale(a, 'a-1', 1);
    await a.sync.push();
    const aLog = await openSyncReplica(a.db, t);
    const bLog = await openSyncReplica(b.db, t);
    const record = { device: 'x', payload: Uint8Array.of(1, 1, 0, 0, 0, 9) };
    const next = (await a.sync.status()).seq + 1; // after a's device entry and its sale
    expect(await bLog.tryAppend(1, record)).toBe('taken');
    expect(await aLog.tryAppend(next, record)).toBe('ok');
    expect(await bLog.tryAppend(next, record)).toBe('taken');
    for (const { key } of await listAll(t.store, `${t.prefix}/`)) if (!snapshot.has(key)) await t.store.delete(key);
    await expectCode(a.sync.pull(), 'REPLICA_ROLLBACK');
    await a.db.close();
    await expectCode(reopenDevice(t, a.storage), 'REPLICA_ROLLBACK');
  });

  it('a store without conditional writes is refused with REPLICA_UNSUPPORTED, and leaves nothing behind', async () => {
    const t = await target();
    const store = new UnconditionalStore(t.b.s3);
    const db = keep({ db: await openWithKey(new MemoryStorage(), 'shop.db') }).db;
    await db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)`);
    await expectCode(createSyncReplica(db, { store, prefix: t.prefix }), 'REPLICA_UNSUPPORTED');
    expect(await listAll(t.store, `${t.prefix}/`)).toEqual([]);
    await createSyncReplica(db, t);
    await expectCode(openSyncReplica(db, { store, prefix: t.prefix }), 'REPLICA_UNSUPPORTED');
  });

  it('single-writer and multi-writer generations do not mix (REPLICA_MODE)', async () => {
    const t = await target();
    const a = keep(await createDevice(t, { seed: SEED }));
    await sale(a, 'a-1', 1);
    await a.sync.push();
    await expectCode(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: t, key: KEY }), 'REPLICA_MODE');
    const other = keep({ db: await openWithKey(new MemoryStorage(), 'x.db') }).db;
    await other.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    // The same database's single-writer replica refuses the prefix instead of writing pages into it.
    const writer = startReplica(a.db, { ...t, debounceMs: 0 });
    await expectCode(writer.pushNow(), 'REPLICA_MODE');
    await writer.stop();
    // A single-writer replica is not a sync log.
    const single = await target();
    const w = startReplica(other, { ...single, debounceMs: 0 });
    await w.pushNow();
    await w.stop();
    await expectCode(openSyncReplica(other, single), 'REPLICA_MODE');
  });
});
