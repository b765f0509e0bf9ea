/**
 * Nothing is written before the key is proven. Every on-disk state an open can meet — clean,
 * a stale header copy to repair, a hot journal, a rekey interrupted at any write (pending marker,
 * torn marker, leftover `~new`) — is opened with a wrong key, and no byte of any file changes.
 * A replacement marker is only acted on when the database's own key authenticates it.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
import { rekey, replaceMarkerName, replaceSourceName } from '../src/keys/index.js';
import { content, KEY, KEY2, RecordingStorage, seeded } from './keys-helpers.js';
import { expectCode, expectSameFiles } from './helpers.js';

describe('an open with a wrong key writes nothing', () => {
  it('at every crash point of a rekey (pending, torn or leftover replacement), a wrong key changes no byte', async () => {
    const storage = new RecordingStorage();
    const db = await seeded(storage, 60);
    storage.start();
    const { db: fresh } = await rekey(db, { key: KEY });
    const snaps = storage.stop();
    await fresh.close();
    const pending = snaps.filter((s) => s.files.has(replaceMarkerName('a.db')) || s.files.has(replaceSourceName('a.db')));
    expect(pending.length).toBeGreaterThan(5);
    // Every kind of pending state, sampled evenly (each check copies every file twice).
    const step = Math.max(1, Math.floor(pending.length / 16));
    for (const snap of pending.filter((_, i) => i % step === 0 || i === pending.length - 1)) {
      const t = MemoryStorage.from(snap.files);
      await expectCode(Database.open({ storage: t, name: 'a.db', key: KEY2, create: false }), 'WRONG_KEY');
      expectSameFiles(t.snapshot(), snap.files, snap.label);
    }
  });

  it('a stale header copy and a hot journal: a wrong key repairs nothing and rolls nothing back', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'a.db', key: KEY, journalMode: 'DELETE', cacheSizeKiB: 64 });
    await db.exec("CREATE TABLE t(x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO t SELECT printf('%0400d', i) FROM n");
    let hot: Map<string, Uint8Array> | null = null;
    storage.onMutate = () => {
      if ((storage.files.get('a.db-journal')?.getSize() ?? 0) > 32 * 1024) hot ??= storage.snapshot();
    };
    await db.exec("UPDATE t SET x = 'y' || x");
    storage.onMutate = null;
    await db.close();
    expect(hot).not.toBeNull();
    const snap = hot!;
    // Damage header copy B's checksum area so the next good open would repair it.
    const main = snap.get('a.db')!.slice();
    main[4096 + 100]! ^= 1;
    snap.set('a.db', main);
    const t = MemoryStorage.from(snap);
    await expectCode(Database.open({ storage: t, name: 'a.db', key: KEY2, create: false }), 'WRONG_KEY');
    await expectCode(Database.open({ storage: t, name: 'a.db', password: 'not the password', create: false }), 'WRONG_KEY');
    expectSameFiles(t.snapshot(), snap);
  });
});

describe('replacement markers are authenticated by the database key', () => {
  it('a planted ~new with a self-consistent marker is refused with CORRUPT and nothing is touched', async () => {
    // The attacker makes a database of their own (even under the same key: its data key differs)
    // and a marker for it.
    const attacker = new RecordingStorage();
    const theirs = await seeded(attacker, 5);
    attacker.start();
    const { db: theirsFresh } = await rekey(theirs, { key: KEY });
    const committed = attacker.stop().find((s) => s.label.startsWith(`write ${replaceMarkerName('a.db')}`))!;
    await theirsFresh.close();

    const storage = new MemoryStorage();
    const mine = await seeded(storage, 20);
    const expected = await content(mine);
    await mine.close();
    const f = storage.open(replaceSourceName('a.db'), { create: true });
    f.write(committed.files.get(replaceSourceName('a.db'))!, { at: 0 });
    const m = storage.open(replaceMarkerName('a.db'), { create: true });
    m.write(committed.files.get(replaceMarkerName('a.db'))!, { at: 0 });
    const before = storage.snapshot();
    const e = await expectCode(Database.open({ storage, name: 'a.db', key: KEY, create: false }), 'CORRUPT');
    expect(e.message).toMatch(/not authenticated/);
    expectSameFiles(storage.snapshot(), before);
    // Removing the planted files lets the real database open, unchanged.
    storage.delete(replaceSourceName('a.db'));
    storage.delete(replaceMarkerName('a.db'));
    const again = await Database.open({ storage, name: 'a.db', key: KEY, create: false });
    expect(await content(again)).toBe(expected);
    await again.close();
  });
});
