/**
 * Model-based property test (fast-check): an EncryptedFile must behave exactly like a plain
 * byte array under random writes, reads, truncates, syncs and reopen-after-sync, at arbitrary
 * offsets and lengths — for journals (exact sizes, partial blocks) and for temp files.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastestAead } from '../src/crypto/default-aead.js';
import { FILE_KIND } from '../src/format/constants.js';
import { MemoryFile } from '../src/storage/memory.js';
import { rescueAreaSize } from '../src/format/constants.js';
import { EncryptedFile } from '../src/vfs/encrypted-file.js';
import { TempKeys } from '../src/container/temp-keys.js';

const B = 512;
const FILE_ID = new Uint8Array(16).fill(9);

type Op = { t: 'write'; at: number; len: number; seed: number } | { t: 'read'; at: number; len: number } | { t: 'truncate'; size: number } | { t: 'sync' } | { t: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('write' as const), at: fc.integer({ min: 0, max: 6 * B }), len: fc.integer({ min: 1, max: 3 * B }), seed: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('read' as const), at: fc.integer({ min: 0, max: 8 * B }), len: fc.integer({ min: 1, max: 3 * B }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('truncate' as const), size: fc.integer({ min: 0, max: 7 * B }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sync' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const) }) },
);

describe('EncryptedFile behaves like a plain file', () => {
  for (const kind of ['journal', 'temp'] as const) {
    it(`random operation sequences (${kind})`, () => {
      const keys = new TempKeys(fastestAead());
      const recentBlocks = kind === 'journal' ? 3 : 0; // exercise the recent-block cache too
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
          const raw = new MemoryFile('f');
          const rings: { destroy(): void }[] = [];
          const ring = () => {
            const r = keys.ringFor(FILE_ID, FILE_KIND[kind]);
            rings.push(r);
            return r;
          };
          const make = () =>
            new EncryptedFile({
              file: raw,
              kind: FILE_KIND[kind],
              headerSize: 64 + rescueAreaSize(B),
              rescueOffset: 64,
              recentBlocks,
              blockSize: B,
              fileId: FILE_ID,
              keys: ring(),
              epochs: keys,
            });
          let ef = make();
          let model = new Uint8Array(0);
          for (const o of ops) {
            switch (o.t) {
              case 'write': {
                const data = Uint8Array.from({ length: o.len }, (_, i) => (o.seed + i * 31) & 255);
                ef.write(data, o.at);
                const next = new Uint8Array(Math.max(model.length, o.at + o.len));
                next.set(model);
                next.set(data, o.at);
                model = next;
                break;
              }
              case 'read': {
                const out = new Uint8Array(o.len).fill(0xee);
                const n = ef.read(out, o.at);
                const expected = new Uint8Array(o.len);
                if (o.at < model.length) expected.set(model.subarray(o.at, Math.min(model.length, o.at + o.len)));
                expect(n).toBe(Math.max(0, Math.min(o.len, model.length - o.at)));
                expect(out).toEqual(expected); // includes the zero-filled short-read tail
                break;
              }
              case 'truncate': {
                ef.truncate(o.size);
                const next = new Uint8Array(o.size);
                next.set(model.subarray(0, Math.min(o.size, model.length)));
                model = next;
                break;
              }
              case 'sync':
                ef.sync();
                break;
              case 'reopen':
                ef.sync(); // unsynced data may be lost by a crash; a clean reopen follows a sync
                ef = make();
                break;
            }
            expect(ef.size).toBe(model.length);
          }
          for (const r of rings) r.destroy();
        }),
        { numRuns: 500 },
      );
    });
  }
});
