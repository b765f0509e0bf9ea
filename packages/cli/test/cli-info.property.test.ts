/**
 * `cipherlite info` reads fields no key has authenticated yet, so every field it prints must
 * survive every value its width allows (docs/FORMAT.md "Main database header"): the u64 created-at
 * of the header and of each keyslot, the u64 sequence numbers, the u32 next key epoch. Each copy's
 * checksum is recomputed, so the copy counts as intact and every patched value reaches the printer.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '@cipherlite/core';
import { NodeFsStorage } from '@cipherlite/core/node';
import { EXIT, run, type CliIo } from '../src/cli.js';

const COPY = 4096;
// docs/FORMAT.md offsets: header sequence, next epoch, created at; keyslot 0 at 64, its created at at +32; checksum at 4048.
const SEQUENCE = 32;
const NEXT_EPOCH = 40;
const CREATED_AT = 48;
const SLOT0_CREATED_AT = 64 + 32;
const CHECKSUM = 4048;

let dir: string;
let original: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cipherlite-info-'));
  const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'h.db', key: new Uint8Array(32).fill(3) });
  await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1)');
  await db.close();
  original = readFileSync(join(dir, 'h.db'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function info(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {}, cwd: dir, prompt: async () => null };
  const code = await run(['info', ...args], io);
  return { code, out, err };
}

interface Fields {
  createdAt: bigint;
  slotCreatedAt: bigint;
  sequenceA: bigint;
  sequenceB: bigint;
  nextEpoch: number;
}

function patched(f: Fields): Uint8Array {
  const b = original.slice();
  const dv = new DataView(b.buffer);
  for (const [base, sequence] of [
    [0, f.sequenceA],
    [COPY, f.sequenceB],
  ] as const) {
    dv.setBigUint64(base + SEQUENCE, sequence);
    dv.setUint32(base + NEXT_EPOCH, f.nextEpoch);
    dv.setBigUint64(base + CREATED_AT, f.createdAt);
    dv.setBigUint64(base + SLOT0_CREATED_AT, f.slotCreatedAt);
    b.set(
      createHash('sha256')
        .update(b.subarray(base, base + CHECKSUM))
        .digest()
        .subarray(0, 16),
      base + CHECKSUM,
    );
  }
  return b;
}

const u64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 8_640_000_000_000_000n, 8_640_000_000_000_001n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const fields = fc.record({ createdAt: u64, slotCreatedAt: u64, sequenceA: u64, sequenceB: u64, nextEpoch: fc.oneof(fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 })) });

describe('cipherlite info: every value of every printed field', () => {
  it('prints (text and JSON, exit 0) whatever the u64/u32 fields hold; an undatable time is shown as its number', async () => {
    await fc.assert(
      fc.asyncProperty(fields, async (f) => {
        writeFileSync(join(dir, 'p.db'), patched(f));
        const text = await info(['p.db']);
        expect(text.err).toBe('');
        expect(text.code, text.out).toBe(EXIT.OK);
        expect(text.out).toMatch(/^created: {9}\S/m);
        expect(text.out).toMatch(/^ {2}\[0\] raw {6}created \S/m);
        const json = await info(['p.db', '--json']);
        expect(json.code).toBe(EXIT.OK);
        expect(JSON.parse(json.out)).toMatchObject({ kind: 'cipherlite', nextEpoch: f.nextEpoch });
      }),
      { numRuns: 150 },
    );
  });

  it('the hostile dates of the report: 2^64−1, 2^53+1 and 2^63 are printed, not thrown on', async () => {
    for (const v of [2n ** 64n - 1n, 2n ** 53n + 1n, 2n ** 63n]) {
      writeFileSync(join(dir, 'd.db'), patched({ createdAt: v, slotCreatedAt: v, sequenceA: 1n, sequenceB: 2n, nextEpoch: 1 }));
      const r = await info(['d.db']);
      expect(r.code, r.err).toBe(EXIT.OK);
      expect(r.out).toMatch(/created: +unknown \(\d+ ms is past any date\)/);
    }
  });
});
