/**
 * Database.open loads SQLite and unlocks the container at the same time: the KDF (the longest
 * step) must not wait for SQLite's WebAssembly. Its own file, so that SQLite is not loaded yet
 * when the first test starts (vitest gives each test file a fresh module graph).
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, type SyncStorage } from '../src/index.js';
import { loadedSqlite } from '../src/sqlite/loader.js';
import { FAST_KDF } from './keys-helpers.js';

/** A MemoryStorage that notes, for each file preparation, the names and whether SQLite had loaded. */
class WatchedStorage extends MemoryStorage implements SyncStorage {
  prepared: { names: string[]; sqliteLoaded: boolean }[] = [];
  async prepare(names: readonly string[]): Promise<void> {
    this.prepared.push({ names: [...names], sqliteLoaded: loadedSqlite() !== null });
  }
}

describe('Database.open: SQLite loads while the container is unlocked', () => {
  it('prepares the files and runs the KDF before SQLite has finished loading', async () => {
    expect(loadedSqlite()).toBeNull();
    const storage = new WatchedStorage();
    const db = await Database.open({ storage, name: 'o.db', password: 'correct horse', kdf: FAST_KDF });
    // The main file first (the KDF needs its header), then the journal and WAL (during the KDF).
    expect(storage.prepared).toEqual([
      { names: ['o.db'], sqliteLoaded: false },
      { names: ['o.db-journal', 'o.db-wal'], sqliteLoaded: false },
    ]);
    expect(loadedSqlite()).not.toBeNull();
    await db.exec('CREATE TABLE t(x)');
    await db.exec('INSERT INTO t VALUES (1)');
    await db.close();
    const again = await Database.open({ storage, name: 'o.db', password: 'correct horse', create: false });
    expect(await again.query('SELECT x FROM t')).toEqual([{ x: 1 }]);
    await expect(Database.open({ storage, name: 'o.db', password: 'wrong', create: false })).rejects.toMatchObject({ code: 'BUSY' });
    await again.close();
    await expect(Database.open({ storage, name: 'o.db', password: 'wrong', create: false })).rejects.toMatchObject({ code: 'WRONG_KEY' });
  });

  it('two concurrent opens of one database: one wins, the other gets BUSY after its KDF and the winner is intact', async () => {
    const storage = new MemoryStorage();
    const first = await Database.open({ storage, name: 'c.db', password: 'pw', kdf: FAST_KDF });
    await first.exec('CREATE TABLE t(x); INSERT INTO t VALUES (42)');
    await first.close();
    const results = await Promise.allSettled([Database.open({ storage, name: 'c.db', password: 'pw', create: false }), Database.open({ storage, name: 'c.db', password: 'pw', create: false })]);
    const won = results.filter((r): r is PromiseFulfilledResult<Database> => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: 'BUSY' });
    const db = won[0]!.value;
    expect(await db.query('SELECT x FROM t')).toEqual([{ x: 42 }]);
    await db.exec('INSERT INTO t VALUES (43)');
    await db.close();
    const reopened = await Database.open({ storage, name: 'c.db', password: 'pw', create: false });
    expect(await reopened.query('SELECT x FROM t ORDER BY x')).toEqual([{ x: 42 }, { x: 43 }]);
    await reopened.close();
  });
});
