/**
 * Restore keeps every keyslot of the database: the restored file carries the original's header
 * (file id, keyslots), so it opens with the password, the recovery key, a second raw key and the
 * passkey alike — whichever of them was used to restore. On Ceph RGW.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { addKeyslot, addPasskey, addRecoveryKey, listKeyslots } from '../../src/keys/index.js';
import { restoreFromReplica, startReplica, type Replica } from '../../src/replica/index.js';
import type { KeyMaterial } from '../../src/types.js';
import { FAST_KDF } from '../helpers.js';
import { bucket, openDb, PASSWORD, rows, sell } from './replica-helpers.js';

const open: (Database | Replica)[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
});

const RAW = Uint8Array.from({ length: 32 }, (_, i) => (i * 5 + 1) & 255);
const PRF = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
const CREDENTIAL = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 255);
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

describe('restore keeps every keyslot', () => {
  it('a database with a password, a recovery key, a raw key and a passkey restores with each, and the restored file opens with all four', async () => {
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

    const secrets: [string, () => KeyMaterial][] = [
      ['password', () => ({ password: PASSWORD })],
      ['recovery key', () => ({ recoveryKey })],
      ['raw key', () => ({ key: RAW.slice() })],
      ['passkey', () => ({ passkey: { credentialId: CREDENTIAL, prfOutput: PRF.slice() } })],
    ];
    for (const [used, material] of secrets) {
      const storage = new MemoryStorage();
      const restored = await restoreFromReplica({ storage, name: 'r.db', replica: { ...b.s3, prefix: 'slots' }, ...material() });
      expect(await rows(restored), `restored with the ${used}`).toEqual(expected);
      expect(listKeyslots(restored).map((s) => s.kind)).toEqual(kinds);
      await restored.close();
      for (const [other, m] of secrets) {
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
});
