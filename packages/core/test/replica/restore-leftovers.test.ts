/**
 * A restore that refuses leaves nothing behind and touches nothing that was there (in-process
 * object store: no bucket needed). Two ways it used to fail that: a replica of an empty database
 * (no pages: the restore writes the header itself, without importPlaintext's checks) next to a
 * stray `~new`, `~replace`, `-journal` or `-wal` — the stray file was deleted, or an 8 KiB
 * header-only database stayed; and a `newSecret` refused after the pages were restored — the
 * database stayed, open, so a second try found it "already exists" and opening it was BUSY.
 */
import { beforeAll, expect, it } from 'vitest';
import { Database, MemoryStorage } from '../../src/index.js';
import { MemoryObjectStore, restoreFromReplica, startReplica } from '../../src/replica/index.js';
import { expectCode, expectSameFiles, FAST_KDF, KEY } from '../helpers.js';

const stores = { empty: new MemoryObjectStore(), rows: new MemoryObjectStore() };

beforeAll(async () => {
  for (const [kind, store] of Object.entries(stores)) {
    const db = await Database.open({ storage: new MemoryStorage(), name: 'o.db', key: KEY });
    if (kind === 'rows') await db.exec("CREATE TABLE t(v); INSERT INTO t VALUES ('restored')");
    const replica = startReplica(db, { store, prefix: 'p', debounceMs: 1 });
    await replica.pushNow();
    await replica.stop();
    await db.close();
  }
});

const replicaOf = (kind: keyof typeof stores) => ({ store: stores[kind], prefix: 'p' });

async function rowsOf(db: Database): Promise<unknown> {
  return (await db.query("SELECT name FROM sqlite_schema WHERE type = 'table'")).length ? db.query('SELECT v FROM t') : [];
}

it('a stray ~new, ~replace, -journal or -wal next to the target: INVALID_ARGUMENT, nothing created, nothing touched', async () => {
  for (const kind of ['empty', 'rows'] as const) {
    for (const stray of ['r.db~new', 'r.db~replace', 'r.db-journal', 'r.db-wal']) {
      const storage = new MemoryStorage();
      const f = storage.open(stray, { create: true });
      f.write(new Uint8Array(9000).fill(3), { at: 0 });
      f.close();
      const before = storage.snapshot();
      const e = await expectCode(restoreFromReplica({ storage, name: 'r.db', replica: replicaOf(kind), key: KEY }), 'INVALID_ARGUMENT');
      expect(e.message, `${kind}, ${stray}`).toContain(stray);
      expectSameFiles(storage.snapshot(), before, `${kind}, ${stray}`);
    }
  }
});

it('a newSecret refused (ill-formed Unicode early; out-of-range Argon2id once restored): nothing left, the next try restores', async () => {
  for (const kind of ['empty', 'rows'] as const) {
    const storage = new MemoryStorage();
    for (const password of ['\ud800', '\udbff', 'a\udc00b']) {
      await expectCode(restoreFromReplica({ storage, name: 'r.db', replica: replicaOf(kind), key: KEY, newSecret: { password } }), 'INVALID_ARGUMENT');
      expect(storage.list(), `${kind}: ${JSON.stringify(password)}`).toEqual([]);
    }
    await expectCode(restoreFromReplica({ storage, name: 'r.db', replica: replicaOf(kind), key: KEY, newSecret: { password: 'new one' }, kdf: { memoryKiB: 1024 } }), 'INVALID_ARGUMENT');
    expect(storage.list(), `${kind}: kdf`).toEqual([]);
    const db = await restoreFromReplica({ storage, name: 'r.db', replica: replicaOf(kind), key: KEY, newSecret: { password: 'new one' }, kdf: FAST_KDF });
    const expected = await rowsOf(db);
    await db.close();
    const again = await Database.open({ storage, name: 'r.db', password: 'new one', create: false });
    expect(await rowsOf(again)).toEqual(expected);
    expect(expected, kind).toEqual(kind === 'rows' ? [{ v: 'restored' }] : []);
    await again.close();
  }
});
