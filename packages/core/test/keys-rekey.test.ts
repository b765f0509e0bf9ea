import { describe, expect, it } from 'vitest';
import { internals } from '../src/internal.js';
import { Database, MemoryStorage, format } from '../src/index.js';
import { addRecoveryKey, listKeyslots, rekey, type Progress } from '../src/keys/index.js';
import { content, FAST_KDF, fileBytes, KEY, KEY2, RecordingStorage, seeded, tryOpen } from './keys-helpers.js';

describe('rekey', () => {
  it('new data key and file id, every block re-encrypted, data preserved, progress reported', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 400);
    const expected = await content(db);
    const oldDek = internals(db).container.dek.slice();
    const oldFileId = internals(db).container.fileId.slice();
    const { recoveryKey } = await addRecoveryKey(db, { key: KEY });
    const oldBytes = fileBytes(storage, 'a.db');
    const events: Progress[] = [];
    const { db: fresh, droppedKeyslots } = await rekey(db, { key: KEY }, { onProgress: (p) => events.push({ ...p }) });
    expect(db.closed).toBe(true);
    expect(droppedKeyslots).toEqual([{ index: 1, kind: 'recovery', createdAt: expect.any(Number) }]);
    expect(await content(fresh)).toBe(expected);
    expect(Buffer.compare(internals(fresh).container.dek, oldDek)).not.toBe(0);
    expect(Buffer.compare(internals(fresh).container.fileId, oldFileId)).not.toBe(0);
    expect(listKeyslots(fresh).map((s) => s.kind)).toEqual(['raw']);
    // Progress: copy pages up to the total, then hash/swap bytes, monotonic per phase.
    const copy = events.filter((e) => e.phase === 'copy');
    expect(copy.at(-1)!.done).toBe(copy.at(-1)!.total);
    expect(copy.at(-1)!.total).toBeGreaterThan(10);
    expect(events.some((e) => e.phase === 'swap' && e.done === e.total)).toBe(true);
    // Nothing left behind but the database (and its journal).
    expect(
      storage
        .list()
        .filter((n) => !n.startsWith('a.db-journal'))
        .sort(),
    ).toEqual(['a.db']);
    // No block of the old file authenticates in the new one (new key, new file id).
    const S = format.slotSize(4096);
    const newBytes = fileBytes(storage, 'a.db');
    await fresh.close();
    const spliced = newBytes.slice();
    spliced.set(oldBytes.subarray(format.MAIN_HEADER_SIZE + S, format.MAIN_HEADER_SIZE + 2 * S), format.MAIN_HEADER_SIZE + S);
    const r = await tryOpen(new Map([['a.db', spliced]]), { key: KEY }, (d) => d.query('PRAGMA integrity_check'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('CORRUPT');
    // The recovery key opened the old file; it does not open the new one.
    expect(await tryOpen(storage.snapshot(), { recoveryKey }, async () => 1)).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    expect(await tryOpen(new Map([['a.db', oldBytes]]), { recoveryKey }, async () => 1)).toMatchObject({ ok: true });
  });

  it('a password slot is recreated with the same Argon2id parameters', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'p.db', password: 'pw', kdf: FAST_KDF });
    await db.exec('CREATE TABLE t(a); INSERT INTO t VALUES (1), (2)');
    const oldSalt = internals(db).container.header.keyslots[0]!.salt.slice();
    const { db: fresh } = await rekey(db, { password: 'pw' }, { reopen: { cacheSizeKiB: 1024 } });
    expect(listKeyslots(fresh)[0]!.kdf).toEqual({ algorithm: 'argon2id', ...FAST_KDF });
    expect(Buffer.compare(internals(fresh).container.header.keyslots[0]!.salt, oldSalt)).not.toBe(0);
    expect(await fresh.query('SELECT a FROM t ORDER BY a')).toEqual([{ a: 1 }, { a: 2 }]);
    await fresh.close();
  });

  it('wrong key → WRONG_KEY, the database stays open and unchanged', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 20);
    const before = storage.snapshot();
    await expect(rekey(db, { key: KEY2 })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await expect(rekey(db, { password: 'nope' })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(db.closed).toBe(false);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 20 });
    for (const [name, bytes] of before) expect(Buffer.compare(fileBytes(storage, name), bytes)).toBe(0);
    expect(storage.list().sort()).toEqual([...before.keys()].sort());
    await db.close();
  });

  it.each([
    ['copied over under a marker (no rename: OPFS, IndexedDB)', false],
    ['swapped by an atomic rename (Node files, memory)', true],
  ])('a crash at every write, truncate and delete leaves one consistent database that opens with the key — %s', async (_, rename) => {
    const storage = new RecordingStorage(new MemoryStorage(), { rename });
    const db = await seeded(storage, 120);
    const expected = await content(db);
    const oldDek = internals(db).container.dek.slice();
    storage.start();
    const { db: fresh } = await rekey(db, { key: KEY });
    const snaps = storage.stop();
    // The rename path writes no marker and never writes over the old file.
    const overOld = snaps.filter((x) => /^(torn )?write a\.db(~replace)?@/.test(x.label));
    if (rename) expect(overOld.map((x) => x.label)).toEqual([]);
    else expect(overOld.length).toBeGreaterThan(0);
    const newDek = internals(fresh).container.dek.slice();
    await fresh.close();
    expect(snaps.length).toBeGreaterThan(rename ? 10 : 20);
    const seen = { old: 0, new: 0 };
    for (const s of snaps) {
      const t = MemoryStorage.from(s.files);
      const db2 = await Database.open({ storage: t, name: 'a.db', key: KEY, create: false });
      try {
        expect(await content(db2), s.label).toBe(expected);
        expect(await db2.get('PRAGMA integrity_check'), s.label).toEqual({ integrity_check: 'ok' });
        const dek = internals(db2).container.dek;
        const which = Buffer.compare(dek, oldDek) === 0 ? 'old' : Buffer.compare(dek, newDek) === 0 ? 'new' : 'other';
        expect(which, s.label).not.toBe('other');
        seen[which as 'old' | 'new']++;
      } finally {
        await db2.close();
      }
      expect(
        t.list().filter((n) => n.includes('~')),
        s.label,
      ).toEqual([]);
    }
    expect(seen.old).toBeGreaterThan(0);
    expect(seen.new).toBeGreaterThan(0);
  });
});
