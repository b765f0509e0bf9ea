/**
 * Restore keeps every keyslot of the database: the restored file carries the original's header
 * (file id, keyslots), so it opens with the password, the recovery key, a second raw key and the
 * passkey alike — whichever of them was used to restore. On Ceph RGW.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { addKeyslot, addPasskey, addRecoveryKey, changePassword, listKeyslots } from '../../src/keys/index.js';
import { listAll, replicaPasskeyChallenges, restoreFromReplica, startReplica, verifyReplica, type Replica } from '../../src/replica/index.js';
import type { KeyMaterial } from '../../src/types.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, HookedStore, openDb, PASSWORD, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

const RAW = Uint8Array.from({ length: 32 }, (_, i) => (i * 5 + 1) & 255);
const PRF = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
const CREDENTIAL = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 255);
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

describe('restore keeps every keyslot', () => {
  it('a passkey added while the writer creates the replica (its genesis entry under way) goes up with the next push', async () => {
    const b = await bucket();
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    // The genesis entry's PUT waits until the passkey is added.
    const store = new HookedStore(b.store);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => {
      store.hook = (op, key) => (op === 'put' && key.endsWith('/log/0000000000000000') ? (resolve(), held) : undefined);
    });
    const replica = startReplica(db, { store, prefix: 'racing', debounceMs: 60_000 });
    open.push(replica);
    await reached;
    await addPasskey(db, { password: PASSWORD }, { credentialId: CREDENTIAL, salt: SALT, prfOutput: PRF.slice(), label: 'till-1' });
    release();
    await sell(db, 1);
    await replica.pushNow();
    expect(await replicaPasskeyChallenges({ store: b.store, prefix: 'racing' })).toEqual([{ credentialId: CREDENTIAL, salt: SALT, label: 'till-1' }]);
    const restored = await restoreFromReplica({
      storage: new MemoryStorage(),
      name: 'r.db',
      replica: { store: b.store, prefix: 'racing' },
      passkey: { credentialId: CREDENTIAL, prfOutput: PRF.slice() },
    });
    open.push(restored);
    expect(await rows(restored)).toEqual(await rows(db));
  });

  it('a database with a password, a recovery key, a raw key and a passkey restores with each, and the restored file opens with the others', async () => {
    const b = await bucket();
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const { recoveryKey } = await addRecoveryKey(db, { password: PASSWORD });
    await addKeyslot(db, { password: PASSWORD }, { key: RAW.slice() }, { kdf: FAST_KDF });
    await addPasskey(db, { password: PASSWORD }, { credentialId: CREDENTIAL, salt: SALT, prfOutput: PRF.slice(), label: 'till-1' });
    await sell(db, 3);
    const replica = startReplica(db, { ...b.s3, prefix: 'slots', debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    const expected = await rows(db);
    const kinds = listKeyslots(db).map((s) => s.kind);
    // What a browser asks the authenticator for, read from the bucket without a key.
    expect(await replicaPasskeyChallenges({ ...b.s3, prefix: 'slots' })).toEqual([{ credentialId: CREDENTIAL, salt: SALT, label: 'till-1' }]);

    const secrets: [string, () => KeyMaterial][] = [
      ['password', () => ({ password: PASSWORD })],
      ['recovery key', () => ({ recoveryKey })],
      ['raw key', () => ({ key: RAW.slice() })],
      ['passkey', () => ({ passkey: { credentialId: CREDENTIAL, prfOutput: PRF.slice() } })],
    ];
    for (const [i, [used, material]] of secrets.entries()) {
      const storage = new MemoryStorage();
      const restored = await restoreFromReplica({ storage, name: 'r.db', replica: { ...b.s3, prefix: 'slots' }, ...material() });
      expect(await rows(restored), `restored with the ${used}`).toEqual(expected);
      expect(listKeyslots(restored).map((s) => s.kind)).toEqual(kinds);
      await restored.close();
      // The file restored with the recovery key opens with every secret; each other one with the next secret in the list.
      const opens = used === 'recovery key' ? secrets : [secrets[(i + 1) % secrets.length]!];
      for (const [other, m] of opens) {
        const again = await Database.open({ storage, name: 'r.db', ...m() });
        expect(await rows(again), `restored with the ${used}, opened with the ${other}`).toEqual(expected);
        await again.close();
      }
    }
  });

  it('newSecret adds a keyslot to the restored file and keeps the others', async () => {
    const b = await bucket();
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const { recoveryKey } = await addRecoveryKey(db, { password: PASSWORD });
    await sell(db, 2);
    const replica = startReplica(db, { ...b.s3, prefix: 'extra', debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    await expect(replicaPasskeyChallenges({ ...b.s3, prefix: 'extra' })).rejects.toMatchObject({ code: 'NO_PASSKEY' });
    const storage = new MemoryStorage();
    const restored = await restoreFromReplica({ storage, name: 'r.db', replica: { ...b.s3, prefix: 'extra' }, recoveryKey, newSecret: { password: 'tablet 2' }, kdf: FAST_KDF });
    expect(listKeyslots(restored).map((s) => s.kind)).toEqual(['password', 'recovery', 'password']);
    await restored.close();
    for (const m of [{ password: PASSWORD }, { recoveryKey }, { password: 'tablet 2' }]) {
      const again = await Database.open({ storage, name: 'r.db', ...m });
      expect(await rows(again)).toEqual(await rows(db));
      await again.close();
    }
  });

  it('keyslots changed after the replica was created: the next push uploads them (a keys entry); a new device restores with the new password or recovery key, not the old password', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'changed' };
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    await sell(db, 2);
    const replica = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    await changePassword(db, { password: PASSWORD }, { password: 'new till password' }, { kdf: FAST_KDF });
    const { recoveryKey } = await addRecoveryKey(db, { password: 'new till password' });
    await sell(db, 1, 3);
    await replica.pushNow();
    const expected = await rows(db);

    const storage = new MemoryStorage();
    const restored = await restoreFromReplica({ storage, name: 'r.db', replica: target, password: 'new till password' });
    expect(await rows(restored)).toEqual(expected);
    expect(listKeyslots(restored).map((s) => s.kind)).toEqual(['password', 'recovery']);
    await restored.close();
    const again = await Database.open({ storage, name: 'r.db', recoveryKey });
    expect(await rows(again)).toEqual(expected);
    await again.close();
    const byRecovery = await restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, recoveryKey });
    open.push(byRecovery);
    expect(await rows(byRecovery)).toEqual(expected);
    await expect(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await verifyReplica({ replica: target, password: 'new till password' });

    // A restarted writer finds the bucket's keys current: nothing more is uploaded.
    await replica.stop();
    const keysBefore = (await listAll(b.store, 'changed/')).filter((o) => o.key.includes('/keyslots/')).length;
    expect(keysBefore).toBe(1);
    const restarted = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(restarted);
    await restarted.pushNow();
    expect((await listAll(b.store, 'changed/')).filter((o) => o.key.includes('/keyslots/'))).toHaveLength(1);
  });

  it('the first keys object put in place of the newer one (to revive the old password) is REPLICA_REORDERED', async () => {
    const b = await bucket();
    const target = { ...b.s3, prefix: 'revive' };
    const db = await openDb();
    open.push(db);
    await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
    const replica = startReplica(db, { ...target, debounceMs: 60_000 });
    open.push(replica);
    await replica.pushNow();
    await changePassword(db, { password: PASSWORD }, { password: 'new till password' }, { kdf: FAST_KDF });
    await sell(db, 1);
    await replica.pushNow();
    const newer = (await listAll(b.store, 'revive/')).find((o) => o.key.includes('/keyslots/'))!.key;
    const first = (await listAll(b.store, 'revive/')).find((o) => o.key.endsWith('/keys'))!.key;
    await b.store.put(newer, (await b.store.get(first))!);
    await expect(restoreFromReplica({ storage: new MemoryStorage(), name: 'r.db', replica: target, password: PASSWORD })).rejects.toMatchObject({ code: 'REPLICA_REORDERED' });
  });
});
