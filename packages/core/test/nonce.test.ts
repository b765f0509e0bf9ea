/**
 * Nonce safety (docs/FORMAT.md "Nonces", docs/SECURITY-TESTS.md #26): with a tiny per-epoch write limit,
 * epochs advance, blocks written under old and new epochs all decrypt, and across 10^5 block
 * writes no (block key, nonce) pair ever repeats. The epoch reservation is persisted before use,
 * so it advances across reopen and survives a crash.
 */
import { internals, openWithInternalOptions } from '../src/internal.js';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../src/index.js';
import { KEY, openWithKey } from './helpers.js';

const PAGE = 1024;
const SLOT = PAGE + 36;

function slotsOf(bytes: Uint8Array, headerSize: number): { epoch: number; nonce: string }[] {
  const out: { epoch: number; nonce: string }[] = [];
  for (let at = headerSize; at + SLOT <= bytes.length; at += SLOT) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + at, 20);
    out.push({ epoch: dv.getUint32(0), nonce: Buffer.from(bytes.subarray(at + 8, at + 20)).toString('hex') });
  }
  return out;
}

/** 10^5 in CI; docs/SECURITY-TESTS.md #26 asks for 10^6 on demand: NONCE_WRITES=1000000. */
const WRITES = Number(process.env.NONCE_WRITES ?? 100_000);

describe('key epochs and nonce uniqueness', () => {
  it(`advances epochs every N writes; old and new blocks decrypt; ${WRITES} writes never repeat a (key, nonce) pair`, async () => {
    const storage = new MemoryStorage();
    const limit = 64;
    const open = () => openWithInternalOptions({ storage, name: 'n.db', key: KEY, pageSize: PAGE, cacheSizeKiB: 64 }, { epochWriteLimit: limit });
    const seen = new Set<string>();
    let writes = 0;
    let duplicates = 0;
    // Every slot write to the main file: record (epoch, nonce). Block keys are per (file, epoch),
    // so (file, epoch, nonce) identifies a (key, nonce) pair.
    storage.onWrite = (file, bytes, at) => {
      if (file.name !== 'n.db' || at < 8192 || bytes.length !== SLOT) return;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, 20);
      const id = `${dv.getUint32(0)}:${Buffer.from(bytes.subarray(8, 20)).toString('hex')}`;
      if (seen.has(id)) duplicates++;
      seen.add(id);
      writes++;
    };
    let db = await open();
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)');
    await db.exec('INSERT INTO t(v) SELECT zeroblob(200) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 300) SELECT i FROM n)');
    let round = 0;
    while (writes < WRITES) {
      await db.exec('UPDATE t SET v = randomblob(200) WHERE id % 7 = ?', [round % 7]);
      if (++round % 40 === 0) {
        await db.close(); // reopen now and then: the epoch counter must keep advancing
        db = await open();
      }
    }
    storage.onWrite = null;
    expect(duplicates).toBe(0);
    expect(seen.size).toBe(writes);
    const epochs = new Set(slotsOf(storage.files.get('n.db')!.bytes(), 8192).map((s) => s.epoch));
    expect(epochs.size).toBeGreaterThan(5); // live blocks come from many epochs …
    expect(await db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' }); // … and all decrypt
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: 300 });
    const info = internals(db).container.epochInfo;
    expect(info.nextEpoch).toBeGreaterThan(writes / limit);
    await db.close();
  });

  it('never reuses an epoch after a crash: the reservation is on storage before the first block uses it', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage, 'e.db', { epochWriteLimit: 8 });
    await db.exec('CREATE TABLE t(x)');
    const reserved = internals(db).container.epochInfo.nextEpoch;
    // "Crash": take the storage as it is now, without closing.
    const crashed = MemoryStorage.from(storage.snapshot());
    await db.close();
    const after = await openWithInternalOptions({ storage: crashed, name: 'e.db', key: KEY }, { epochWriteLimit: 8 });
    await after.exec('INSERT INTO t VALUES (1)');
    const used = new Set(
      slotsOf(crashed.files.get('e.db')!.bytes(), 8192)
        .filter((_, i) => i > 0)
        .map((s) => s.epoch),
    );
    for (const e of used) expect(e === 0 || e >= reserved - 1).toBe(true);
    expect(internals(after).container.epochInfo.current).toBeGreaterThanOrEqual(reserved);
    await after.close();
  });
});
