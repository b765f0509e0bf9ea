/**
 * The Argon2id budget of one open attempt (docs/FORMAT.md "Keyslot": MAX_OPEN_KDF_WORK_KIB).
 * The header is attacker-controlled: 4 password slots in each of 2 copies, each within the per-slot
 * cap, used to make one wrong-password open run Argon2id 8 times. The proof counts the runs and
 * their parameters — hash-wasm's real argon2id runs, wrapped only to record its arguments — rather
 * than timing them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Database, MemoryStorage } from '../src/index.js';
import { MAX_KDF_WORK_KIB, MAX_OPEN_KDF_WORK_KIB } from '../src/crypto/kdf.js';
import { expectCode, KEY } from './helpers.js';

const runs = vi.hoisted(() => [] as { memorySize: number; iterations: number }[]);
vi.mock('hash-wasm', async (importOriginal) => {
  const real = await importOriginal<typeof import('hash-wasm')>();
  return {
    ...real,
    argon2id: (o: Parameters<typeof real.argon2id>[0]) => {
      runs.push({ memorySize: o.memorySize, iterations: o.iterations });
      return real.argon2id(o);
    },
  };
});

// docs/FORMAT.md "Main database header" and "Keyslot".
const COPY = 4096;
const SLOT_COUNT = 56;
const SLOTS = 64;
const SLOT_SIZE = 256;
const CHECKSUM = 4048;

/** A database whose two header copies each claim `perCopy` password slots of m × t, every salt distinct. */
async function hostile(perCopy: number, memoryKiB: number, iterations: number): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  const db = await Database.open({ storage, name: 'h.db', key: KEY });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  await db.close();
  const file = storage.files.get('h.db')!;
  const bytes = file.bytes().slice();
  const dv = new DataView(bytes.buffer);
  for (const base of [0, COPY]) {
    bytes[base + SLOT_COUNT] = perCopy;
    for (let i = 0; i < perCopy; i++) {
      const at = base + SLOTS + i * SLOT_SIZE;
      bytes.fill(0, at, at + SLOT_SIZE);
      bytes[at] = 1; // password
      bytes[at + 1] = 1; // Argon2id
      dv.setUint32(at + 4, memoryKiB);
      dv.setUint32(at + 8, iterations);
      dv.setUint32(at + 12, 1);
      bytes.set(randomBytes(16), at + 16); // salt
      bytes.set(randomBytes(92), at + 40); // wrap nonce, wrapped key, tag, commitment
    }
    bytes.set(
      createHash('sha256')
        .update(bytes.subarray(base, base + CHECKSUM))
        .digest()
        .subarray(0, 16),
      base + CHECKSUM,
    );
  }
  file.write(bytes, { at: 0 });
  return storage;
}

const work = (r: { memorySize: number; iterations: number }[]): number => r.reduce((sum, x) => sum + x.memorySize * x.iterations, 0);

describe('Argon2id work per open attempt', () => {
  it('the worst header the bound allows: a wrong password runs Argon2id for at most MAX_OPEN_KDF_WORK_KIB in total', async () => {
    // 4 slots of 128 MiB × 2 per copy: each copy exactly at the bound, 8 distinct salts.
    const storage = await hostile(4, 128 * 1024, 2);
    runs.length = 0;
    await expectCode(Database.open({ storage, name: 'h.db', password: 'not the password' }), 'WRONG_KEY');
    expect(runs).toHaveLength(4);
    expect(work(runs)).toBe(MAX_OPEN_KDF_WORK_KIB);
    expect(MAX_OPEN_KDF_WORK_KIB).toBe(2 * MAX_KDF_WORK_KIB);
  }, 120_000);

  it('the header of the report (4 slots of 256 MiB × 2 per copy) is refused before any Argon2id run', async () => {
    const storage = await hostile(4, 256 * 1024, 2);
    runs.length = 0;
    const e = await expectCode(Database.open({ storage, name: 'h.db', password: 'not the password' }), 'NOT_A_DATABASE');
    expect(e.message).toMatch(/Argon2id work/);
    expect(runs).toHaveLength(0);
  });
});
