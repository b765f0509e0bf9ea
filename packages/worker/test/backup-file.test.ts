/** readBackup: the bytes of a real automatic backup, and nothing but automatic backups. */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage } from '@cipherlite/core';
import * as keys from '@cipherlite/core/keys';
import { readBackup } from '../src/engine/leader/backup-file.js';

const key = { key: new Uint8Array(32).fill(3) };

async function withSafetyBackup(): Promise<{ storage: MemoryStorage; db: Database; safety: string }> {
  const storage = new MemoryStorage();
  const db = await Database.open({ storage, name: 'shop', ...key });
  await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  const { bytes } = await keys.backup(db, key);
  await db.exec('INSERT INTO t VALUES (2)');
  const pending = await keys.inspectBackup(db, bytes, key);
  const { safetyBackup } = await pending.confirm(key);
  return { storage, db, safety: safetyBackup };
}

describe('readBackup', () => {
  it('returns the stored bytes of an automatic backup, which open as the pre-restore data', async () => {
    const { storage, db, safety } = await withSafetyBackup();
    try {
      const bytes = await readBackup(storage, 'shop', safety);
      expect(bytes).toEqual(storage.files.get(safety)!.bytes());
      const pending = await keys.inspectBackup(db, bytes, key);
      expect(pending.comparison.tables).toEqual([{ name: 't', currentRows: 1, backupRows: 2 }]);
      await pending.cancel();
    } finally {
      await db.close();
    }
  });

  it('refuses every other file: the live database, its journal, another database, look-alike names', async () => {
    const { storage, db, safety } = await withSafetyBackup();
    try {
      storage.open('shop.bak-not-a-time', { create: true }).write(new Uint8Array([1]), { at: 0 });
      storage.open('other.db', { create: true }).write(new Uint8Array([1]), { at: 0 });
      for (const name of ['shop', 'shop-journal', 'other.db', 'shop.bak-not-a-time', `../${safety}`, safety.replace('shop', 'other'), '']) {
        await expect(readBackup(storage, 'shop', name), name).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      // Another database's backups are not this database's.
      await expect(readBackup(storage, 'other.db', safety)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await db.close();
    }
  });
});
