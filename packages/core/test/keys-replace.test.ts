import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../src/index.js';
import { recoverPendingReplace, replaceFile, replaceMarkerName, replaceSourceName } from '../src/keys/index.js';
import type { SyncStorage } from '../src/index.js';
import { RecordingStorage } from './keys-helpers.js';

function fill(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

function put(storage: { open: MemoryStorage['open'] }, name: string, bytes: Uint8Array): void {
  const f = storage.open(name, { create: true });
  f.truncate(0);
  f.write(bytes, { at: 0 });
  f.flush();
  f.close();
}

/** A database's right to finish the replacement (storage/file-replacement.ts): file id + marker MAC key. */
const AUTH = { fileId: fill(16, 7), macKey: fill(32, 9) };

const OLD = fill(3 * 1024 * 1024 + 17, 1); // bigger than one copy chunk
const NEW = fill(2 * 1024 * 1024 + 5, 2); // shorter: the copy must truncate

describe('replaceFile / recoverPendingReplace', () => {
  it('replaces the content and cleans up', async () => {
    // Without `rename` (as OPFS and IndexedDB): the marker protocol, hash then copy.
    const s = new RecordingStorage();
    put(s, 'f', OLD);
    put(s, 'f-journal', new Uint8Array(10));
    put(s, replaceSourceName('f'), NEW);
    const phases = new Set<string>();
    await replaceFile(s, 'f', [AUTH], (phase) => phases.add(phase));
    expect(Buffer.compare(s.inner.files.get('f')!.bytes(), NEW)).toBe(0);
    expect(s.list().sort()).toEqual(['f']);
    expect([...phases]).toEqual(['hash', 'copy']);
    expect(await recoverPendingReplace(s, 'f', AUTH)).toBe('none');
  });

  it('where the storage renames: one rename is the swap — no marker, no hash, nothing copied, the old journal gone', async () => {
    const s = new MemoryStorage();
    put(s, 'f', OLD);
    put(s, 'f-journal', new Uint8Array(10));
    put(s, replaceSourceName('f'), NEW);
    const written: string[] = [];
    s.onWrite = (file) => written.push(file.name);
    const events: string[] = [];
    await replaceFile(s, 'f', [AUTH], (phase, done, total) => events.push(`${phase} ${done}/${total}`));
    expect(Buffer.compare(s.files.get('f')!.bytes(), NEW)).toBe(0);
    expect(s.list().sort()).toEqual(['f']);
    expect(written).toEqual([]);
    expect(events).toEqual([`copy 0/${NEW.length}`, `copy ${NEW.length}/${NEW.length}`]);
    expect(await recoverPendingReplace(s, 'f', AUTH)).toBe('none');
  });

  it('where the storage renames, a crash at any step leaves the old or the new file after recovery, never a mix', async () => {
    const s = new RecordingStorage(new MemoryStorage(), { rename: true });
    put(s, 'f', OLD);
    put(s, 'f-journal', new Uint8Array(10));
    put(s, replaceSourceName('f'), NEW);
    s.start({ torn: true });
    await replaceFile(s, 'f', [AUTH]);
    const snaps = s.stop();
    const outcomes = new Set<string>();
    for (const snap of snaps) {
      const t = MemoryStorage.from(snap.files);
      const outcome = await recoverPendingReplace(t, 'f', AUTH);
      const got = t.files.get('f')!.bytes();
      const which = Buffer.compare(got, OLD) === 0 ? 'old' : Buffer.compare(got, NEW) === 0 ? 'new' : 'MIX';
      expect(which, snap.label).not.toBe('MIX');
      expect(
        t.list().filter((n) => n !== 'f-journal'),
        snap.label,
      ).toEqual(['f']);
      outcomes.add(`${outcome}:${which}`);
    }
    // Before the rename the source is a leftover without a marker (discarded, old kept); after it, nothing to do.
    expect([...outcomes].sort()).toEqual(['discarded:old', 'none:new']);
  });

  it('flushes the target as the copy goes (≤ 16 MiB unflushed) and reports the copy complete only once it is flushed', async () => {
    const MiB = 1024 * 1024;
    const s = new MemoryStorage();
    const log: string[] = [];
    let unflushed = 0;
    let mostUnflushed = 0;
    // The target's writes and flushes, in order with the progress events.
    const storage: SyncStorage = {
      open: (name, o) => {
        const f = s.open(name, o);
        if (name !== 'f') return f;
        return {
          read: (buf, at) => f.read(buf, at),
          write: (buf, at) => {
            unflushed += buf.length;
            mostUnflushed = Math.max(mostUnflushed, unflushed);
            return f.write(buf, at);
          },
          truncate: (n) => f.truncate(n),
          getSize: () => f.getSize(),
          flush: () => {
            unflushed = 0;
            log.push('flush');
            f.flush();
          },
          close: () => f.close(),
        };
      },
      exists: (n) => s.exists(n),
      delete: (n) => s.delete(n),
      list: () => s.list(),
    };
    put(s, 'f', OLD);
    const size = 40 * MiB + 3;
    put(s, replaceSourceName('f'), fill(size, 3));
    await replaceFile(storage, 'f', [AUTH], (phase, done, total) => {
      if (phase === 'copy') log.push(done === total ? 'complete' : 'progress');
    });
    expect(s.files.get('f')!.bytes().length).toBe(size);
    expect(mostUnflushed).toBeLessThanOrEqual(16 * MiB);
    expect(log.filter((e) => e === 'flush').length).toBeGreaterThanOrEqual(3);
    expect(log.slice(-2)).toEqual(['flush', 'complete']);
    expect(log.filter((e) => e === 'complete')).toHaveLength(1);
  });

  it('a crash at any write, truncate or delete leaves the old or the new file after recovery, never a mix', async () => {
    const s = new RecordingStorage();
    put(s, 'f', OLD);
    put(s, replaceSourceName('f'), NEW);
    s.start({ torn: true });
    await replaceFile(s, 'f', [AUTH]);
    const snaps = s.stop();
    const outcomes = new Map<string, number>();
    for (const snap of snaps) {
      const t = MemoryStorage.from(snap.files);
      const outcome = await recoverPendingReplace(t, 'f', AUTH);
      const got = t.files.get('f')!.bytes();
      const which = Buffer.compare(got, OLD) === 0 ? 'old' : Buffer.compare(got, NEW) === 0 ? 'new' : 'MIX';
      expect(which, snap.label).not.toBe('MIX');
      expect(t.list().sort(), snap.label).toEqual(['f']);
      outcomes.set(`${outcome}:${which}`, (outcomes.get(`${outcome}:${which}`) ?? 0) + 1);
      // Recovery is idempotent.
      expect(await recoverPendingReplace(t, 'f', AUTH)).toBe('none');
    }
    // Every kind of state was reached: before the commit (source discarded, old kept), after it
    // (copy redone), after the marker's deletion (leftover source discarded) and after the end.
    expect([...outcomes.keys()].sort()).toEqual(['completed:new', 'discarded:new', 'discarded:old', 'none:new']);
  });

  it('a torn marker is not a commit; a committed source that changed is refused, touching nothing', async () => {
    const s = new MemoryStorage();
    put(s, 'f', OLD);
    put(s, replaceSourceName('f'), NEW);
    put(s, replaceMarkerName('f'), new TextEncoder().encode('{"format":"cipherlite-replace","ver'));
    expect(await recoverPendingReplace(s, 'f', AUTH)).toBe('discarded');
    expect(Buffer.compare(s.files.get('f')!.bytes(), OLD)).toBe(0);

    // A committed marker whose source was damaged afterwards: CORRUPT, all files kept.
    const r = new RecordingStorage();
    put(r, 'f', OLD);
    put(r, replaceSourceName('f'), NEW);
    r.start();
    await replaceFile(r, 'f', [AUTH]);
    const snaps = r.stop();
    const committed = snaps.find((x) => x.label.startsWith(`write ${replaceMarkerName('f')}`))!;
    const t = MemoryStorage.from(committed.files);
    const src = t.files.get(replaceSourceName('f'))!;
    src.write(new Uint8Array([src.bytes()[100]! ^ 1]), { at: 100 });
    const before = t.snapshot();
    await expect(recoverPendingReplace(t, 'f', AUTH)).rejects.toMatchObject({ code: 'CORRUPT' });
    for (const [name, bytes] of before) expect(Buffer.compare(t.files.get(name)!.bytes(), bytes)).toBe(0);
  });

  it('a marker pointing at another file is refused', async () => {
    const s = new MemoryStorage();
    put(s, 'f', OLD);
    put(s, 'other', NEW);
    put(s, replaceSourceName('f'), NEW);
    const r = new RecordingStorage();
    put(r, 'g', OLD);
    put(r, replaceSourceName('g'), NEW);
    r.start();
    await replaceFile(r, 'g', [AUTH]);
    const marker = r
      .stop()
      .find((x) => x.label.startsWith(`write ${replaceMarkerName('g')}`))!
      .files.get(replaceMarkerName('g'))!;
    // Re-label the marker for "f": its checksum still matches, but the source name does not.
    put(s, replaceMarkerName('f'), marker);
    await expect(recoverPendingReplace(s, 'f', AUTH)).rejects.toMatchObject({ code: 'CORRUPT' });
    expect(Buffer.compare(s.files.get('f')!.bytes(), OLD)).toBe(0);
  });
});
