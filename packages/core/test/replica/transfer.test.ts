/**
 * Large transfers on Ceph RGW: a push that holds most of the database is one `image` entry whose
 * pages are the snapshot chunks (every page uploaded once), chunks go up and come down several at
 * a time, and the orders parallelism adds fail safely — a chunk PUT that fails leaves no entry and
 * no manifest (retried with the same bytes), a manifest that never arrives leaves an entry that
 * restores on its own, and a GET that fails or an abort mid-restore creates nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CipherliteError } from '../../src/errors.js';
import { Database, MemoryStorage } from '../../src/index.js';
import { listAll, restoreFromReplica, startReplica, verifyReplica, type ObjectStore, type Replica } from '../../src/replica/index.js';
import { readEntry, openReplica } from '../../src/replica/reader.js';
import { secretFromMaterial } from '../../src/container/keyslots.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, HookedStore, openDb, PASSWORD } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? (x.closed ? undefined : x.close()) : x.stop());
});

/** The RGW store with a fault hook run before each GET and PUT (the call fails when the hook throws), recording every PUT's key. */
class FaultyStore extends HookedStore {
  fault: ((op: 'put' | 'get', key: string) => void) | null = null;
  readonly puts: string[] = [];
  constructor(inner: ObjectStore) {
    super(inner);
    this.hook = (op, key) => {
      this.fault?.(op, key);
      if (op === 'put') this.puts.push(key);
    };
  }
}

const unavailable = (what: string): never => {
  throw new CipherliteError('REPLICA_UNAVAILABLE', `${what}: injected failure`);
};

/** A database of about `mb` MB of random rows (several 1 MiB snapshot chunks). */
async function bigDb(mb: number): Promise<Database> {
  const db = await openDb();
  open.push(db);
  await db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, note TEXT NOT NULL)');
  const rows = Math.round(mb * 7000);
  await db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) INSERT INTO items SELECT x, hex(randomblob(60)) FROM c`);
  return db;
}

async function fingerprint(db: Database): Promise<unknown> {
  return db.get('SELECT count(*) AS n, sum(length(note)) AS bytes, max(note) AS top FROM items');
}

const restore = async (replica: object, extra: object = {}): Promise<Database> => {
  const db = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: replica as { prefix: string }, password: PASSWORD, kdf: FAST_KDF, ...extra });
  open.push(db);
  return db;
};

describe('large transfers', () => {
  it('the first push of a multi-chunk database is one image entry: every page goes up once, and a new device restores it', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'big' };
    const db = await bigDb(3);
    const size = Number((await db.get<{ s: number }>('SELECT page_count * page_size AS s FROM pragma_page_count, pragma_page_size'))!.s);
    const replica = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();

    const objects = await listAll(b.store, 'big/');
    const chunks = objects.filter((o) => /\/snap\/0{15}1\/[0-9a-f]{8}$/.test(o.key));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(objects.some((o) => o.key.endsWith('/snap/0000000000000001/manifest'))).toBe(true);
    // Before image entries, entry 1 held every page and the snapshot held them again (~2× the database).
    const uploaded = objects.reduce((n, o) => n + o.size, 0);
    expect(uploaded).toBeLessThan(size * 1.3);
    const r = await openReplica(b.store, 'big', secretFromMaterial({ password: PASSWORD }));
    const entry = await readEntry(r, 1);
    expect(entry.entry.kind).toBe('image');
    expect(entry.bytes.length).toBeLessThan(4096);

    const restored = await restore(target);
    expect(await fingerprint(restored)).toEqual(await fingerprint(db));
    expect(await verifyReplica({ replica: target, password: PASSWORD })).toMatchObject({ tipSeq: 1, snapshots: 1 });
  });

  it('one chunk PUT of several fails: no entry and no manifest; the retry sends the same chunks and completes', async () => {
    const b = await bucket();
    const store = new FaultyStore(b.store);
    const db = await bigDb(3);
    const replica = startReplica(db, { store, prefix: 'p', debounceMs: 60_000, retryMinMs: 60_000 });
    open.push(replica);
    store.fault = (op, key) => {
      if (op === 'put' && key.endsWith('/snap/0000000000000001/00000001')) unavailable(`PUT ${key}`);
    };
    // The first push (started by startReplica) creates the replica, then fails on that chunk.
    await expect(replica.pushNow()).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    expect(replica.status()).toMatchObject({ state: 'offline', lastPushedSeq: 0 });
    store.fault = null;
    let keys = (await listAll(b.store, 'p/')).map((o) => o.key);
    expect(keys.some((k) => k.endsWith('/log/0000000000000001'))).toBe(false);
    expect(keys.some((k) => k.endsWith('/manifest'))).toBe(false);

    const chunksBefore = new Map<string, Uint8Array>();
    for (const k of keys.filter((k) => k.includes('/snap/'))) chunksBefore.set(k, (await b.store.get(k))!);
    store.puts.length = 0;
    await replica.pushNow();
    expect(replica.status()).toMatchObject({ state: 'idle', lastPushedSeq: 1 });
    // Only the chunk that failed went up again (the others were confirmed), and none changed.
    expect(store.puts.filter((k) => k.includes('/snap/') && !k.endsWith('/manifest'))).toEqual(['p/g/00000000/snap/0000000000000001/00000001']);
    // Buffer.compare: a deep toEqual of 1 MiB chunks compares them element by element (seconds).
    for (const [k, bytes] of chunksBefore) {
      const now = await b.store.get(k);
      expect(now, k).not.toBeNull();
      expect(Buffer.compare(now!, bytes), k).toBe(0);
    }
    keys = (await listAll(b.store, 'p/')).map((o) => o.key);
    expect(keys.some((k) => k.endsWith('/snap/0000000000000001/manifest'))).toBe(true);
    expect(await fingerprint(await restore({ store: b.store, prefix: 'p' }))).toEqual(await fingerprint(db));
  });

  it('a manifest that never arrived: the image entry restores on its own; the next push writes the manifest', async () => {
    const b = await bucket();
    const store = new FaultyStore(b.store);
    const db = await bigDb(2);
    store.fault = (op, key) => {
      if (op === 'put' && key.endsWith('/manifest')) unavailable(`PUT ${key}`);
    };
    const replica = startReplica(db, { store, prefix: 'p', debounceMs: 60_000, retryMinMs: 60_000 });
    open.push(replica);
    await expect(replica.pushNow()).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    expect(replica.status().lastPushedSeq).toBe(1);
    const keys = (await listAll(b.store, 'p/')).map((o) => o.key);
    expect(keys.some((k) => k.endsWith('/manifest'))).toBe(false);
    expect(await fingerprint(await restore({ store: b.store, prefix: 'p' }))).toEqual(await fingerprint(db));

    // A chunk of that entry swapped for another one of its chunks: the entry's chunk list refuses it.
    const c0 = 'p/g/00000000/snap/0000000000000001/00000000';
    const c1 = 'p/g/00000000/snap/0000000000000001/00000001';
    const saved = (await b.store.get(c1))!;
    await b.store.put(c1, (await b.store.get(c0))!);
    await expect(restore({ store: b.store, prefix: 'p' })).rejects.toMatchObject({ code: 'REPLICA_REORDERED' });
    await b.store.put(c1, saved);

    store.fault = null;
    await replica.pushNow();
    expect((await listAll(b.store, 'p/')).some((o) => o.key.endsWith('/snap/0000000000000001/manifest'))).toBe(true);
    expect(await verifyReplica({ replica: { store: b.store, prefix: 'p' }, password: PASSWORD })).toMatchObject({ snapshots: 1 });
  });

  it('a chunk GET that fails mid-restore, or an abort, ends in the typed error and creates nothing', async () => {
    const b = await bucket();
    const db = await bigDb(3);
    const replica = startReplica(db, { ...b.s3, prefix: 'p', debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();

    const store = new FaultyStore(b.store);
    store.fault = (op, key) => {
      if (op === 'get' && key.endsWith('/snap/0000000000000001/00000002')) unavailable(`GET ${key}`);
    };
    const storage = new MemoryStorage();
    const attempt = (signal?: AbortSignal) => restoreFromReplica({ storage, name: 'r.db', replica: { store, prefix: 'p' }, password: PASSWORD, ...(signal ? { signal } : {}) });
    await expect(attempt()).rejects.toMatchObject({ code: 'REPLICA_UNAVAILABLE' });
    expect(storage.list()).toEqual([]);

    const ctl = new AbortController();
    store.fault = (op, key) => {
      if (op === 'get' && key.includes('/snap/')) ctl.abort();
    };
    await expect(attempt(ctl.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(storage.list()).toEqual([]);
  });
});
