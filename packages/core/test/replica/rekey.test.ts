/**
 * A rekey (a new data key) starts a new generation of the replica: its keys object and genesis
 * under keys from the new data key, the genesis chained to the last entry of the previous
 * generation, then every page with a snapshot. A new device restores with the database's secret;
 * a secret the rekey dropped does not open the new generation. On Ceph RGW.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { secretFromMaterial } from '../../src/container/keyslots.js';
import { Database, MemoryStorage } from '../../src/index.js';
import { addRecoveryKey, rekey } from '../../src/keys/index.js';
import { objectHash } from '../../src/replica/format.js';
import { listAll, ReplicaLog, restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import { openReplica } from '../../src/replica/reader.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, openDb, PASSWORD, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? (x.closed ? undefined : x.close()) : x.stop());
});

describe('rekey', () => {
  it('starts a new generation chained to the previous one; a new device restores it with the password, not with a dropped recovery key', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'rekeyed' };
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const { recoveryKey } = await addRecoveryKey(db, { password: PASSWORD });
    await sell(db, 2);
    const replica = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    expect(replica.status().generation).toBe(0);

    const { db: next } = await rekey(db, { password: PASSWORD });
    open.push(next);
    await sell(next, 1, 3);
    await replica.pushNow();
    expect(replica.status()).toMatchObject({ state: 'idle', generation: 1, lastError: null });
    const expected = await rows(next);
    expect(expected).toHaveLength(3);

    const restored = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(restored);
    expect(await rows(restored)).toEqual(expected);
    expect((await verifyReplica({ replica: target, password: PASSWORD })).generation).toBe(1);
    await expect(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, recoveryKey })).rejects.toMatchObject({ code: 'WRONG_KEY' });

    // Generation 1's genesis is chained to generation 0's last entry, and generation 1 has a snapshot.
    const gen0 = (await listAll(b.store, 'rekeyed/g/00000000/log/')).map((o) => o.key);
    const lastOfGen0 = (await b.store.get(gen0[gen0.length - 1]!))!;
    const r = await openReplica(b.store, 'rekeyed', secretFromMaterial({ password: PASSWORD }));
    expect(r.generation).toBe(1);
    const first = await new ReplicaLog(r).read(0).next();
    if (first.done) throw new Error('generation 1 has no genesis entry');
    expect(first.value.entry.kind).toBe('genesis');
    expect(first.value.entry.prevHash).toEqual(objectHash(lastOfGen0));
    expect((await listAll(b.store, 'rekeyed/g/00000001/snap/')).length).toBeGreaterThan(0);

    // A writer restarted on the rekeyed database goes on in generation 1.
    await replica.stop();
    const restarted = startReplica(next, { ...target, debounceMs: 60_000 });
    open.push(restarted);
    await sell(next, 1, 4);
    await restarted.pushNow();
    expect(restarted.status()).toMatchObject({ state: 'idle', generation: 1 });
    const again = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD, kdf: FAST_KDF });
    open.push(again);
    expect(await rows(again)).toEqual(await rows(next));
  });
});
