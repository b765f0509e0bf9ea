/**
 * Fuzzing the stored bytes (docs/SECURITY-TESTS.md #12): random mutations of the header, of blocks and
 * of the file length must end in exactly one of two ways — the database opens and returns the
 * intact original data, or a typed CipherliteError with a storage-related code. Never a crash
 * of another kind, never a hang, never different data.
 * Bounded for CI (FUZZ_RUNS, default 150); run longer on demand: FUZZ_RUNS=5000 pnpm exec vitest run packages/core/test/fuzz.test.ts
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CipherliteError, MemoryStorage } from '../src/index.js';
import { openWithKey } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const ALLOWED = new Set(['CORRUPT', 'NOT_A_DATABASE', 'WRONG_KEY']);

type Mutation =
  { t: 'flip'; at: number; bit: number } | { t: 'set'; at: number; value: number } | { t: 'truncate'; to: number } | { t: 'append'; bytes: number[] } | { t: 'zero'; at: number; len: number };

const mutation = (size: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    // Bias towards the header (first 8 KiB), where every field is parsed.
    fc.record({ t: fc.constant('flip' as const), at: fc.oneof(fc.integer({ min: 0, max: 8191 }), fc.integer({ min: 0, max: size - 1 })), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ t: fc.constant('set' as const), at: fc.integer({ min: 0, max: size - 1 }), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ t: fc.constant('truncate' as const), to: fc.integer({ min: 0, max: size - 1 }) }),
    fc.record({ t: fc.constant('append' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 5000 }) }),
    fc.record({ t: fc.constant('zero' as const), at: fc.integer({ min: 0, max: size - 1 }), len: fc.integer({ min: 1, max: 5000 }) }),
  );

function apply(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = bytes.slice();
  for (const m of ms) {
    if (m.t === 'flip' && m.at < b.length) b[m.at]! ^= 1 << m.bit;
    else if (m.t === 'set' && m.at < b.length) b[m.at] = m.value;
    else if (m.t === 'truncate') b = b.slice(0, Math.min(m.to, b.length));
    else if (m.t === 'append') b = Uint8Array.from([...b, ...m.bytes]);
    else if (m.t === 'zero') b.fill(0, Math.min(m.at, b.length), Math.min(m.at + m.len, b.length));
  }
  return b;
}

async function content(storage: MemoryStorage): Promise<string> {
  // create: false — an emptied file must not silently become a new, empty database.
  const db = await openWithKey(storage, 'f.db', { create: false });
  try {
    const rows = await db.query('SELECT * FROM t ORDER BY id');
    const check = await db.query('PRAGMA integrity_check');
    return JSON.stringify({ rows, check });
  } finally {
    await db.close();
  }
}

describe('fuzzing stored bytes', () => {
  it(`${RUNS} random mutation sets: intact data or a clean typed error`, async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage, 'f.db');
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB); CREATE INDEX tv ON t(v)');
    await db.transaction(async (tx) => {
      for (let i = 0; i < 120; i++) await tx.exec('INSERT INTO t(v, b) VALUES (?, randomblob(40))', [`value-${i}-${'z'.repeat(i % 50)}`]);
    });
    await db.close();
    const original = storage.files.get('f.db')!.bytes();
    const expected = await content(MemoryStorage.from(new Map([['f.db', original]])));
    let intact = 0;
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(original.length), { minLength: 1, maxLength: 4 }), async (ms) => {
        const mutated = apply(original, ms);
        try {
          const got = await content(MemoryStorage.from(new Map([['f.db', mutated]])));
          expect(got).toBe(expected); // opened: then the data must be exactly the original
          intact++;
        } catch (e) {
          if (!(e instanceof CipherliteError) || !ALLOWED.has(e.code)) throw new Error(`unexpected failure for ${JSON.stringify(ms)}: ${String(e)}`);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
      }),
      { numRuns: RUNS },
    );
    // The fuzzer must have exercised both outcomes (mutations of unused bytes are harmless).
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(RUNS / 3);
    expect(intact + [...codes.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
  });
});
