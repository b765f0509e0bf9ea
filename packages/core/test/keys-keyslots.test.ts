import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format, parseRecoveryKey } from '../src/index.js';
import { addKeyslot, addRecoveryKey, changePassword, listKeyslots, removeKeyslot } from '../src/keys/index.js';
import { content, FAST_KDF, fileBytes, KEY, KEY2, RecordingStorage, seeded, tryOpen } from './keys-helpers.js';

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? 'THROWN',
  );

describe('changePassword', () => {
  it('re-wraps the data key: new secret opens, old does not, no data block rewritten', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 300);
    const before = await content(db);
    const bytesBefore = fileBytes(storage, 'a.db');
    const info = await changePassword(db, { key: KEY }, { key: KEY2 });
    expect(info).toMatchObject({ index: 0, kind: 'raw' });
    const bytesAfter = fileBytes(storage, 'a.db');
    // Every encrypted slot after the two header copies is byte-identical.
    expect(bytesAfter.length).toBe(bytesBefore.length);
    expect(Buffer.compare(bytesAfter.subarray(format.MAIN_HEADER_SIZE), bytesBefore.subarray(format.MAIN_HEADER_SIZE))).toBe(0);
    expect(Buffer.compare(bytesAfter.subarray(0, format.MAIN_HEADER_SIZE), bytesBefore.subarray(0, format.MAIN_HEADER_SIZE))).not.toBe(0);
    // The session keeps working.
    await db.exec('INSERT INTO t(v) VALUES (?)', ['after']);
    await db.close();
    const snap = storage.snapshot();
    expect(await tryOpen(snap, { key: KEY }, async () => 1)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    const reopened = await tryOpen(snap, { key: KEY2 }, (d) => d.query('SELECT count(*) AS n FROM t'));
    expect(reopened).toMatchObject({ ok: true, value: [{ n: 301 }] });
    expect(before).toContain('row-300');
  });

  it('password → password with Argon2id (minimum cost), keeping the slot parameters', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'p.db', password: 'old pass', kdf: FAST_KDF });
    await db.exec('CREATE TABLE x(a)');
    expect(await codeOf(changePassword(db, { password: 'not it' }, { password: 'new pass' }))).toBe('WRONG_KEY');
    await changePassword(db, { password: 'old pass' }, { password: 'new pass' });
    expect(listKeyslots(db)).toEqual([{ index: 0, kind: 'password', createdAt: expect.any(Number), kdf: { algorithm: 'argon2id', ...FAST_KDF } }]);
    await db.close();
    await expect(Database.open({ storage, name: 'p.db', password: 'old pass', create: false })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const again = await Database.open({ storage, name: 'p.db', password: 'new pass', create: false });
    await again.close();
  });

  it('wrong current secret → WRONG_KEY and not one stored byte changes', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 10);
    const before = storage.snapshot();
    expect(await codeOf(changePassword(db, { key: KEY2 }, { key: new Uint8Array(32).fill(1) }))).toBe('WRONG_KEY');
    expect(await codeOf(changePassword(db, { password: 'guess' }, { key: KEY2 }))).toBe('WRONG_KEY');
    expect(await codeOf(changePassword(db, { recoveryKey: 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA' }, { key: KEY2 }))).toBe('WRONG_KEY');
    for (const [name, bytes] of before) expect(Buffer.compare(fileBytes(storage, name), bytes)).toBe(0);
    // Invalid arguments are refused before any work.
    expect(await codeOf(changePassword(db, { key: KEY }, { recoveryKey: 'x' } as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(changePassword(db, { key: KEY }, { key: new Uint8Array(16) }))).toBe('INVALID_ARGUMENT');
    await db.close();
    expect(await codeOf(changePassword(db, { key: KEY }, { key: KEY2 }))).toBe('CLOSED');
  });

  it('crash at every write (torn writes included): exactly one of old/new opens, data intact', async () => {
    const storage = new RecordingStorage();
    const db = await seeded(storage, 50);
    const expected = await content(db);
    storage.start({ torn: true });
    await changePassword(db, { key: KEY }, { key: KEY2 });
    const snapshots = storage.stop();
    await db.close();
    // Two header copies, each written once (plus a torn state each), plus start/end.
    expect(snapshots.length).toBeGreaterThanOrEqual(6);
    let sawOld = 0;
    let sawNew = 0;
    for (const s of snapshots) {
      const oldR = await tryOpen(s.files, { key: KEY }, content);
      const newR = await tryOpen(s.files, { key: KEY2 }, content);
      expect([oldR.ok, newR.ok].filter(Boolean), s.label).toHaveLength(1);
      const r = oldR.ok ? oldR : newR;
      expect(r.ok && r.value, s.label).toBe(expected);
      if (oldR.ok) sawOld++;
      else sawNew++;
      if (!oldR.ok) expect(oldR.code, s.label).toBe('WRONG_KEY');
      if (!newR.ok) expect(newR.code, s.label).toBe('WRONG_KEY');
    }
    expect(sawOld).toBeGreaterThan(0);
    expect(sawNew).toBeGreaterThan(0);
  });
});

describe('recovery keys and keyslots', () => {
  it('addRecoveryKey returns a 160-bit key once; it unlocks; listKeyslots shows no secrets', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 20);
    const { recoveryKey, slot } = await addRecoveryKey(db, { key: KEY });
    expect(recoveryKey).toMatch(/^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$/);
    expect(parseRecoveryKey(recoveryKey)).toHaveLength(20);
    expect(slot).toEqual({ index: 1, kind: 'recovery', createdAt: expect.any(Number) });
    const list = listKeyslots(db);
    expect(list.map((s) => s.kind)).toEqual(['raw', 'recovery']);
    for (const s of list) expect(Object.keys(s).sort()).toEqual(['createdAt', 'index', 'kind']);
    const json = JSON.stringify(list);
    expect(json).not.toContain(recoveryKey.slice(0, 4) + '-' + recoveryKey.slice(5, 9));
    await db.close();
    const snap = storage.snapshot();
    const viaRecovery = await tryOpen(snap, { recoveryKey: recoveryKey.toLowerCase() }, content);
    expect(viaRecovery.ok).toBe(true);
    expect((await tryOpen(snap, { key: KEY }, content)).ok).toBe(true);
  });

  it('recovery key can reset a forgotten password', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'r.db', password: 'forgotten', kdf: FAST_KDF });
    const { recoveryKey } = await addRecoveryKey(db, { password: 'forgotten' });
    await db.close();
    const viaRecovery = await Database.open({ storage, name: 'r.db', recoveryKey, create: false });
    // Add a new password slot with the recovery key, then remove the forgotten password's slot.
    await addKeyslot(viaRecovery, { recoveryKey }, { password: 'brand new' }, { kdf: FAST_KDF });
    expect(await codeOf(removeKeyslot(viaRecovery, { recoveryKey }, 1))).toBe('INVALID_ARGUMENT'); // its own slot
    await removeKeyslot(viaRecovery, { recoveryKey }, 0);
    expect(listKeyslots(viaRecovery).map((s) => s.kind)).toEqual(['recovery', 'password']);
    await viaRecovery.close();
    await expect(Database.open({ storage, name: 'r.db', password: 'forgotten', create: false })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const fresh = await Database.open({ storage, name: 'r.db', password: 'brand new', create: false });
    await fresh.close();
  });

  it('removeKeyslot: refuses the last slot, a bad index and a wrong secret; removed secret stops working', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 5);
    expect(await codeOf(removeKeyslot(db, { key: KEY }, 0))).toBe('INVALID_ARGUMENT'); // last slot
    const { recoveryKey } = await addRecoveryKey(db, { key: KEY });
    expect(await codeOf(removeKeyslot(db, { key: KEY }, 2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(removeKeyslot(db, { key: KEY }, -1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(removeKeyslot(db, { key: KEY2 }, 1))).toBe('WRONG_KEY');
    const left = await removeKeyslot(db, { key: KEY }, 1);
    expect(left.map((s) => s.kind)).toEqual(['raw']);
    await db.close();
    const r = await tryOpen(storage.snapshot(), { recoveryKey }, async () => 1);
    expect(r).toMatchObject({ ok: false, code: 'WRONG_KEY' });
  });

  it('at most 4 keyslots', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 1);
    await addRecoveryKey(db, { key: KEY });
    await addKeyslot(db, { key: KEY }, { key: KEY2 });
    await addRecoveryKey(db, { key: KEY2 });
    expect(listKeyslots(db)).toHaveLength(4);
    expect(await codeOf(addRecoveryKey(db, { key: KEY }))).toBe('INVALID_ARGUMENT');
    await db.close();
  });

  it('concurrent key changes are serialized: the loser gets BUSY, never a lost update', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 1);
    const results = await Promise.allSettled([changePassword(db, { key: KEY }, { key: KEY2 }), changePassword(db, { key: KEY }, { key: new Uint8Array(32).fill(3) })]);
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'OK' : (r.reason as { code: string }).code)).sort();
    expect(codes).toEqual(['BUSY', 'OK']);
    await db.close();
  });
});
