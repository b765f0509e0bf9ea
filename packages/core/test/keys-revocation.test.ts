/**
 * Old header copies and removed secrets (README "Security": revocation). The data key survives a
 * password change or a slot removal, so a header saved before it still opens current data with
 * the old secret — as in LUKS. `removeKeyslot(…, { rekey: true })` (and `rekey`) revoke for real:
 * a new data key, every page re-encrypted, and the saved header then unlocks nothing readable.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
import { addRecoveryKey, changePassword, listKeyslots, removeKeyslot } from '../src/keys/index.js';
import { KEY, OTHER_KEY } from './helpers.js';
import { RecordingStorage } from './keys-helpers.js';

// Raw keys, not passwords: the same keyslot logic without an Argon2id run per open.
const OWNER = { key: KEY };

const HEADER = 8192;

async function fixture(): Promise<{ storage: MemoryStorage; db: Database; recoveryKey: string; savedHeader: Uint8Array }> {
  const storage = new MemoryStorage();
  const db = await Database.open({ storage, name: 'r.db', ...OWNER });
  await db.exec("CREATE TABLE t(secret TEXT); INSERT INTO t VALUES ('current data')");
  const { recoveryKey } = await addRecoveryKey(db, OWNER);
  const savedHeader = storage.files.get('r.db')!.bytes().slice(0, HEADER);
  return { storage, db, recoveryKey, savedHeader };
}

function putBack(storage: MemoryStorage, header: Uint8Array): void {
  storage.files.get('r.db')!.write(header, { at: 0 });
}

async function reads(storage: MemoryStorage, secret: { key: Uint8Array } | { recoveryKey: string }): Promise<string> {
  try {
    const db = await Database.open({ storage, name: 'r.db', ...secret, create: false });
    try {
      const row = await db.get<{ secret: string }>('SELECT secret FROM t');
      return row ? `read: ${row.secret}` : 'opened, no row';
    } finally {
      await db.close();
    }
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('revocation', () => {
  it('documented limit: a header saved before removeKeyslot lets the removed recovery key read current data', async () => {
    const { storage, db, recoveryKey, savedHeader } = await fixture();
    await removeKeyslot(db, OWNER, 1);
    await db.exec("UPDATE t SET secret = 'written after the removal'");
    await db.close();
    expect(await reads(storage, { recoveryKey })).toBe('WRONG_KEY');
    putBack(storage, savedHeader);
    expect(await reads(storage, { recoveryKey })).toBe('read: written after the removal');
  });

  it('documented limit: a header saved before changePassword lets the old secret read current data', async () => {
    const { storage, db, savedHeader } = await fixture();
    await changePassword(db, OWNER, { key: OTHER_KEY });
    await db.close();
    expect(await reads(storage, OWNER)).toBe('WRONG_KEY');
    putBack(storage, savedHeader);
    expect(await reads(storage, OWNER)).toBe('read: current data');
  });

  it('removeKeyslot(…, { rekey: true }) revokes for real: the saved header opens nothing readable', async () => {
    const { storage, db, recoveryKey, savedHeader } = await fixture();
    const { db: fresh, droppedKeyslots } = await removeKeyslot(db, OWNER, 1, { rekey: true });
    expect(db.closed).toBe(true);
    expect(droppedKeyslots).toEqual([]); // the recovery slot was removed before the rekey
    await fresh.exec("UPDATE t SET secret = 'written after the revocation'");
    await fresh.close();
    expect(await reads(storage, OWNER)).toBe('read: written after the revocation');
    expect(await reads(storage, { recoveryKey })).toBe('WRONG_KEY');
    putBack(storage, savedHeader);
    const outcome = await reads(storage, { recoveryKey });
    expect(outcome).not.toMatch(/^read|^opened/);
    expect(['CORRUPT', 'NOT_A_DATABASE']).toContain(outcome);
  });

  it('options other than { rekey: true } are refused before anything changes', async () => {
    const { db } = await fixture();
    await expect(removeKeyslot(db, OWNER, 1, { rekey: false } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await db.query('SELECT * FROM t')).length).toBe(1);
    await db.close();
  });

  it('removeKeyslot(…, { rekey: true }) is crash-atomic: after a crash at any write (torn too), the slot is still listed or the revocation is complete', async () => {
    const storage = new RecordingStorage();
    const db = await Database.open({ storage, name: 'r.db', ...OWNER });
    await db.exec("CREATE TABLE t(secret TEXT); INSERT INTO t VALUES ('current data')");
    const { recoveryKey } = await addRecoveryKey(db, OWNER);
    const savedHeader = storage.inner.files.get('r.db')!.bytes().slice(0, HEADER);
    storage.start({ torn: true });
    const { db: fresh } = await removeKeyslot(db, OWNER, 1, { rekey: true });
    const snaps = storage.stop();
    await fresh.close();
    const seen = { listed: 0, revoked: 0 };
    for (const snap of snaps) {
      const t = MemoryStorage.from(snap.files);
      const opened = await Database.open({ storage: t, name: 'r.db', ...OWNER, create: false });
      const slots = listKeyslots(opened).length;
      await opened.exec("UPDATE t SET secret = 'written after the crash'");
      await opened.close();
      if (slots === 2) {
        // Not done, and visibly so: the caller sees the slot and can revoke again.
        seen.listed++;
        expect(await reads(t, { recoveryKey }), snap.label).toBe('read: written after the crash');
        continue;
      }
      expect(slots, snap.label).toBe(1);
      seen.revoked++;
      expect(await reads(t, { recoveryKey }), snap.label).toBe('WRONG_KEY');
      // The revocation is real: the removed secret with a header saved before it reads nothing.
      putBack(t, savedHeader);
      expect(await reads(t, { recoveryKey }), snap.label).not.toMatch(/^read|^opened/);
    }
    expect(seen.listed).toBeGreaterThan(0);
    expect(seen.revoked).toBeGreaterThan(0);
  });
});
