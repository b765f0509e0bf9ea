/**
 * Durability of the push: a commit acknowledged locally reaches the bucket at least once, in
 * order, as one history, across a refused or silent network, lost answers, expiring credentials
 * and a crash after any PUT. The network faults run on the in-process store (fast, the retry
 * logic); credentials and crashes run on Ceph RGW.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CipherliteError } from '../../src/errors.js';
import { Database, MemoryStorage } from '../../src/index.js';
import { MemoryObjectStore } from '../../src/replica/memory-store.js';
import { restoreFromReplica, startReplica, verifyReplica, type ObjectStore, type Replica } from '../../src/replica/index.js';
import { S3ObjectStore } from '../../src/replica/s3-store.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, openDb, PASSWORD, rows, sell } from './replica-helpers.js';
import { CREDENTIALS } from './s3-env.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

async function shop(storage = new MemoryStorage(), journalMode?: 'WAL'): Promise<Database> {
  const db = journalMode ? await Database.open({ storage, name: 'shop.db', password: PASSWORD, kdf: FAST_KDF, journalMode }) : await openDb(storage);
  open.push(db);
  await db.exec('CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
  return db;
}

async function restoredRows(replica: { store: ObjectStore; prefix: string } | object): Promise<unknown[]> {
  const db = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: replica as { prefix: string }, password: PASSWORD, kdf: FAST_KDF });
  open.push(db);
  return rows(db);
}

const offline = (): never => {
  throw new CipherliteError('REPLICA_UNAVAILABLE', 'the object store cannot be reached');
};

describe('pushing through faults (in-process store)', () => {
  it('offline: commits queue (state offline, pending kept), and are pushed when the network is back', async () => {
    const store = new MemoryObjectStore();
    const db = await shop();
    const replica = startReplica(db, { store, prefix: 'p', debounceMs: 1, retryMinMs: 5, retryMaxMs: 20 });
    open.push(replica);
    await replica.pushNow();
    store.fault = offline;
    await sell(db, 3);
    await expect.poll(() => replica.status().state).toBe('offline');
    expect(replica.status().pendingCommits).toBe(3);
    expect(replica.status().lastError?.code).toBe('REPLICA_UNAVAILABLE');
    store.fault = null;
    await expect.poll(() => replica.status().state, { timeout: 10_000 }).toBe('idle');
    expect(replica.status().pendingCommits).toBe(0);
    expect(await restoredRows({ store, prefix: 'p' })).toEqual(await rows(db));
  });

  it('a PUT whose answer is lost is retried with the same bytes: one history, no fork', async () => {
    const inner = new MemoryObjectStore();
    let loseNext = true;
    const store: ObjectStore = {
      get: (k) => inner.get(k),
      head: (k) => inner.head(k),
      list: (p, a) => inner.list(p, a),
      delete: (k) => inner.delete(k),
      async put(k, b, o) {
        const res = await inner.put(k, b, o);
        if (k.includes('/log/') && !k.endsWith('0000000000000000') && loseNext) {
          loseNext = false;
          throw new CipherliteError('REPLICA_UNAVAILABLE', 'the connection dropped before the answer');
        }
        return res;
      },
    };
    const db = await shop();
    const replica = startReplica(db, { store, prefix: 'p', debounceMs: 1, retryMinMs: 5 });
    open.push(replica);
    await replica.pushNow().catch(() => undefined);
    await sell(db, 2);
    await expect.poll(() => replica.status().pendingCommits, { timeout: 10_000 }).toBe(0);
    expect(loseNext).toBe(false);
    expect(replica.status().state).toBe('idle');
    const v = await verifyReplica({ replica: { store, prefix: 'p' }, password: PASSWORD });
    expect(v.tipSeq).toBe(replica.status().lastPushedSeq);
    expect(await restoredRows({ store, prefix: 'p' })).toEqual(await rows(db));
  });

  it('pause holds pushes (commits stay pending), resume pushes them', async () => {
    const store = new MemoryObjectStore();
    const db = await shop();
    const replica = startReplica(db, { store, prefix: 'p', debounceMs: 1 });
    open.push(replica);
    await replica.pushNow();
    replica.pause();
    await sell(db, 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(replica.status()).toMatchObject({ state: 'paused', pendingCommits: 2 });
    replica.resume();
    await expect.poll(() => replica.status().pendingCommits, { timeout: 10_000 }).toBe(0);
    expect(await restoredRows({ store, prefix: 'p' })).toHaveLength(2);
  });

  it('local quota full when recording the pushed position: a retryable error, then recorded; one history', async () => {
    const store = new MemoryObjectStore();
    const storage = new MemoryStorage();
    let full = false;
    const open0 = storage.open.bind(storage);
    storage.open = (name, o) => {
      const f = open0(name, o);
      if (!name.endsWith('-replica')) return f;
      const write = f.write.bind(f);
      f.write = (buf, at) => {
        if (full) throw new CipherliteError('QUOTA_EXCEEDED', 'storage is full');
        return write(buf, at);
      };
      return f;
    };
    const db = await shop(storage);
    const replica = startReplica(db, { store, prefix: 'q', debounceMs: 1, retryMinMs: 5, retryMaxMs: 20 });
    open.push(replica);
    await replica.pushNow();
    full = true;
    await sell(db, 2);
    await expect.poll(() => replica.status().lastError?.code).toBe('QUOTA_EXCEEDED');
    expect(replica.status().state).toBe('error');
    await new Promise((r) => setTimeout(r, 50));
    expect(replica.status().state).toBe('error'); // retried, still full: the position is not recorded yet
    full = false;
    await expect.poll(() => replica.status().state, { timeout: 10_000 }).toBe('idle');
    await sell(db, 1, 3);
    await replica.pushNow();
    expect(await restoredRows({ store, prefix: 'q' })).toEqual(await rows(db));
    await verifyReplica({ replica: { store, prefix: 'q' }, password: PASSWORD });
  });
});

describe('on Ceph RGW', () => {
  it('expired credentials: REPLICA_AUTH, the queue is kept, and pushing resumes with new ones', async () => {
    const b = await bucket();
    let creds = CREDENTIALS;
    const db = await shop();
    const replica = startReplica(db, { ...b.s3, credentials: () => Promise.resolve(creds), prefix: 'auth', debounceMs: 1, retryMinMs: 20, retryMaxMs: 50 });
    open.push(replica);
    await replica.pushNow();
    creds = { ...CREDENTIALS, secretAccessKey: 'expired' };
    await sell(db, 2);
    // One status snapshot must show all three at once: the writer retries every 20–50 ms, so a
    // second read may already find it 'pushing' again.
    let seen: ReturnType<typeof replica.status> | undefined;
    await expect
      .poll(
        () => {
          const s = replica.status();
          if (s.state === 'error' && s.lastError?.code === 'REPLICA_AUTH') seen = s;
          return seen?.lastError?.code;
        },
        { timeout: 10_000 },
      )
      .toBe('REPLICA_AUTH');
    expect(seen).toMatchObject({ state: 'error', pendingCommits: 2 });
    creds = CREDENTIALS;
    await expect.poll(() => replica.status().state, { timeout: 10_000 }).toBe('idle');
    expect(await restoredRows({ ...b.s3, prefix: 'auth' })).toEqual(await rows(db));
  });

  it.each(['TRUNCATE', 'WAL'] as const)('a crash after any PUT of a push (%s journal): the restarted writer pushes what is missing, the bucket keeps one verified history', async (mode) => {
    const b = await bucket();
    const wal = mode === 'WAL' ? ('WAL' as const) : undefined;
    // Count the PUTs of one push (the second sale's), then crash after each one in turn.
    let puts = 0;
    for (let crashAfter = 1; ; crashAfter++) {
      const prefix = `crash-${crashAfter}`;
      const storage = new MemoryStorage();
      const db = await shop(storage, wal);
      expect(db.journalMode).toBe(mode);
      const first = startReplica(db, { ...b.s3, prefix, debounceMs: 10_000, snapshotEvery: 3 });
      await first.pushNow();
      await sell(db, 1);
      await first.pushNow();
      // WAL: what was pushed moves into the main file; the next commit stays in the WAL, unpushed at the crash.
      if (wal) await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      await sell(db, 1, 2);
      // The process dies right after PUT number `crashAfter` of this push: its files are what remains.
      let crashed: Map<string, Uint8Array> | null = null;
      let n = 0;
      const s3 = new S3ObjectStore(b.s3);
      const spy: ObjectStore = {
        get: (k) => s3.get(k),
        head: (k) => s3.head(k),
        list: (p, a) => s3.list(p, a),
        delete: (k) => s3.delete(k),
        async put(k, bytes, o) {
          if (crashed) throw new CipherliteError('IO', 'crashed');
          const res = await s3.put(k, bytes, o);
          if (++n === crashAfter) crashed = storage.snapshot();
          return res;
        },
      };
      await first.stop();
      const dying = startReplica(db, { store: spy, prefix, debounceMs: 10_000, snapshotEvery: 3 });
      await dying.pushNow().catch(() => undefined);
      await dying.stop();
      const expected = await rows(db);
      if (!crashed) {
        puts = n;
        break;
      }
      // A new process on the files as they were at the crash.
      const reopened = await shop(MemoryStorage.from(crashed), wal);
      const after = startReplica(reopened, { ...b.s3, prefix, debounceMs: 10_000, snapshotEvery: 3 });
      open.push(after);
      await after.pushNow();
      expect(await restoredRows({ ...b.s3, prefix }), `crash after PUT ${crashAfter}`).toEqual(expected);
      await verifyReplica({ replica: { ...b.s3, prefix }, password: PASSWORD });
      await after.stop();
      await reopened.close();
      await db.close();
    }
    expect(puts).toBeGreaterThanOrEqual(3); // the entry, a snapshot chunk and its manifest at least
  });
});
