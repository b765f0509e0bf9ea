/**
 * Hostile and damaged main headers (docs/FORMAT.md "Opening and updating the header"):
 * - a header cannot demand more Argon2id work than MAX_KDF_WORK_KIB (one open stays short);
 * - one copy that is refused (out-of-range KDF, unknown version) or tampered with (any field,
 *   checksum recomputed so it passes the keyless check) leaves the other copy in charge: the
 *   right secret opens, and the bad copy is repaired once the open has succeeded;
 * - a stale copy whose sequence was raised cannot turn the right secret into WRONG_KEY, and the
 *   secret it still holds (a removed password) gets CORRUPT (tampering), never access.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { Database, MAX_KDF_WORK_KIB, MemoryStorage } from '../src/index.js';
import { validateKdfParams } from '../src/crypto/kdf.js';
import { changePassword } from '../src/keys/index.js';
import { expectCode, FAST_KDF, KEY } from './helpers.js';

const COPY = 4096;
const CHECKSUM_AT = 4048;
const SEQUENCE_AT = 32;
const SLOT0 = 64;

function copyOf(file: Uint8Array, copy: 0 | 1): DataView {
  return new DataView(file.buffer, file.byteOffset + copy * COPY, COPY);
}
function sequenceOf(file: Uint8Array, copy: 0 | 1): number {
  return Number(copyOf(file, copy).getBigUint64(SEQUENCE_AT));
}
/** Recomputes a copy's keyless checksum, so an edit passes the accident check (only the MAC can catch it). */
function reseal(file: Uint8Array, copy: 0 | 1): void {
  const base = copy * COPY;
  file.set(sha256(file.subarray(base, base + CHECKSUM_AT)).subarray(0, 16), base + CHECKSUM_AT);
}

async function seededDb(o: { password?: string } = {}): Promise<{ storage: MemoryStorage; open: (s: MemoryStorage) => Promise<Database> }> {
  const storage = new MemoryStorage();
  const secret = o.password ? { password: o.password, kdf: FAST_KDF } : { key: KEY };
  const db = await Database.open({ storage, name: 'h.db', ...secret });
  await db.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('kept')");
  await db.close();
  return { storage, open: (s) => Database.open({ storage: s, name: 'h.db', ...secret, create: false }) };
}

async function expectOpensAndRepairs(storage: MemoryStorage, open: (s: MemoryStorage) => Promise<Database>, copy: 0 | 1, what: string): Promise<void> {
  const db = await open(storage);
  expect(await db.get('SELECT x FROM t'), what).toEqual({ x: 'kept' });
  await db.close();
  // Repaired after the successful open: the edited copy is authentic again, so the next open
  // uses the newest copy without help.
  const file = storage.files.get('h.db')!.bytes();
  expect(sequenceOf(file, copy) === sequenceOf(file, (1 - copy) as 0 | 1) + 1 || sequenceOf(file, (1 - copy) as 0 | 1) === sequenceOf(file, copy) + 1, what).toBe(true);
  const again = await open(storage);
  await again.close();
}

describe('Argon2id work a header may demand', () => {
  it('is capped at MAX_KDF_WORK_KIB; a header over it is refused before any KDF run', async () => {
    expect(() => validateKdfParams({ memoryKiB: MAX_KDF_WORK_KIB / 2, iterations: 2, parallelism: 1 }, 'header')).not.toThrow();
    expect(() => validateKdfParams({ memoryKiB: MAX_KDF_WORK_KIB / 2, iterations: 3, parallelism: 1 }, 'header')).toThrow(/memoryKiB × iterations/);
    expect(() => validateKdfParams({ memoryKiB: 1024 * 1024, iterations: 10, parallelism: 1 }, 'option')).toThrow(/out of range/);
    const { storage } = await seededDb({ password: 'pw' });
    const file = storage.files.get('h.db')!;
    const b = file.bytes();
    for (const copy of [0, 1] as const) {
      const dv = copyOf(b, copy);
      dv.setUint32(SLOT0 + 4, 256 * 1024); // 256 MiB
      dv.setUint32(SLOT0 + 8, 8); //  × 8 = 2 GiB-passes: within the old bounds (~5 s here)
      reseal(b, copy);
    }
    file.write(b.subarray(0, 2 * COPY), { at: 0 });
    const started = performance.now();
    await expectCode(Database.open({ storage, name: 'h.db', password: 'pw', create: false }), 'NOT_A_DATABASE');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('one bad header copy leaves the other in charge', () => {
  it('a copy refused for its contents (out-of-range KDF, unknown version, bad block size) does not make the file NOT_A_DATABASE', async () => {
    // KDF edits need a password slot (Argon2id); the others use a raw key (no KDF run: faster).
    const edits: [string, (dv: DataView) => void, boolean][] = [
      ['KDF memory 4 GiB', (dv) => dv.setUint32(SLOT0 + 4, 4 * 1024 * 1024), true],
      ['KDF iterations 2^31', (dv) => dv.setUint32(SLOT0 + 8, 2 ** 31), true],
      ['format version 2', (dv) => dv.setUint16(8, 2), false],
      ['block size 3000', (dv) => dv.setUint32(12, 3000), false],
      ['keyslot count 9', (dv) => dv.setUint8(56, 9), false],
    ];
    for (const [what, edit, password] of edits) {
      for (const copy of [0, 1] as const) {
        const { storage, open } = await seededDb(password ? { password: 'pw' } : {});
        const b = storage.files.get('h.db')!.bytes();
        edit(copyOf(b, copy));
        reseal(b, copy);
        storage.files.get('h.db')!.write(b.subarray(0, 2 * COPY), { at: 0 });
        await expectOpensAndRepairs(storage, open, copy, `${what} in copy ${copy}`);
      }
    }
  });

  it('any field of the current copy edited (checksum recomputed): the right key opens via the authentic copy', async () => {
    const fields: [string, number, number][] = [
      ['block size', 12, 0x02],
      ['file id', 16, 0x01],
      ['sequence (raised)', 32 + 6, 0x10],
      ['next key epoch (lowered: would reuse nonces)', 40 + 3, 0x01],
      ['created at', 48 + 7, 0x01],
      ['keyslot salt', SLOT0 + 16, 0x01],
      ['keyslot wrapped key', SLOT0 + 52, 0x01],
      ['keyslot commitment', SLOT0 + 100, 0x01],
      ['reserved bytes', 2000, 0x01],
    ];
    for (const [what, offset, bit] of fields) {
      const { storage, open } = await seededDb();
      const b = storage.files.get('h.db')!.bytes();
      const current = sequenceOf(b, 0) > sequenceOf(b, 1) ? 0 : 1;
      const dv = copyOf(b, current);
      dv.setUint8(offset, dv.getUint8(offset) ^ bit);
      reseal(b, current);
      storage.files.get('h.db')!.write(b.subarray(0, 2 * COPY), { at: 0 });
      await expectOpensAndRepairs(storage, open, current, what);
    }
  });
});

describe('a stale copy with a raised sequence number', () => {
  it('the current password still opens; the removed password gets CORRUPT (tampering), not access', async () => {
    const storage = new MemoryStorage();
    const db = await Database.open({ storage, name: 'h.db', password: 'old password', kdf: FAST_KDF });
    await db.exec("CREATE TABLE t(x); INSERT INTO t VALUES ('kept')");
    const saved = storage.files
      .get('h.db')!
      .bytes()
      .slice(0, 2 * COPY);
    await changePassword(db, { password: 'old password' }, { password: 'new password' });
    await db.close();
    const b = storage.files.get('h.db')!.bytes();
    const stale = sequenceOf(b, 0) > sequenceOf(b, 1) ? 1 : 0;
    const top = Math.max(sequenceOf(b, 0), sequenceOf(b, 1));
    // Put back the saved (pre-change, old-password) copy and make it claim to be the newest.
    b.set(saved.subarray(stale * COPY, (stale + 1) * COPY), stale * COPY);
    copyOf(b, stale).setBigUint64(SEQUENCE_AT, BigInt(top + 5));
    reseal(b, stale);
    storage.files.get('h.db')!.write(b.subarray(0, 2 * COPY), { at: 0 });
    const tampered = storage.snapshot();

    const e = await expectCode(Database.open({ storage, name: 'h.db', password: 'old password', create: false }), 'CORRUPT');
    expect(e.details.fileKind).toBe('main');
    expect(storage.files.get('h.db')!.bytes()).toEqual(tampered.get('h.db'));

    const ok = await Database.open({ storage, name: 'h.db', password: 'new password', create: false });
    expect(await ok.get('SELECT x FROM t')).toEqual({ x: 'kept' });
    await ok.close();
    // Repaired: the removed password is now simply wrong.
    await expectCode(Database.open({ storage, name: 'h.db', password: 'old password', create: false }), 'WRONG_KEY');
  });
});
