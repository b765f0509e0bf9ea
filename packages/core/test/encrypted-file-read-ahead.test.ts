/**
 * Read-ahead of the main file: pages read in order come from one storage call per 64 slots, each
 * block is still authenticated when it is read, and a write never leaves a stale copy to be read.
 */
import { describe, expect, it } from 'vitest';
import { TempKeys } from '../src/container/temp-keys.js';
import { fastestAead } from '../src/crypto/default-aead.js';
import { FILE_KIND, slotSize } from '../src/format/constants.js';
import { MemoryFile } from '../src/storage/memory.js';
import type { AtOption } from '../src/storage/sync-file.js';
import { EncryptedFile } from '../src/vfs/encrypted-file.js';

const B = 1024;
const HEADER = 64;
const FILE_ID = new Uint8Array(16).fill(4);
const keys = new TempKeys(fastestAead());

/** A MemoryFile that counts the reads that reach it. */
class CountingFile extends MemoryFile {
  reads = 0;
  override read(buf: Uint8Array, o: AtOption): number {
    this.reads++;
    return super.read(buf, o);
  }
}

const mainFile = (raw: MemoryFile) =>
  new EncryptedFile({ file: raw, kind: FILE_KIND.main, headerSize: HEADER, blockSize: B, fileId: FILE_ID, keys: keys.ringFor(FILE_ID, FILE_KIND.main), epochs: keys });
const page = (n: number, version = 0) => new Uint8Array(B).fill((n * 7 + version * 101) & 255);

function stored(blocks: number): CountingFile {
  const raw = new CountingFile('main');
  raw.write(new Uint8Array(HEADER), { at: 0 });
  const ef = mainFile(raw);
  for (let n = 0; n < blocks; n++) ef.write(page(n), n * B);
  ef.sync();
  return raw;
}

function readPage(ef: EncryptedFile, n: number): Uint8Array {
  const out = new Uint8Array(B);
  expect(ef.read(out, n * B)).toBe(B);
  return out;
}

describe('EncryptedFile read-ahead (main file)', () => {
  it('pages read in order reach storage once per 64 slots, and read right', () => {
    const raw = stored(300);
    const ef = mainFile(raw);
    raw.reads = 0;
    for (let n = 0; n < 300; n++) expect(readPage(ef, n)).toEqual(page(n));
    // One read for page 0, then one per 64 pages (plus the run that stops at the end).
    expect(raw.reads).toBeLessThanOrEqual(1 + Math.ceil(299 / 64) + 1);
  });

  it('pages read out of order are read one by one (no read-ahead for random access)', () => {
    const raw = stored(100);
    const ef = mainFile(raw);
    raw.reads = 0;
    const order = [50, 3, 77, 12, 90, 41, 8, 66];
    for (const n of order) expect(readPage(ef, n)).toEqual(page(n));
    expect(raw.reads).toBe(order.length);
  });

  it('a page written after it was read ahead is read back new, never the buffered old version', () => {
    const raw = stored(100);
    const ef = mainFile(raw);
    readPage(ef, 0);
    readPage(ef, 1); // sequential: slots 1..64 are now buffered
    ef.write(page(5, 1), 5 * B);
    ef.sync();
    expect(readPage(ef, 5)).toEqual(page(5, 1));
    // And after a truncate below a buffered page and a rewrite of it.
    readPage(ef, 2);
    readPage(ef, 3);
    ef.truncate(10 * B);
    ef.write(page(20, 2), 20 * B);
    ef.sync();
    expect(readPage(ef, 20)).toEqual(page(20, 2));
    expect(readPage(ef, 15)).toEqual(new Uint8Array(B)); // the gap reads as zeros
  });

  it('a tampered slot inside a read-ahead run fails as CORRUPT naming its page; the pages before it read fine', () => {
    const raw = stored(100);
    const at = HEADER + 10 * slotSize(B) + 40;
    raw.write(new Uint8Array([raw.bytes()[at]! ^ 1]), { at });
    const ef = mainFile(raw);
    for (let n = 0; n < 10; n++) expect(readPage(ef, n)).toEqual(page(n));
    expect(() => readPage(ef, 10)).toThrow(expect.objectContaining({ code: 'CORRUPT', details: expect.objectContaining({ page: 11 }) }) as Error);
  });
});
