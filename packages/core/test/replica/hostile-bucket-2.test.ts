/**
 * A hostile bucket (Ceph RGW) against the newer paths of the replica: `image` entries and their
 * chunks, point in time across snapshots, retention running under a reader, generations retired
 * and served again, and the device state a rekey carries over. Each case ends in a typed
 * REPLICA_* error with nothing created, or in the correct state — never an older or mixed one.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { secretFromMaterial } from '../../src/container/keyslots.js';
import { CipherliteError } from '../../src/errors.js';
import { Database, MemoryStorage } from '../../src/index.js';
import { rekey } from '../../src/keys/index.js';
import { chunkName, entryName, keysName, manifestName } from '../../src/replica/format.js';
import { listAll, restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import { openReplica, readEntry } from '../../src/replica/reader.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, dump, HookedStore, openDb, PASSWORD, putBack, rows, sell, type Bucket } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? (x.closed ? undefined : x.close()) : x.stop());
});

const SALES = 'CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)';

/** The outcome of a call: 'ok', or the error's code. */
async function code(p: Promise<unknown>): Promise<string> {
  try {
    const r = await p;
    if (r instanceof Database) open.push(r);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

async function kindOf(b: Bucket, prefix: string, seq: number): Promise<string> {
  const r = await openReplica(b.store, prefix, secretFromMaterial({ password: PASSWORD }));
  return (await readEntry(r, seq)).entry.kind;
}

describe('image entries on a hostile bucket', () => {
  const PREFIX = 'img';
  let b: Bucket;
  let good: Map<string, Uint8Array>;
  let goodRows: unknown[];
  /** The writer's clock: entries 0 and 1 are pushed at TIME(0), entry seq ≥ 2 at TIME(seq). */
  const TIME = (seq: number): number => 1_000_000 + seq * 1000;
  const storage = new MemoryStorage();
  const restore = (extra: object = {}) => restoreFromReplica({ storage, name: `r${Math.random()}.db`, replica: { ...b.s3, prefix: PREFIX }, password: PASSWORD, kdf: FAST_KDF, ...extra });

  /**
   * Entries 0 genesis, 1 image (two chunks: the database is over 256 pages), 2..3 pages (a sale
   * each), 4 image, 5 pages; snapshots (manifests) at 1 and 4.
   */
  beforeAll(async () => {
    b = await bucket();
    const db = await openDb();
    await db.exec(SALES);
    await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT NOT NULL)');
    await db.exec('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 9000) INSERT INTO items SELECT x, hex(randomblob(60)) FROM c');
    let seq = 0;
    const replica = startReplica(db, { ...b.s3, prefix: PREFIX, debounceMs: 60_000, snapshotEvery: 3, retention: { keepSnapshots: 10 }, now: () => TIME(seq) });
    await replica.pushNow();
    for (let i = 1; i <= 4; i++) {
      seq = i + 1;
      await sell(db, 1, i);
      await replica.pushNow();
    }
    expect(replica.status().lastPushedSeq).toBe(5);
    goodRows = await rows(db);
    await replica.stop();
    await db.close();
    good = await dump(b.store, PREFIX);
    expect([await kindOf(b, PREFIX, 1), await kindOf(b, PREFIX, 2), await kindOf(b, PREFIX, 4)]).toEqual(['image', 'pages', 'image']);
    expect(good.has(chunkName(PREFIX, 0, 1, 1)) && good.has(chunkName(PREFIX, 0, 4, 1)) && good.has(manifestName(PREFIX, 0, 4))).toBe(true);
  }, 200_000);

  /** Restore and verify after `mutate`: codes; an accepted restore is the whole, newest state; a refused one created nothing. */
  async function outcome(mutate: (o: Map<string, Uint8Array>) => void): Promise<{ restore: string; verify: string }> {
    const objects = new Map([...good].map(([k, v]) => [k, new Uint8Array(v)]));
    mutate(objects);
    await putBack(b.store, PREFIX, objects);
    const before = storage.list().length;
    const restored = restore();
    const r = await code(restored.then(async (db) => expect(await rows(db)).toEqual(goodRows)).then(() => restored));
    if (r !== 'ok') expect(storage.list().length).toBe(before);
    return { restore: r, verify: await code(verifyReplica({ replica: { ...b.s3, prefix: PREFIX }, password: PASSWORD })) };
  }

  const c = (seq: number, i: number): string => chunkName(PREFIX, 0, seq, i);
  const e = (seq: number): string => entryName(PREFIX, 0, seq);
  const m = (seq: number): string => manifestName(PREFIX, 0, seq);

  it('a chunk of one image entry put in place of the same chunk of another is REPLICA_REORDERED, with or without the manifest', async () => {
    expect(await outcome((o) => o.set(c(4, 0), o.get(c(1, 0))!))).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
    expect(await outcome((o) => (o.set(c(4, 1), o.get(c(1, 1))!), o.delete(m(4))))).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
  });

  it("a manifest that is not its image entry's (another snapshot's, moved) is REPLICA_REORDERED", async () => {
    expect(await outcome((o) => o.set(m(4), o.get(m(1))!))).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
  });

  it('the last chunk cut (to a page boundary, or to nothing) is REPLICA_CORRUPT; deleted, REPLICA_MISSING', async () => {
    expect(await outcome((o) => o.set(c(4, 1), o.get(c(4, 1))!.subarray(0, 4096 + 64)))).toEqual({ restore: 'REPLICA_CORRUPT', verify: 'REPLICA_CORRUPT' });
    expect(await outcome((o) => (o.set(c(4, 1), new Uint8Array(0)), o.delete(m(4))))).toEqual({ restore: 'REPLICA_CORRUPT', verify: 'REPLICA_CORRUPT' });
    expect(await outcome((o) => (o.delete(c(4, 1)), o.delete(m(4))))).toEqual({ restore: 'REPLICA_MISSING', verify: 'REPLICA_MISSING' });
  });

  it('an image entry where a pages entry was expected, and the reverse, is REPLICA_REORDERED', async () => {
    expect(await outcome((o) => o.set(e(5), o.get(e(4))!))).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
    expect(await outcome((o) => (o.set(e(4), o.get(e(3))!), o.delete(m(4))))).toEqual({ restore: 'REPLICA_REORDERED', verify: 'REPLICA_REORDERED' });
  });

  it('a point in time before a newer image entry restores from the older snapshot: exactly that state, not REPLICA_MISSING', async () => {
    await putBack(b.store, PREFIX, good);
    const at = async (pit: object): Promise<number> => {
      const db = await restore({ pointInTime: pit });
      open.push(db);
      return (await rows(db)).length;
    };
    // Entry seq holds seq - 1 sales (entry 1: none); the image at 4 is a snapshot after seq 3.
    expect(await at({ seq: 3 })).toBe(2);
    expect(await at({ seq: 4 })).toBe(3);
    expect(await at({ time: TIME(3) })).toBe(2);
    expect(await at({ time: TIME(3) + 500 })).toBe(2);
    expect(await at({ time: TIME(1) })).toBe(0);
    expect(await at({ time: TIME(4) })).toBe(3);
    expect(await at({ time: TIME(5) + 1 })).toBe(4);
  });
});

describe('objects served from an older version, or deleted under a reader', () => {
  it('an image chunk served from an older version of the same name (a writer cut off before its entry, then restarted) is REPLICA_REORDERED', async () => {
    const b = await bucket();
    const store = new HookedStore(b.store);
    const db = await openDb();
    open.push(db);
    await db.exec(SALES);
    await sell(db, 3);
    // The first writer puts entry 1's chunks, then its entry PUT fails and the writer stops.
    store.hook = (op, key) => {
      if (op === 'put' && key.endsWith('/log/0000000000000001')) throw new CipherliteError('REPLICA_UNAVAILABLE', `PUT ${key}: injected failure`);
    };
    const first = startReplica(db, { store, prefix: 'v', debounceMs: 60_000, retryMinMs: 60_000, snapshotEvery: 1 });
    await expect(first.pushNow()).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    await first.stop();
    const older = (await b.store.get(chunkName('v', 0, 1, 0)))!;
    expect(older).toBeTruthy();
    // The next writer seals entry 1 again from the changed database: the same chunk name, other bytes.
    store.hook = null;
    await sell(db, 1, 10);
    const second = startReplica(db, { store, prefix: 'v', debounceMs: 60_000, snapshotEvery: 1 });
    open.push(second);
    await second.pushNow();
    expect(await kindOf(b, 'v', 1)).toBe('image');
    const newer = (await b.store.get(chunkName('v', 0, 1, 0)))!;
    expect(newer).not.toEqual(older);

    // The bucket serves the older version to the parallel chunk GETs: authentic at that position, not the one listed.
    store.served.set(chunkName('v', 0, 1, 0), older);
    const storage = new MemoryStorage();
    const target = { store, prefix: 'v' };
    expect(await code(restoreFromReplica({ storage, name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF }))).toBe('REPLICA_REORDERED');
    expect(storage.list()).toEqual([]);
    expect(await code(verifyReplica({ replica: target, password: PASSWORD }))).toBe('REPLICA_REORDERED');
    // Without the manifest (the entry's own chunk list) too.
    await b.store.delete(manifestName('v', 0, 1));
    expect(await code(restoreFromReplica({ storage, name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF }))).toBe('REPLICA_REORDERED');
    expect(storage.list()).toEqual([]);
  });

  for (const at of ['a chunk of the snapshot', 'a log entry after the snapshot'] as const) {
    it(`retention deleting the snapshot a reader is restoring from (at ${at}): REPLICA_MISSING with nothing created, or the state it listed`, async () => {
      const b = await bucket();
      const db = await openDb();
      open.push(db);
      await db.exec(SALES);
      const writer = startReplica(db, { ...b.s3, prefix: 'ret', debounceMs: 60_000, snapshotEvery: 2, retention: { keepSnapshots: 1 } });
      open.push(writer);
      await writer.pushNow();
      // Sales until the log holds one snapshot and an entry after it.
      const manifests = async (): Promise<number[]> => (await listAll(b.store, 'ret/')).flatMap((o) => /\/snap\/([0-9a-f]{16})\/manifest$/.exec(o.key)?.slice(1) ?? []).map((m) => parseInt(m, 16));
      for (let i = 1; (await manifests()).length === 0 || (await manifests())[0] === writer.status().lastPushedSeq; i++) {
        await sell(db, 1, i);
        await writer.pushNow();
      }
      const listed = await rows(db);
      const snapSeq = (await manifests())[0]!;
      expect(await manifests()).toEqual([snapSeq]);
      expect(await b.store.head(entryName('ret', 0, snapSeq + 1))).not.toBeNull();

      const store = new HookedStore(b.store);
      let ran = false;
      store.hook = async (op, key) => {
        const hit = at === 'a chunk of the snapshot' ? key === chunkName('ret', 0, snapSeq, 0) : key === entryName('ret', 0, snapSeq + 1);
        if (op !== 'get' || !hit || ran) return;
        ran = true;
        // Meanwhile the writer pushes two more commits: a new snapshot, and the old one (with the entries before it) deleted.
        for (let i = 10; i < 12; i++) {
          await sell(db, 1, i);
          await writer.pushNow();
        }
        expect(await b.store.head(manifestName('ret', 0, snapSeq))).toBeNull();
      };
      const storage = new MemoryStorage();
      const result = await code(
        restoreFromReplica({ storage, name: 'r.db', replica: { store, prefix: 'ret' }, password: PASSWORD, kdf: FAST_KDF }).then(async (r) => {
          expect(await rows(r)).toEqual(listed);
          return r;
        }),
      );
      expect(ran).toBe(true);
      expect(['REPLICA_MISSING', 'ok']).toContain(result);
      if (result !== 'ok') expect(storage.list()).toEqual([]);
      // The bucket is whole: the next restore has every commit.
      const again = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: { ...b.s3, prefix: 'ret' }, password: PASSWORD, kdf: FAST_KDF });
      open.push(again);
      expect(await rows(again)).toEqual(await rows(db));
    });
  }
});

describe('generations on a hostile bucket', () => {
  /** A shop with two sales pushed under `prefix` (generation 0), the writer still running. */
  async function shop(b: Bucket, prefix: string, options: object = {}): Promise<{ db: Database; replica: Replica }> {
    const db = await openDb();
    open.push(db);
    await db.exec(SALES);
    await sell(db, 2);
    const replica = startReplica(db, { ...b.s3, prefix, debounceMs: 60_000, ...options });
    open.push(replica);
    await replica.pushNow();
    return { db, replica };
  }

  it('rekeyed with no writer running: a forged chain to the next generation is refused and nothing is written', async () => {
    const b = await bucket();
    const { db, replica } = await shop(b, 'carry');
    await sell(db, 1, 3);
    const last = (await replica.pushNow()).lastPushedSeq!;
    await replica.stop();
    await shop(b, 'other');
    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await sell(next, 1, 4);
    const good = await dump(b.store, 'carry');
    const other = await dump(b.store, 'other');
    const e = (seq: number): string => entryName('carry', 0, seq);

    const cases: [string, (o: Map<string, Uint8Array>) => void, string][] = [
      ['a generation 1 keys object planted (generation 0 keys, renamed)', (o) => o.set(keysName('carry', 1), o.get(keysName('carry', 0))!), 'REPLICA_FOREIGN'],
      ["generation 0's keys object swapped for another replica's", (o) => o.set(keysName('carry', 0), other.get(keysName('other', 0))!), 'REPLICA_FOREIGN'],
      ['the last entry this device pushed replaced by an earlier one', (o) => o.set(e(last), o.get(e(last - 1))!), 'REPLICA_FORK'],
      ['an entry after the last one this device pushed', (o) => o.set(e(last + 1), o.get(e(last))!), 'REPLICA_FORK'],
      ['the last entry this device pushed deleted', (o) => o.delete(e(last)), 'REPLICA_ROLLBACK'],
      ['the whole replica deleted', (o) => o.clear(), 'REPLICA_ROLLBACK'],
    ];
    for (const [what, mutate, expected] of cases) {
      const objects = new Map(good);
      mutate(objects);
      await putBack(b.store, 'carry', objects);
      const writer = startReplica(next, { ...b.s3, prefix: 'carry', debounceMs: 60_000 });
      const got = await code(writer.pushNow());
      await writer.stop();
      expect(`${what}: ${got}`).toBe(`${what}: ${expected}`);
      expect(await dump(b.store, 'carry')).toEqual(objects);
    }
    // The honest bucket: the same device continues in generation 1.
    await putBack(b.store, 'carry', good);
    const writer = startReplica(next, { ...b.s3, prefix: 'carry', debounceMs: 60_000 });
    open.push(writer);
    await writer.pushNow();
    expect(writer.status()).toMatchObject({ state: 'idle', generation: 1, lastError: null });
  });

  it('a retired generation served again: the current one restores, and its image chunk and manifest are not taken for the current ones; with the current one withheld, a device that saw it gets REPLICA_ROLLBACK', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'replay' };
    const { db, replica } = await shop(b, 'replay', { snapshotEvery: 1, retention: { oldGenerations: 'at-once' } });
    const gen0 = await dump(b.store, 'replay');
    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await sell(next, 1, 3);
    const known = await replica.pushNow();
    expect(known.generation).toBe(1);
    expect([...(await dump(b.store, 'replay')).keys()].filter((k) => k.includes('/g/00000000/'))).toEqual([]);

    // Generation 0's objects, deleted by retention, served again beside generation 1.
    for (const [k, v] of gen0) await b.store.put(k, v);
    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await rows(restored)).toEqual(await rows(next));
    expect(await verifyReplica({ replica: target, password: PASSWORD })).toMatchObject({ generation: 1, tipSeq: known.lastPushedSeq });
    // Generation 0's image chunk and manifest at the same seq served as generation 1's.
    const [chunk1, manifest1] = [chunkName('replay', 1, 1, 0), manifestName('replay', 1, 1)];
    const saved = [(await b.store.get(chunk1))!, (await b.store.get(manifest1))!] as const;
    await b.store.put(chunk1, gen0.get(chunkName('replay', 0, 1, 0))!);
    expect(await code(restoreFromReplica({ storage: new MemoryStorage(), name: 'x.db', replica: target, password: PASSWORD, kdf: FAST_KDF, pointInTime: { seq: 1 } }))).toBe('REPLICA_REORDERED');
    await b.store.put(chunk1, saved[0]);
    await b.store.put(manifest1, gen0.get(manifestName('replay', 0, 1))!);
    expect(await code(restoreFromReplica({ storage: new MemoryStorage(), name: 'x.db', replica: target, password: PASSWORD, kdf: FAST_KDF, pointInTime: { seq: 1 } }))).toBe('REPLICA_REORDERED');
    await b.store.put(manifest1, saved[1]);

    await sell(next, 1, 4);
    expect(await replica.pushNow()).toMatchObject({ state: 'idle', generation: 1 });

    // Then generation 1 withheld: only the replayed generation 0 is left.
    const tip = { generation: 1, seq: replica.status().lastPushedSeq!, hash: new Uint8Array(32) };
    await putBack(b.store, 'replay', gen0);
    await sell(next, 1, 5);
    expect(await code(replica.pushNow())).toBe('REPLICA_ROLLBACK');
    await replica.stop();
    const restarted = startReplica(next, { ...target, debounceMs: 60_000 });
    open.push(restarted);
    expect(await code(restarted.pushNow())).toBe('REPLICA_ROLLBACK');
    expect(await code(verifyReplica({ replica: target, password: PASSWORD, known: tip }))).toBe('REPLICA_ROLLBACK');
    // No entry, manifest or keys object was added (an image's chunks go up before the tip is checked: unreferenced).
    const added = [...(await dump(b.store, 'replay')).keys()].filter((k) => !gen0.has(k));
    expect(added.filter((k) => !/\/g\/00000001\/snap\/[0-9a-f]{16}\/[0-9a-f]{8}$/.test(k))).toEqual([]);
  });

  for (const when of ['creating the replica', 'a rekey, the writer running', 'a rekey, no writer running'] as const) {
    it(`a genesis entry PUT that fails once (${when}): the retry and a restarted writer finish that generation, and it restores`, async () => {
      const b = await bucket();
      const store = new HookedStore(b.store);
      let failing = when === 'creating the replica' ? 0 : 1;
      store.hook = (op, key) => {
        if (op === 'put' && key === entryName('gen', failing, 0)) {
          failing = -1;
          throw new CipherliteError('REPLICA_UNAVAILABLE', `PUT ${key}: injected failure`);
        }
      };
      const db = await openDb();
      open.push(db);
      await db.exec(SALES);
      const options = { store, prefix: 'gen', debounceMs: 60_000, retryMinMs: 60_000 };
      let writer = startReplica(db, options);
      open.push(writer);
      let current = db;
      if (when !== 'creating the replica') {
        await writer.pushNow();
        if (when === 'a rekey, no writer running') await writer.stop();
        ({ db: current } = await rekey(db, { password: PASSWORD }));
        open.push(current);
        if (when === 'a rekey, no writer running') {
          writer = startReplica(current, options);
          open.push(writer);
        }
      }
      await sell(current, 2);
      // The first push (by startReplica, or after the rekey) fails on the genesis entry; pushNow retries.
      await expect.poll(() => failing).toBe(-1);
      expect(await code(writer.pushNow())).toBe('ok');
      await writer.stop();
      await sell(current, 1, 3);
      const restarted = startReplica(current, options);
      open.push(restarted);
      expect(await restarted.pushNow()).toMatchObject({ state: 'idle', generation: when === 'creating the replica' ? 0 : 1, lastError: null });
      const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: { ...b.s3, prefix: 'gen' }, password: PASSWORD, kdf: FAST_KDF });
      open.push(restored);
      expect(await rows(restored)).toEqual(await rows(current));
    });
  }
});
