/**
 * A passkey proves `current` for every key operation that takes a password or recovery key as
 * proof: changePassword, addRecoveryKey, addPasskey, removeKeyslot, rekey, backup, and a
 * restore's confirm. The PRF output is a fixed 32 bytes here (what the page's ceremony would
 * return); a wrong one is WRONG_KEY and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
import type { KeyMaterial } from '../src/index.js';
import { addPasskey, addRecoveryKey, backup, changePassword, inspectBackup, listKeyslots, rekey, removeKeyslot } from '../src/keys/index.js';
import { FAST_KDF } from './keys-helpers.js';

const PASSWORD = 'counter 7 password';
const PRF = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 255);
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const CREDENTIAL = Uint8Array.from({ length: 32 }, (_, i) => (i * 11 + 5) & 255);
const passkey = (prfOutput = PRF): KeyMaterial => ({ passkey: { credentialId: CREDENTIAL.slice(), prfOutput: prfOutput.slice() } });
const wrongPasskey = (): KeyMaterial => {
  const prf = PRF.slice();
  prf[31]! ^= 0x80;
  return passkey(prf);
};

async function withPasskey(): Promise<{ storage: MemoryStorage; db: Database }> {
  const storage = new MemoryStorage();
  const db = await Database.open({ storage, name: 'a.db', password: PASSWORD, kdf: FAST_KDF });
  await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('sale 1')");
  await addPasskey(db, { password: PASSWORD }, { credentialId: CREDENTIAL, salt: SALT, prfOutput: PRF.slice(), label: 'alice@till-1' });
  return { storage, db };
}

/** 'OK' when `material` opens `a.db`, else the error code. */
async function opens(storage: MemoryStorage, material: KeyMaterial): Promise<string> {
  try {
    await (await Database.open({ storage, name: 'a.db', ...material, create: false })).close();
    return 'OK';
  } catch (e) {
    return (e as { code?: string }).code ?? 'THROWN';
  }
}

const kinds = (db: Database) => listKeyslots(db).map((s) => s.kind);

describe('a passkey as `current`', () => {
  it('changePassword: the passkey proves it; the new password opens', async () => {
    const { storage, db } = await withPasskey();
    await expect(changePassword(db, wrongPasskey(), { password: 'new' })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await changePassword(db, passkey(), { password: 'new' });
    await db.close();
    expect(await opens(storage, { password: 'new' })).toBe('OK');
  });

  it('changePassword with options.slot: the passkey proves it, the password slot is replaced, the passkey stays', async () => {
    const { storage, db } = await withPasskey();
    await expect(changePassword(db, passkey(), { password: 'new' }, { slot: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(changePassword(db, passkey(), { password: 'new' }, { slot: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(changePassword(db, wrongPasskey(), { password: 'new' }, { slot: 0 })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const info = await changePassword(db, passkey(), { password: 'new' }, { slot: 0 });
    expect(info).toMatchObject({ index: 0, kind: 'password', kdf: { memoryKiB: FAST_KDF.memoryKiB, iterations: FAST_KDF.iterations } });
    expect(kinds(db)).toEqual(['password', 'passkey']);
    await db.close();
    expect(await opens(storage, { password: 'new' })).toBe('OK');
    expect(await opens(storage, { password: PASSWORD })).toBe('WRONG_KEY');
    expect(await opens(storage, passkey())).toBe('OK');
  });

  it('addRecoveryKey and removeKeyslot', async () => {
    const { storage, db } = await withPasskey();
    await expect(addRecoveryKey(db, wrongPasskey())).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const { recoveryKey } = await addRecoveryKey(db, passkey());
    expect(kinds(db)).toEqual(['password', 'passkey', 'recovery']);
    await expect(removeKeyslot(db, wrongPasskey(), 0)).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await removeKeyslot(db, passkey(), 0);
    expect(kinds(db)).toEqual(['passkey', 'recovery']);
    await db.close();
    expect(await opens(storage, { password: PASSWORD })).toBe('WRONG_KEY');
    expect(await opens(storage, { recoveryKey })).toBe('OK');
    expect(await opens(storage, passkey())).toBe('OK');
  });

  it('addPasskey: one passkey vouches for another', async () => {
    const { db } = await withPasskey();
    const other = { credentialId: new Uint8Array(32).fill(9), salt: new Uint8Array(16).fill(1), prfOutput: new Uint8Array(32).fill(2), label: 'bob' };
    await expect(addPasskey(db, wrongPasskey(), { ...other, prfOutput: other.prfOutput.slice() })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await addPasskey(db, passkey(), { ...other, prfOutput: other.prfOutput.slice() });
    expect(kinds(db)).toEqual(['password', 'passkey', 'passkey']);
  });

  it('rekey: the passkey slot is kept (same credential, salt and label) and still opens; others are dropped', async () => {
    const { storage, db } = await withPasskey();
    await expect(rekey(db, wrongPasskey())).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const { db: rekeyed, droppedKeyslots } = await rekey(db, passkey());
    expect(droppedKeyslots.map((s) => s.kind)).toEqual(['password']);
    const slots = listKeyslots(rekeyed);
    expect(slots.map((s) => [s.kind, s.label])).toEqual([['passkey', 'alice@till-1']]);
    expect(await rekeyed.query('SELECT v FROM t')).toEqual([{ v: 'sale 1' }]);
    await rekeyed.close();
    expect(await opens(storage, passkey())).toBe('OK');
  });

  it('backup and a restore confirmed with the passkey', async () => {
    const { db } = await withPasskey();
    await expect(backup(db, wrongPasskey())).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const { bytes } = await backup(db, passkey());
    await db.exec("INSERT INTO t VALUES ('sale 2')");
    const pending = await inspectBackup(db, bytes, passkey());
    await expect(pending.confirm(wrongPasskey())).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await pending.confirm(passkey());
    expect(await db.query('SELECT v FROM t')).toEqual([{ v: 'sale 1' }]);
  });
});
