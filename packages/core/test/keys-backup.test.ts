import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { backup, exportPlaintext, inspectBackup, listBackups, pruneBackups, restore, type Progress } from '../src/keys/index.js';
import { content, FAST_KDF, fileBytes, KEY, KEY2, RecordingStorage, seeded, tryOpen } from './keys-helpers.js';

async function snapshotOf(db: Database): Promise<string> {
  return content(db);
}

describe('backup', () => {
  it('returns an encrypted file with meta; it opens under the chosen secret only', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 3000);
    const events: Progress[] = [];
    const { bytes, meta } = await backup(db, { key: KEY }, { onProgress: (p) => events.push({ ...p }) });
    expect(meta).toEqual({ sizeBytes: bytes.length, createdAt: expect.any(Number), pageSize: 4096, formatVersion: 1, tables: [{ name: 't', rows: 3000 }] });
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('cipherlt');
    expect(Buffer.from(bytes).includes('row-1-')).toBe(false);
    const copy = events.filter((e) => e.phase === 'copy');
    expect(copy.length).toBeGreaterThan(1); // stepwise
    expect(copy.at(-1)!.done).toBe(copy.at(-1)!.total);
    const expected = await content(db);
    const opened = await tryOpen(new Map([['b.db', bytes]]), { key: KEY }, content, 'b.db');
    expect(opened).toEqual({ ok: true, value: expected });
    // A different secret for the backup (password, minimum KDF cost).
    const pw = await backup(db, { key: KEY }, { secret: { password: 'backup pw' }, kdf: FAST_KDF });
    expect(await tryOpen(new Map([['b.db', pw.bytes]]), { key: KEY }, content, 'b.db')).toMatchObject({ ok: false, code: 'WRONG_KEY' });
    expect(await tryOpen(new Map([['b.db', pw.bytes]]), { password: 'backup pw' }, content, 'b.db')).toEqual({ ok: true, value: expected });
    // Its own file id: no key is shared with the live database.
    expect(Buffer.compare(bytes.subarray(16, 32), fileBytes(storage, 'a.db').subarray(16, 32))).not.toBe(0);
    await expect(backup(db, { key: KEY2 })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    await db.close();
  });

  it('the database stays usable during a backup; the snapshot is consistent', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 6000);
    const writes: Promise<unknown>[] = [];
    let i = 0;
    const result = await backup(
      db,
      { key: KEY },
      {
        onProgress: (p) => {
          // Writes issued while the backup runs are served between its steps.
          if (p.phase === 'copy' && p.done < p.total) writes.push(db.exec('INSERT INTO t(v) VALUES (?)', [`during-${i++}`]));
        },
      },
    );
    await Promise.all(writes);
    expect(i).toBeGreaterThanOrEqual(3);
    const n = (await db.get<{ n: number }>('SELECT count(*) AS n FROM t'))!.n;
    expect(n).toBe(6000 + i);
    const rows = result.meta.tables[0]!.rows;
    expect(rows).toBeGreaterThanOrEqual(6000);
    expect(rows).toBeLessThanOrEqual(6000 + i);
    const check = await tryOpen(new Map([['b.db', result.bytes]]), { key: KEY }, async (d) => [await d.get('PRAGMA integrity_check'), await d.get('SELECT count(*) AS n FROM t')], 'b.db');
    expect(check).toEqual({ ok: true, value: [{ integrity_check: 'ok' }, { n: rows }] });
    await db.close();
  });
});

describe('restore', () => {
  it('inspect → comparison → confirm: content replaced, safety backup kept, listed and pruned', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 100);
    const { bytes } = await backup(db, { key: KEY }, { secret: { key: KEY2 } });
    const atBackup = await content(db);
    await db.exec('DELETE FROM t WHERE id > 10');
    await db.exec('CREATE TABLE extra(a)');
    const beforeRestore = await content(db);

    const pending = await inspectBackup(db, bytes, { key: KEY2 });
    expect(pending.comparison.tables).toEqual([
      { name: 'extra', currentRows: 0, backupRows: null },
      { name: 't', currentRows: 10, backupRows: 100 },
    ]);
    expect(pending.comparison.backup.pageSize).toBe(4096);
    expect(pending.comparison.current.sizeBytes).toBeGreaterThan(0);
    // Wrong live secret: refused, pending stays usable.
    await expect(pending.confirm({ key: KEY2 })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(await content(db)).toBe(beforeRestore);
    const events: Progress[] = [];
    const changed: string[][] = [];
    const unsubscribe = db.onChange((tables) => changed.push([...tables].sort()));
    const result = await pending.confirm({ key: KEY }, { onProgress: (p) => events.push({ ...p }) });
    unsubscribe();
    // The pages were copied below SQLite's authorizer; listeners still hear of both tables.
    expect(changed).toEqual([['extra', 't']]);
    expect(pending.settled).toBe(true);
    expect(await content(db)).toBe(atBackup);
    expect(result.restored.tables).toEqual([{ name: 't', rows: 100 }]);
    expect(result.safetyBackup).toMatch(/^a\.db\.bak-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(['safety-backup', 'restore']));
    // The safety backup holds the pre-restore content, under the live secret.
    const safety = await Database.open({ storage, name: result.safetyBackup, key: KEY, create: false });
    expect(await content(safety)).toBe(beforeRestore);
    await safety.close();
    await expect(pending.confirm({ key: KEY })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // History: list newest first, prune to N.
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setTimeout(r, 2));
      await restore(db, { key: KEY }, bytes, { key: KEY2 });
    }
    const list = await listBackups(storage, 'a.db');
    expect(list).toHaveLength(4);
    expect(list.map((b) => b.createdAt)).toEqual([...list.map((b) => b.createdAt)].sort((a, b) => b - a));
    expect(list.every((b) => b.sizeBytes > format.MAIN_HEADER_SIZE && !b.incomplete)).toBe(true);
    const deleted = await pruneBackups(storage, 'a.db', 2);
    expect(deleted).toEqual(list.slice(2).map((b) => b.name));
    expect((await listBackups(storage, 'a.db')).map((b) => b.name)).toEqual(list.slice(0, 2).map((b) => b.name));
    await db.close();
  });

  it('refuses truncated, tampered, wrong-key, plain-SQLite and random files; the live database is untouched', async () => {
    const storage = new MemoryStorage();
    const db = await seeded(storage, 200);
    const { bytes } = await backup(db, { key: KEY });
    const plain = await exportPlaintext(db);
    const S = format.slotSize(4096);
    const H = format.MAIN_HEADER_SIZE;
    const tamper = (at: number): Uint8Array => {
      const b = bytes.slice();
      b[at]! ^= 0x01;
      return b;
    };
    const random = new Uint8Array(H + 3 * S).map((_, i) => (i * 7919) & 255);
    const cases: [string, Uint8Array, { key: Uint8Array } | { password: string }, string][] = [
      ['truncated by 7 bytes', bytes.subarray(0, bytes.length - 7), { key: KEY }, 'CORRUPT'],
      ['truncated by one block', bytes.subarray(0, bytes.length - S), { key: KEY }, 'CORRUPT'],
      ['truncated to the header', bytes.subarray(0, H), { key: KEY }, 'CORRUPT'],
      ['truncated inside the header', bytes.subarray(0, 100), { key: KEY }, 'NOT_A_DATABASE'],
      ['ciphertext bit flipped in the last block', tamper(bytes.length - 40), { key: KEY }, 'CORRUPT'],
      ['ciphertext bit flipped in page 1', tamper(H + 100), { key: KEY }, 'CORRUPT'],
      ['nonce bit flipped', tamper(H + S + 10), { key: KEY }, 'CORRUPT'],
      ['wrong key', bytes, { key: KEY2 }, 'WRONG_KEY'],
      ['wrong password', bytes, { password: 'nope' }, 'WRONG_KEY'],
      ['plain SQLite file', plain, { key: KEY }, 'NOT_A_DATABASE'],
      ['random bytes', random, { key: KEY }, 'NOT_A_DATABASE'],
      ['empty', new Uint8Array(0), { key: KEY }, 'NOT_A_DATABASE'],
    ];
    const live = storage.snapshot();
    const liveContent = await content(db);
    for (const [label, b, secret, code] of cases) {
      await expect(restore(db, { key: KEY }, b, secret), label).rejects.toMatchObject({ code });
      await expect(
        inspectBackup(db, b, secret).then((p) => p.cancel()),
        label,
      ).rejects.toMatchObject({ code });
      for (const [name, want] of live) expect(Buffer.compare(fileBytes(storage, name), want), `${label}: ${name}`).toBe(0);
      expect(storage.list().sort(), label).toEqual([...live.keys()].sort());
    }
    expect(await content(db)).toBe(liveContent);
    // A wrong live secret is refused too, before anything is written.
    await expect(restore(db, { key: KEY2 }, bytes, { key: KEY })).rejects.toMatchObject({ code: 'WRONG_KEY' });
    expect(storage.list().sort()).toEqual([...live.keys()].sort());
    await db.close();
  });

  it('a backup with another page size is refused with a clear message', async () => {
    const other = await seeded(new MemoryStorage(), 5, { name: 'o.db', pageSize: 8192 });
    const { bytes } = await backup(other, { key: KEY });
    await other.close();
    const db = await seeded(new MemoryStorage(), 5);
    await expect(inspectBackup(db, bytes, { key: KEY })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/page size/) });
    await db.close();
  });

  it('a crash at every write of confirm leaves the old or the restored content, never a mix', async () => {
    const storage = new RecordingStorage();
    const db = await seeded(storage, 150);
    const { bytes } = await backup(db, { key: KEY });
    const restoredContent = await content(db);
    await db.exec('DELETE FROM t WHERE id % 3 = 0');
    await db.exec("UPDATE t SET v = 'changed' WHERE id < 20");
    const oldContent = await snapshotOf(db);
    const pending = await inspectBackup(db, bytes, { key: KEY });
    storage.start();
    await pending.confirm({ key: KEY });
    const snaps = storage.stop();
    await db.close();
    expect(snaps.length).toBeGreaterThan(20);
    const seen = new Map<string, number>();
    for (const s of snaps) {
      const r = await tryOpen(s.files, { key: KEY }, async (d) => [await content(d), await d.get('PRAGMA integrity_check')] as const);
      expect(r.ok, s.label).toBe(true);
      if (!r.ok) continue;
      const [c, check] = r.value;
      expect(check, s.label).toEqual({ integrity_check: 'ok' });
      const which = c === oldContent ? 'old' : c === restoredContent ? 'restored' : 'MIX';
      expect(which, s.label).not.toBe('MIX');
      seen.set(which, (seen.get(which) ?? 0) + 1);
    }
    expect(seen.get('old')).toBeGreaterThan(0);
    expect(seen.get('restored')).toBeGreaterThan(0);
  });
});
