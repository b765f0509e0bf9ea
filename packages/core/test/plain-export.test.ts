/**
 * The decrypted logical file is a byte-for-byte standard SQLite database: decrypting every
 * block with the format's rules (no SQLite involved) yields a file that plain sqlite-wasm opens
 * with `sqlite3_deserialize` and reads the same rows from.
 */
import { describe, expect, it } from 'vitest';
import { secretFromMaterial } from '../src/container/keyslots.js';
import { fastestAead } from '../src/crypto/default-aead.js';
import { FILE_KIND, MAIN_HEADER_SIZE, SQLITE_MAGIC } from '../src/format/constants.js';
import { MemoryStorage } from '../src/index.js';
import { loadSqlite } from '../src/sqlite/loader.js';
import { EncryptedFile } from '../src/vfs/encrypted-file.js';
import { MainContainer } from '../src/container/main-container.js';
import { KEY, openWithKey } from './helpers.js';

async function decryptAllBlocks(storage: MemoryStorage, name: string): Promise<Uint8Array> {
  const file = storage.open(name, { create: false });
  const container = await MainContainer.unlock(file, secretFromMaterial({ key: KEY }), { aead: fastestAead() });
  const ring = container.mainRing();
  const ef = new EncryptedFile({ file, kind: FILE_KIND.main, headerSize: MAIN_HEADER_SIZE, blockSize: container.blockSize, fileId: container.fileId, keys: ring, epochs: container });
  const out = new Uint8Array(ef.size);
  expect(ef.read(out, 0)).toBe(out.length);
  // readBlocks (exportPlaintext's batched reads) returns the same bytes, in slices of 100 blocks
  // that do not line up with its 64-slot storage reads.
  const blocks = out.length / container.blockSize;
  const batched = new Uint8Array(out.length).fill(0xee);
  for (let from = 0; from < blocks; from += 100) {
    const n = Math.min(100, blocks - from);
    ef.readBlocks(from, n, batched.subarray(from * container.blockSize, (from + n) * container.blockSize));
  }
  expect(Buffer.compare(batched, out)).toBe(0);
  ring.destroy();
  container.close();
  return out;
}

describe('plain export check', () => {
  for (const pageSize of [1024, 4096, 8192]) {
    it(`decrypting every block gives a standard SQLite file (page size ${pageSize})`, async () => {
      const storage = new MemoryStorage();
      const db = await openWithKey(storage, 'e.db', { pageSize });
      await db.exec('CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, img BLOB); CREATE INDEX items_name ON items(name)');
      await db.transaction(async (tx) => {
        for (let i = 0; i < 3000; i++) await tx.exec('INSERT INTO items(name, price, img) VALUES (?, ?, ?)', [`item ${i}`, i * 1.5, new Uint8Array(i % 50).fill(i & 255)]);
      });
      const expected = await db.query('SELECT * FROM items ORDER BY id');
      await db.close();

      const plain = await decryptAllBlocks(storage, 'e.db');
      expect(plain.subarray(0, 16)).toEqual(SQLITE_MAGIC);
      expect(new DataView(plain.buffer).getUint16(16) || 65536).toBe(pageSize === 65536 ? 1 : pageSize);
      expect(plain.length % pageSize).toBe(0);

      const sqlite3 = await loadSqlite();
      const { capi, wasm } = sqlite3 as unknown as { capi: Record<string, (...a: unknown[]) => number> & Record<string, number>; wasm: { allocFromTypedArray(a: Uint8Array): number } };
      const plainDb = new sqlite3.oo1.DB(':memory:');
      const ptr = wasm.allocFromTypedArray(plain);
      const rc = capi['sqlite3_deserialize']!(plainDb.pointer, 'main', ptr, plain.length, plain.length, capi['SQLITE_DESERIALIZE_FREEONCLOSE']! | capi['SQLITE_DESERIALIZE_RESIZEABLE']!);
      expect(rc).toBe(0);
      const rows = plainDb.exec({ sql: 'SELECT * FROM items ORDER BY id', rowMode: 'object', returnValue: 'resultRows' });
      expect(rows).toEqual(expected);
      expect(plainDb.exec({ sql: 'PRAGMA integrity_check', rowMode: 'array', returnValue: 'resultRows' })).toEqual([['ok']]);
      plainDb.close();
    });
  }
});
