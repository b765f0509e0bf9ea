/**
 * A hot journal cut short, or put back from an earlier moment, is never played back (issue cases
 * of docs/SECURITY-TESTS.md "Side files"; the class generator, side-file-classes.test.ts, covers
 * every cut, stale version and field): a crash in the middle of committing a 2,000-row UPDATE,
 * then the journal cut at a slot boundary or down to its header and rescue area, or an earlier
 * journal of the same database written back after a later commit → CORRUPT naming the journal,
 * with no byte of storage written or deleted.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format, type JournalMode } from '../src/index.js';
import { expectCode, expectSameFiles, KEY } from './helpers.js';

type Files = Map<string, Uint8Array>;
const NAME = 's.db';
const JOURNAL = `${NAME}-journal`;
const S = format.slotSize(format.DEFAULT_BLOCK_SIZE);

/** Setup, then every storage state of a 2,000-row UPDATE (one per mutation), then a later commit. */
async function history(journalMode: JournalMode): Promise<{ during: Files[]; later: Files; open: (s: MemoryStorage) => Promise<Database> }> {
  const open = (s: MemoryStorage) => Database.open({ storage: s, name: NAME, key: KEY, journalMode, cacheSizeKiB: 64 });
  const storage = new MemoryStorage();
  const db = await open(storage);
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO t SELECT x, printf('%0100d', x) FROM c");
  const during: Files[] = [];
  storage.onMutate = () => during.push(storage.snapshot());
  await db.exec("UPDATE t SET v = 'updated-' || v");
  storage.onMutate = null;
  await db.exec("UPDATE t SET v = 'later-' || id");
  await db.close();
  return { during, later: storage.snapshot(), open };
}

/** The storage state right after the UPDATE's last write to the database file: its journal is hot, the database holds the new pages. */
function biggestHot(during: Files[]): Files {
  let last = 0;
  // The database file's pages, past its header copies (the header also changes at the commit point: the journal binding).
  const body = (f: Files) => f.get(NAME)!.subarray(format.MAIN_HEADER_SIZE);
  for (let i = 1; i < during.length; i++) if (Buffer.compare(body(during[i]!), body(during[i - 1]!)) !== 0) last = i;
  expect(during[last]!.get(JOURNAL)?.length ?? 0).toBeGreaterThan(20 * S);
  return during[last]!;
}

async function expectRefused(open: (s: MemoryStorage) => Promise<Database>, files: Files, pattern: RegExp): Promise<void> {
  const storage = MemoryStorage.from(files);
  const e = await expectCode(open(storage), 'CORRUPT');
  expect(e.details.fileKind).toBe('journal');
  expect(e.message).toMatch(pattern);
  expectSameFiles(storage.snapshot(), files);
}

describe('hot journal cut short or put back', () => {
  for (const mode of ['DELETE', 'TRUNCATE', 'PERSIST'] as JournalMode[]) {
    it(`${mode}: cut at a slot boundary, or to its header and rescue area only → CORRUPT naming the journal, nothing written`, async () => {
      const { during, open } = await history(mode);
      const hot = biggestHot(during);
      const journal = hot.get(JOURNAL)!;
      const first = format.auxSlotsOffset(format.DEFAULT_BLOCK_SIZE);
      const slots = Math.floor((journal.length - first) / S);
      expect(slots).toBeGreaterThan(20);
      for (const length of [first + (slots >> 1) * S, first + 2 * S, first]) {
        await expectRefused(open, new Map(hot).set(JOURNAL, journal.slice(0, length)), /cut short/);
      }
    });

    it(`${mode}: a journal copied in the middle of the UPDATE and written back after a later commit → CORRUPT, nothing written`, async () => {
      const { during, later, open } = await history(mode);
      const stale = biggestHot(during).get(JOURNAL)!;
      await expectRefused(open, new Map(later).set(JOURNAL, stale), /stale/);
    });
  }
});
