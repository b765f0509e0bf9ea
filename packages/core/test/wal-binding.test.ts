/**
 * A WAL is bound to the database file it was checkpointed into (format/wal-binding.ts,
 * vfs/wal-guard.ts): an older copy of the WAL put back after a checkpoint — the same generation
 * cut below the frames already checkpointed, or an earlier generation after a restart — and a WAL
 * deleted or cut within its header while the database holds frames from it, fail CORRUPT naming
 * the WAL, with no byte of storage written or deleted. Cases of docs/SECURITY-TESTS.md rows 51-55.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { internals } from '../src/internal.js';
import { verify } from '../src/keys/index.js';
import { expectSameFiles, KEY } from './helpers.js';

type Files = Map<string, Uint8Array>;
const NAME = 'w.db';
const WAL = `${NAME}-wal`;
const open = (s: MemoryStorage) => Database.open({ storage: s, name: NAME, key: KEY, journalMode: 'WAL' });

/** Rows 1..50 updated (tx 1), then every row (tx 2), each committed into the WAL; storage snapshots around them. */
async function history(): Promise<{ afterTx1: Files; afterCheckpoint: Files; afterRestart: Files; afterSecondCheckpoint: Files }> {
  const storage = new MemoryStorage();
  const db = await open(storage);
  await db.exec('PRAGMA wal_autocheckpoint = 0');
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400) INSERT INTO t SELECT x, printf('%0200d', x) FROM c");
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.exec("UPDATE t SET v = 'one-' || id WHERE id <= 50");
  const afterTx1 = storage.snapshot();
  await db.exec("UPDATE t SET v = 'two-' || id");
  await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  const afterCheckpoint = storage.snapshot();
  await db.exec("UPDATE t SET v = 'three-' || id WHERE id > 350"); // restarts the WAL: new salts
  const afterRestart = storage.snapshot();
  await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  const afterSecondCheckpoint = storage.snapshot();
  // Keep the connection's files as they are: the snapshots are what a crash would leave.
  await db.close();
  return { afterTx1, afterCheckpoint, afterRestart, afterSecondCheckpoint };
}

async function expectWalCorrupt(files: Files, pattern: RegExp): Promise<void> {
  const storage = MemoryStorage.from(files);
  const before = storage.snapshot();
  const err = await open(storage).then(
    async (db) => {
      const rows = await db.get<{ n: number }>("SELECT count(*) AS n FROM t WHERE v LIKE 'one-%'");
      await db.close();
      return new Error(`opened (rows still at tx 1: ${rows?.n ?? '?'})`);
    },
    (e: unknown) => e,
  );
  expect((err as { code?: string }).code, String(err)).toBe('CORRUPT');
  expect((err as { details?: { fileKind?: string } }).details?.fileKind).toBe('wal');
  expect((err as Error).message).toMatch(pattern);
  expectSameFiles(storage.snapshot(), before, 'nothing written or deleted');
}

function withWal(files: Files, wal: Uint8Array | undefined): Files {
  const out = new Map(files);
  if (wal === undefined) out.delete(WAL);
  else out.set(WAL, wal);
  return out;
}

describe('WAL bound to the database file', () => {
  const h = history();

  it('the genuine WAL at each moment opens to its last committed state', async () => {
    const { afterCheckpoint, afterRestart, afterSecondCheckpoint } = await h;
    for (const [files, one, three] of [
      [afterCheckpoint, 0, 0],
      [afterRestart, 0, 50],
      [afterSecondCheckpoint, 0, 50],
    ] as const) {
      const db = await open(MemoryStorage.from(files));
      const r = await db.get<{ one: number; three: number; bad: string }>(
        "SELECT sum(v LIKE 'one-%') AS one, sum(v LIKE 'three-%') AS three, (SELECT integrity_check FROM pragma_integrity_check) AS bad FROM t",
      );
      await db.close();
      expect(r).toEqual({ one, three, bad: 'ok' });
    }
  });

  it('an older copy of the same generation put back after a checkpoint is refused', async () => {
    const { afterTx1, afterCheckpoint } = await h;
    await expectWalCorrupt(withWal(afterCheckpoint, afterTx1.get(WAL)), /stale or cut/);
  });

  it('an earlier generation put back after a restart and a checkpoint is refused', async () => {
    const { afterCheckpoint, afterSecondCheckpoint, afterTx1 } = await h;
    await expectWalCorrupt(withWal(afterSecondCheckpoint, afterCheckpoint.get(WAL)), /stale/);
    await expectWalCorrupt(withWal(afterSecondCheckpoint, afterTx1.get(WAL)), /stale/);
  });

  it('a WAL deleted or cut within its header while the database holds frames from it is refused', async () => {
    const { afterCheckpoint } = await h;
    await expectWalCorrupt(withWal(afterCheckpoint, undefined), /missing or cut/);
    const wal = afterCheckpoint.get(WAL)!;
    for (const length of [0, format.AUX_HEADER_SIZE >> 1, format.AUX_PREFIX_SIZE]) await expectWalCorrupt(withWal(afterCheckpoint, wal.slice(0, length)), /missing or cut|cut short/);
  });
});

describe('a WAL put back after the database left WAL mode', () => {
  it('is refused once the database file was written in rollback-journal mode', async () => {
    const storage = new MemoryStorage();
    const db = await open(storage);
    await db.exec('PRAGMA wal_autocheckpoint = 0');
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) INSERT INTO t SELECT x, printf('%0200d', x) FROM c");
    await db.exec("UPDATE t SET v = 'one-' || id");
    const wal = storage.snapshot().get(WAL)!;
    await db.exec('PRAGMA journal_mode = DELETE'); // checkpoints and deletes the WAL
    await db.exec("UPDATE t SET v = 'two-' || id");
    await db.close();
    await expectWalCorrupt(withWal(storage.snapshot(), wal), /stale/);
  });
});

describe('verify() and a WAL the next open would refuse', () => {
  it('a stale WAL written under an open database is reported as a WAL failure, not ok', async () => {
    const storage = new MemoryStorage();
    const db = await open(storage);
    await db.exec('PRAGMA wal_autocheckpoint = 0');
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200) INSERT INTO t SELECT x, printf('%0200d', x) FROM c");
    const stale = storage.snapshot().get(WAL)!;
    await db.exec("UPDATE t SET v = 'two-' || id");
    await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    expect(await verify(db)).toMatchObject({ ok: true, failures: [] });
    const raw = storage.open(WAL, { create: false });
    raw.truncate(0);
    raw.write(stale, { at: 0 });
    raw.close();
    const r = await verify(db);
    expect(r.ok).toBe(false);
    expect(r.failures).toContainEqual({ file: 'wal', block: -1 });
    await db.close();
  });
});

describe('cost of the WAL binding', () => {
  it('no header write per commit; one per checkpoint and one per restart', async () => {
    const storage = new MemoryStorage();
    const db = await open(storage);
    await db.exec('PRAGMA wal_autocheckpoint = 0');
    await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    const sequence = () => internals(db).container.header.sequence;
    const epochs = () => internals(db).container.epochInfo.nextEpoch;
    const at = (): number => sequence() - epochs(); // header writes other than key-epoch reservations
    const start = at();
    for (let i = 0; i < 40; i++) await db.exec('INSERT INTO t(v) VALUES (?)', [`row ${i}`]);
    expect(at() - start).toBe(1); // the restart at the first commit after the checkpoint; none per commit
    await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    expect(at() - start).toBe(2); // the checkpoint
    await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    expect(at() - start).toBe(2); // nothing new to checkpoint
    await db.close();
  });
});
