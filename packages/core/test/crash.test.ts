/**
 * Crash safety (docs/SECURITY-TESTS.md #13–16): the process "dies" after any storage mutation — the
 * storage is snapshotted after every write, truncate and delete, and also with the write torn
 * in half — and every snapshot must reopen to exactly the old or the new committed state, with
 * `PRAGMA integrity_check` = ok. Hot-journal recovery runs through the encrypted journal.
 */
import { describe, expect, it } from 'vitest';
import { Database, format, MemoryStorage, type JournalMode } from '../src/index.js';
import { expectCode, expectSameFiles, KEY } from './helpers.js';

type Snapshot = Map<string, Uint8Array>;

async function state(db: Database): Promise<string> {
  const tables = await db.query<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await db.query(`SELECT * FROM "${name}" ORDER BY rowid`);
    parts.push(`${name}:${JSON.stringify(rows)}`);
  }
  return parts.join('|');
}

/** Runs `work` once, recording a snapshot after each mutation plus a torn variant of each write. */
async function recordCrashPoints(storage: MemoryStorage, open: (s: MemoryStorage) => Promise<Database>, work: (db: Database) => Promise<void>): Promise<{ snapshots: Snapshot[]; newState: string }> {
  const db = await open(storage);
  const snapshots: Snapshot[] = [];
  let previous = storage.snapshot();
  storage.onWrite = (file, bytes, at) => {
    // Torn write: the state before this write plus the first half of its bytes.
    const torn = new Map(previous);
    const base = previous.get(file.name) ?? new Uint8Array(0);
    const half = bytes.subarray(0, Math.max(1, bytes.length >> 1));
    const next = new Uint8Array(Math.max(base.length, at + half.length));
    next.set(base);
    next.set(half, at);
    torn.set(file.name, next);
    snapshots.push(torn);
  };
  storage.onMutate = () => {
    previous = storage.snapshot();
    snapshots.push(previous);
  };
  await work(db);
  storage.onWrite = null;
  storage.onMutate = null;
  const newState = await state(db);
  await db.close();
  return { snapshots, newState };
}

async function checkEverySnapshot(snapshots: Snapshot[], open: (s: MemoryStorage) => Promise<Database>, oldState: string, newState: string): Promise<{ old: number; new: number }> {
  const seen = { old: 0, new: 0 };
  for (const [i, snap] of snapshots.entries()) {
    const db = await open(MemoryStorage.from(snap));
    try {
      expect(await db.get('PRAGMA integrity_check'), `snapshot ${i}`).toEqual({ integrity_check: 'ok' });
      const s = await state(db);
      if (s === oldState) seen.old++;
      else if (s === newState) seen.new++;
      else expect.fail(`snapshot ${i}/${snapshots.length} reopened to a mixed state:\n${s.slice(0, 300)}`);
    } finally {
      await db.close();
    }
  }
  return seen;
}

const scenarios: { name: string; setup: string; work: (db: Database) => Promise<void> }[] = [
  {
    name: 'an insert transaction',
    setup: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('seed');",
    work: (db) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < 60; i++) await tx.exec('INSERT INTO t(v) VALUES (?)', [`row-${i}-${'p'.repeat(150)}`]);
      }),
  },
  {
    name: 'an update of many pages',
    setup: `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) INSERT INTO t(v) SELECT printf('%0200d', i) FROM n;`,
    work: (db) => db.exec("UPDATE t SET v = 'updated-' || id || substr(v, 1, 150)").then(() => undefined),
  },
  {
    name: 'a schema change',
    setup: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'), ('b');",
    work: (db) =>
      db.transaction(async (tx) => {
        await tx.exec('ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7');
        await tx.exec('CREATE TABLE u(x PRIMARY KEY, y)');
        await tx.exec('CREATE INDEX tv ON t(v)');
        await tx.exec("INSERT INTO u VALUES ('k', zeroblob(3000))");
        await tx.exec('DROP TABLE t');
      }),
  },
];

describe('crash at every write', () => {
  for (const journalMode of ['WAL', 'TRUNCATE', 'DELETE', 'PERSIST'] as JournalMode[]) {
    for (const sc of scenarios) {
      it(`${sc.name} (journal_mode=${journalMode}) reopens to the old or the new state`, async () => {
        // A small page cache forces mid-transaction cache spills (multi-segment journals).
        const open = (s: MemoryStorage) => Database.open({ storage: s, name: 'c.db', key: KEY, journalMode, cacheSizeKiB: 64 });
        const storage = new MemoryStorage();
        const first = await open(storage);
        await first.exec(sc.setup);
        const oldState = await state(first);
        await first.close();
        const { snapshots, newState } = await recordCrashPoints(storage, open, sc.work);
        expect(newState).not.toBe(oldState);
        expect(snapshots.length).toBeGreaterThan(5);
        const seen = await checkEverySnapshot(snapshots, open, oldState, newState);
        expect(seen.old).toBeGreaterThan(0);
        expect(seen.new).toBeGreaterThan(0);
      });
    }
  }

  it('recovers through the encrypted hot journal (the database file alone holds a half-written commit)', async () => {
    // The last crash point with a hot journal: the database file already holds most new pages.
    const { snap, oldState, open } = await hotJournalSnapshot();
    const reopened = await open(MemoryStorage.from(snap));
    expect(await state(reopened)).toBe(oldState);
    expect(await reopened.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    await reopened.close();
  });
});

describe('crash at every write with synchronous = NORMAL and OFF: the last transactions may be lost, never mixed', () => {
  // What each level guarantees here (docs/DESIGN.md "Durability levels"): a crash of the process
  // (every completed write reached storage, in order) ends in one of the committed states — with
  // OFF and NORMAL possibly an earlier one than the last (WAL: commits after the last WAL sync).
  // A journal or WAL never reaches storage after the database pages it protects: the VFS seals it
  // before the database file is written, whatever the level (docs/FORMAT.md "Seal records").
  for (const synchronous of ['NORMAL', 'OFF'] as const) {
    for (const journalMode of ['WAL', 'TRUNCATE', 'DELETE', 'PERSIST'] as JournalMode[]) {
      it(`two updates of many pages (journal_mode=${journalMode}, synchronous=${synchronous}) reopen to a committed state`, async () => {
        const open = (s: MemoryStorage) => Database.open({ storage: s, name: 'c.db', key: KEY, journalMode, synchronous, cacheSizeKiB: 64 });
        const storage = new MemoryStorage();
        const first = await open(storage);
        await first.exec(
          `CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO t(v) SELECT printf('%0200d', i) FROM n;`,
        );
        const states = [await state(first)];
        await first.close();
        const { snapshots } = await recordCrashPoints(storage, open, async (db) => {
          for (const round of [1, 2]) {
            await db.exec(`UPDATE t SET v = '${round}-' || id || substr(v, 1, 150)`);
            states.push(await state(db));
            // WAL: a checkpoint writes the database file (the WAL is synced, and sealed, first).
            if (journalMode === 'WAL') await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
          }
        });
        const seen = new Set<number>();
        for (const [i, snap] of snapshots.entries()) {
          const db = await open(MemoryStorage.from(snap));
          try {
            expect(await db.get('PRAGMA integrity_check'), `snapshot ${i}`).toEqual({ integrity_check: 'ok' });
            const k = states.indexOf(await state(db));
            if (k < 0) expect.fail(`snapshot ${i}/${snapshots.length} reopened to a state never committed`);
            seen.add(k);
          } finally {
            await db.close();
          }
        }
        expect(seen.has(0)).toBe(true);
        expect(seen.size).toBeGreaterThan(1);
      });
    }
  }
});

describe('crash at every write through WAL checkpoints, restarts and cuts (the WAL binding in the header)', () => {
  // Every header write of the binding (docs/FORMAT.md "WAL binding") comes before the WAL or the
  // database file depends on it: a crash at any point, torn writes included, reopens.
  it('commits, a passive checkpoint, a restart, a truncating checkpoint and a new WAL reopen to a committed state', async () => {
    const open = (s: MemoryStorage) => Database.open({ storage: s, name: 'c.db', key: KEY, journalMode: 'WAL', cacheSizeKiB: 64 });
    const storage = new MemoryStorage();
    const first = await open(storage);
    await first.exec(scenarios[1]!.setup);
    const states = [await state(first)];
    await first.close();
    const { snapshots } = await recordCrashPoints(storage, open, async (db) => {
      await db.exec('PRAGMA wal_autocheckpoint = 0');
      const steps = [
        "UPDATE t SET v = 'a-' || id WHERE id <= 200",
        'PRAGMA wal_checkpoint(PASSIVE)',
        "UPDATE t SET v = 'b-' || id",
        'PRAGMA wal_checkpoint(TRUNCATE)',
        "UPDATE t SET v = 'c-' || id WHERE id > 100",
      ];
      for (const step of steps) {
        await db.exec(step);
        if (step.startsWith('UPDATE')) states.push(await state(db));
      }
    });
    const seen = new Set<number>();
    for (const [i, snap] of snapshots.entries()) {
      const db = await open(MemoryStorage.from(snap));
      try {
        expect(await db.get('PRAGMA integrity_check'), `snapshot ${i}`).toEqual({ integrity_check: 'ok' });
        const k = states.indexOf(await state(db));
        if (k < 0) expect.fail(`snapshot ${i}/${snapshots.length} reopened to a state never committed`);
        seen.add(k);
      } finally {
        await db.close();
      }
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
});

/** A crash point during a large rollback-journal commit, with a big hot journal on storage. */
async function hotJournalSnapshot(): Promise<{ snap: Snapshot; before: Snapshot; oldState: string; open: (s: MemoryStorage) => Promise<Database> }> {
  const open = (s: MemoryStorage) => Database.open({ storage: s, name: 'j.db', key: KEY, journalMode: 'DELETE', cacheSizeKiB: 64 });
  const storage = new MemoryStorage();
  const db = await open(storage);
  await db.exec(scenarios[1]!.setup);
  const oldState = await state(db);
  await db.close();
  const before = storage.snapshot();
  const { snapshots } = await recordCrashPoints(storage, open, scenarios[1]!.work);
  // The last write of a page (past the header copies) while the journal is hot: after it, the
  // header's journal binding is closed and the journal is spent (docs/FORMAT.md "Journal binding").
  const body = (s: Snapshot) => s.get('j.db')!.subarray(format.MAIN_HEADER_SIZE);
  let last = -1;
  for (let i = 1; i < snapshots.length; i++) {
    if ((snapshots[i]!.get('j.db-journal')?.length ?? 0) > 64 * 1024 && Buffer.compare(body(snapshots[i]!), body(snapshots[i - 1]!)) !== 0) last = i;
  }
  expect(last).toBeGreaterThan(0);
  return { snap: snapshots[last]!, before, oldState, open };
}

describe('damaged journals', () => {
  it('a synced journal cut by half a slot is damage, not a torn tail: CORRUPT naming the journal, nothing written', async () => {
    // Only growth after the journal's last seal may be lost in a crash (docs/FORMAT.md "Seal
    // records"); this journal was sealed whole before the database file was written.
    const { snap, open } = await hotJournalSnapshot();
    const journal = snap.get('j.db-journal')!;
    const torn = new Map(snap);
    torn.set('j.db-journal', journal.slice(0, journal.length - Math.floor(format.slotSize(4096) / 2)));
    const storage = MemoryStorage.from(torn);
    const e = await expectCode(open(storage), 'CORRUPT');
    expect(e.details.fileKind).toBe('journal');
    expect(e.message).toMatch(/cut short/);
    expectSameFiles(storage.snapshot(), torn);
  });

  // Every field of the 64-byte journal header (format/aux-header.ts) is covered by its MAC.
  const HEADER_FIELDS = { magic: 0, version: 9, kind: 10, cipher: 11, 'block size': 14, 'file id': 20, 'main file id': 40, MAC: 50 };
  let hot: ReturnType<typeof hotJournalSnapshot> | null = null;
  for (const [field, offset] of Object.entries(HEADER_FIELDS)) {
    it(`a hot journal whose header ${field} is damaged fails closed with CORRUPT and changes no byte; repaired, it rolls back`, async () => {
      const { snap, oldState, open } = await (hot ??= hotJournalSnapshot());
      const journal = snap.get('j.db-journal')!;
      const bad = journal.slice();
      bad[offset]! ^= 0x01;
      const storage = MemoryStorage.from(new Map(snap).set('j.db-journal', bad));
      const before = storage.snapshot();
      const e = await expectCode(open(storage), 'CORRUPT');
      expect(e.details.fileKind).toBe('journal');
      expect(e.message).toMatch(/journal/);
      expectSameFiles(storage.snapshot(), before); // journal and database untouched, evidence kept
      storage.files.get('j.db-journal')!.write(journal.subarray(offset, offset + 1), { at: offset });
      const db = await open(storage);
      expect(await state(db)).toBe(oldState);
      await db.close();
    });
  }

  it('a journal that is only a torn header (no body) holds nothing when no transaction is in flight; next to a half-written database it is CORRUPT, nothing written', async () => {
    const { snap, before, oldState, open } = await (hot ??= hotJournalSnapshot());
    for (const length of [0, 10, 63, 64]) {
      const torn = snap.get('j.db-journal')!.slice(0, length);
      if (length === 64) torn[60]! ^= 0xff;
      // A creation torn before the transaction's first database write: the header's journal
      // binding is closed, so the journal holds nothing and the database opens as it was.
      const quiet = await open(MemoryStorage.from(new Map(before).set('j.db-journal', torn)));
      expect(await state(quiet), `length ${length}`).toBe(oldState);
      await quiet.close();
      // The same next to the half-written database (binding open): the journal SQLite needs is gone.
      const files = new Map(snap).set('j.db-journal', torn);
      const storage = MemoryStorage.from(files);
      const e = await expectCode(open(storage), 'CORRUPT');
      expect(e.details.fileKind, `length ${length}`).toBe('journal');
      expectSameFiles(storage.snapshot(), files);
    }
  });

  it('a WAL whose header is damaged fails closed with CORRUPT and changes no byte', async () => {
    const open = (s: MemoryStorage) => Database.open({ storage: s, name: 'w.db', key: KEY, journalMode: 'WAL' });
    const storage = new MemoryStorage();
    const db = await open(storage);
    await db.exec('CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)');
    const snap = storage.snapshot(); // the process "dies" here: the WAL holds the commits
    await db.close();
    const wal = snap.get('w.db-wal')!;
    expect(wal.length).toBeGreaterThan(4096);
    const bad = wal.slice();
    bad[20]! ^= 0x01;
    const damaged = MemoryStorage.from(new Map(snap).set('w.db-wal', bad));
    const before = damaged.snapshot();
    const e = await expectCode(open(damaged), 'CORRUPT');
    expect(e.details.fileKind).toBe('wal');
    expectSameFiles(damaged.snapshot(), before);
    const good = await open(MemoryStorage.from(snap));
    expect(await good.get('SELECT count(*) AS n FROM t')).toEqual({ n: 2 });
    await good.close();
  });

  it('a corrupted interior journal block fails closed with CORRUPT, keeps the files, and restoring the block lets recovery succeed', async () => {
    const { snap, oldState, open } = await hotJournalSnapshot();
    const journal = snap.get('j.db-journal')!;
    const slot = 4096 + 36;
    const firstSlot = format.auxSlotsOffset(4096); // journal header, seal records, rescue area (docs/FORMAT.md)
    const offset = firstSlot + 2 * slot + 100; // inside block 2 (an interior block)
    expect(journal.length).toBeGreaterThan(64 + 4 * slot);
    const damaged = new Map(snap);
    const bad = journal.slice();
    bad[offset]! ^= 0x01;
    damaged.set('j.db-journal', bad);
    const storage = MemoryStorage.from(damaged);
    const e = await expectCode(open(storage), 'CORRUPT');
    expect(e.details.fileKind).toBe('journal');
    expect(storage.files.get('j.db-journal')!.bytes()).toEqual(bad); // kept, not deleted
    expect(storage.files.get('j.db')!.bytes()).toEqual(snap.get('j.db'));
    storage.files.get('j.db-journal')!.write(journal.subarray(offset, offset + 1), { at: offset });
    const db = await open(storage);
    expect(await state(db)).toBe(oldState);
    expect(await db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
    await db.close();
  });
});
