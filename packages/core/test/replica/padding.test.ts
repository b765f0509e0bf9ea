/**
 * Size classes of replica objects (docs/REPLICA.md "The envelope", Padding): up to 1 MiB an
 * object — envelope, padded body and tag — is a power of two of at least 512 bytes, so a small
 * commit of two pages costs exactly twice its pages in the bucket; above that the body is padded
 * to whole MiB, so a full snapshot chunk (1 MiB of pages) is not doubled. Both sealing paths
 * (@noble/ciphers and WebCrypto) give the same sizes, and every body reads back whole.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/index.js';
import { listAll, startReplica, type Replica } from '../../src/replica/index.js';
import { OBJECT_OVERHEAD, open, seal, type Position } from '../../src/replica/format.js';
import { openBulk, sealBulk } from '../../src/replica/transfer.js';
import { openReplica, readEntry } from '../../src/replica/reader.js';
import { secretFromMaterial } from '../../src/container/keyslots.js';
import { bucket, openDb, PASSWORD, sell } from './replica-helpers.js';

const MiB = 1 << 20;
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
/** The sizes an object may have: a power of two from 512 bytes to 1 MiB, or whole MiB of body plus the overhead. */
const isSizeClass = (size: number): boolean => (size <= MiB ? size >= 512 && isPowerOfTwo(size) : (size - OBJECT_OVERHEAD) % MiB === 0);

const at: Position = { replicaId: new Uint8Array(16).fill(1), generationId: new Uint8Array(16).fill(2), generation: 1, seq: 7, index: 0, count: 0 };
const key = new Uint8Array(32).fill(9);
const source = new Uint8Array(3 * (1 << 20) + 5).map((_, i) => (i * 7 + 1) & 0xff);
const body = (n: number): Uint8Array => source.subarray(0, n);

describe('replica object sizes', () => {
  const cases = [
    0,
    1,
    512 - OBJECT_OVERHEAD,
    512 - OBJECT_OVERHEAD + 1,
    8_273,
    16_384 - OBJECT_OVERHEAD,
    16_384 - OBJECT_OVERHEAD + 1,
    300_000,
    MiB - OBJECT_OVERHEAD,
    MiB - OBJECT_OVERHEAD + 1,
    MiB,
    MiB + 1,
    3 * MiB + 5,
  ];

  it('an object is a power of two up to 1 MiB, whole MiB of body above; the body reads back whole (both sealing paths)', async () => {
    for (const n of cases) {
      const small = seal('entry', at, key, body(n));
      const bulk = await sealBulk('chunk', { ...at, index: 2, count: 3 }, key, body(n));
      expect(small.length, `body of ${n} bytes`).toBe(bulk.length);
      expect(isSizeClass(small.length), `object of ${small.length} bytes for a body of ${n}`).toBe(true);
      // The smallest class that holds it: half of it would not.
      if (small.length <= MiB && small.length > 512) expect(n + OBJECT_OVERHEAD).toBeGreaterThan(small.length / 2);
      expect(Buffer.compare(open('entry', small, 'e', at, key).subarray(0, n), body(n))).toBe(0);
      expect(Buffer.compare((await openBulk('chunk', bulk, 'c', { ...at, index: 2, count: 3 }, key)).subarray(0, n), body(n))).toBe(0);
    }
    expect(seal('entry', at, key, body(8_273)).length).toBe(16_384);
    expect(seal('entry', at, key, body(MiB)).length).toBe(MiB + OBJECT_OVERHEAD);
    expect(seal('entry', at, key, body(MiB - OBJECT_OVERHEAD + 1)).length).toBe(MiB + OBJECT_OVERHEAD);
  });

  describe('on Ceph RGW', () => {
    const open: (Database | Replica)[] = [];
    afterEach(async () => {
      for (const x of open.splice(0).reverse()) await (x instanceof Database ? x.close() : x.stop());
    });

    it('a one-row commit (two changed pages) is an entry of exactly twice its pages; every object in the bucket is a size class', async () => {
      const b = await bucket();
      const db = await openDb();
      open.push(db);
      await db.exec('CREATE TABLE sales (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price INTEGER NOT NULL)');
      const replica = startReplica(db, { ...b.s3, prefix: 'sizes', debounceMs: 60_000 });
      open.push(replica);
      await replica.pushNow();
      await sell(db, 1);
      const seq = (await replica.pushNow()).lastPushedSeq!;

      const r = await openReplica(b.store, 'sizes', secretFromMaterial({ password: PASSWORD }));
      const { entry, bytes } = await readEntry(r, seq);
      expect(entry.kind).toBe('pages');
      const dv = new DataView(entry.payload.buffer, entry.payload.byteOffset);
      const [pageSize, changed] = [dv.getUint32(0), dv.getUint32(8)];
      expect(changed).toBe(2);
      expect(bytes.length).toBe(2 * changed * pageSize);

      const objects = await listAll(b.store, 'sizes/');
      const padded = objects.filter((o) => !/\/keys$|\/keyslots\//.test(o.key));
      expect(padded.length).toBeGreaterThanOrEqual(3);
      for (const o of padded) expect(isSizeClass(o.size), `${o.key}: ${o.size} bytes`).toBe(true);
    });
  });
});
