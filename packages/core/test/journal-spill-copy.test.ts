/**
 * An earlier copy of the same hot journal (docs/FORMAT.md "Journal binding", sealed length;
 * docs/SECURITY-TESTS.md "Side files"). A transaction larger than the page cache spills: SQLite
 * syncs the journal (the VFS seals it), writes some database pages, appends more journal records,
 * syncs again, writes more pages. A copy of the journal taken at an earlier seal and put back after
 * a crash of that transaction is authentic and accepted by its own seal, but lacks the pre-images
 * of the pages written after later seals: played back, those pages stay — a state that never
 * existed. The header's `open J, n` records the sealed length n the database file was last written
 * under, so such a copy is refused with CORRUPT naming the journal, nothing written or deleted.
 *
 * And the cost: a transaction that does not spill writes the header twice (open, closed), as before;
 * and a header of the 20-byte layout (`open J`, no sealed length) still recovers a genuine crash.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format, type JournalMode } from '../src/index.js';
import { openKeyslots } from '../src/container/keyslots.js';
import { deriveHeaderMacKey } from '../src/crypto/subkeys.js';
import { decodeMainHeaderCopy, encodeMainHeader } from '../src/format/main-header.js';
import { KEY } from './helpers.js';

type Files = Map<string, Uint8Array>;
const NAME = 's.db';
const JOURNAL = `${NAME}-journal`;
const MODES: JournalMode[] = ['DELETE', 'TRUNCATE', 'PERSIST'];

const open = (s: MemoryStorage, journalMode: JournalMode) => Database.open({ storage: s, name: NAME, key: KEY, journalMode });
const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const headerOf = (f: Files) => f.get(NAME)!.subarray(0, format.MAIN_HEADER_SIZE);
const bodyOf = (f: Files) => f.get(NAME)!.subarray(format.MAIN_HEADER_SIZE);
const sealArea = (j: Uint8Array) => j.subarray(format.SEAL_OFFSET, format.SEAL_OFFSET + format.SEAL_COPIES * format.SEAL_RECORD_SIZE);

async function contentHash(db: Database): Promise<string> {
  const rows = await db.query('SELECT * FROM t ORDER BY id');
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
}

interface Spill {
  before: string;
  after: string;
  /** Storage after every mutation of the UPDATE. */
  moments: Files[];
  /** Header writes during the UPDATE. */
  headerWrites: number;
  /** Seal writes of the journal during the UPDATE (its seal area changed). */
  seals: number;
}

/** A multi-page UPDATE with a two-page cache: SQLite spills (seal, pages, more records, seal, pages). */
async function spill(journalMode: JournalMode): Promise<Spill> {
  const storage = new MemoryStorage();
  const db = await open(storage, journalMode);
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 160) INSERT INTO t SELECT x, printf('%0300d', x) FROM c");
  await db.exec('PRAGMA cache_size = 2');
  const before = await contentHash(db);
  const moments: Files[] = [];
  storage.onMutate = () => moments.push(storage.snapshot());
  await db.exec("UPDATE t SET v = 'spilled-' || id || substr(v, 1, 250)");
  storage.onMutate = null;
  const after = await contentHash(db);
  await db.close();
  let headerWrites = 0;
  let seals = 0;
  for (let i = 1; i < moments.length; i++) {
    if (Buffer.compare(headerOf(moments[i]!), headerOf(moments[i - 1]!)) !== 0) headerWrites++;
    const j = moments[i]!.get(JOURNAL);
    const prev = moments[i - 1]!.get(JOURNAL);
    if (j && j.length >= format.AUX_PREFIX_SIZE && (!prev || prev.length < format.AUX_PREFIX_SIZE || Buffer.compare(sealArea(j), sealArea(prev)) !== 0)) seals++;
  }
  return { before, after, moments, headerWrites, seals };
}

/** Opens `files`: the content hash, or `CORRUPT <fileKind>` once no stored byte changed. */
async function outcome(files: Files, journalMode: JournalMode): Promise<string> {
  const storage = MemoryStorage.from(files);
  let db: Database;
  try {
    db = await open(storage, journalMode);
  } catch (e) {
    const err = e as { code?: string; details?: { fileKind?: string }; message?: string };
    if (err.code !== 'CORRUPT') throw new Error(`expected CORRUPT or a state that existed, got ${err.code ?? ''}: ${err.message ?? String(e)}`);
    const now = storage.snapshot();
    const changed = [...new Set([...files.keys(), ...now.keys()])].filter((n) => !files.has(n) || !now.has(n) || Buffer.compare(files.get(n)!, now.get(n)!) !== 0);
    if (changed.length > 0) throw new Error(`CORRUPT (${err.message ?? ''}) but storage changed: ${changed.join(', ')}`);
    return `CORRUPT ${err.details?.fileKind ?? '?'}`;
  }
  try {
    const check = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    return check?.integrity_check === 'ok' ? await contentHash(db) : `integrity: ${check?.integrity_check ?? ''}`;
  } finally {
    await db.close();
  }
}

describe('an earlier copy of the same hot journal', () => {
  for (const mode of MODES) {
    it(`${mode}: a journal copied at each seal of a spilling UPDATE, put back after a crash at each later storage write → the old state, the new one, or CORRUPT naming the journal, nothing written`, async () => {
      const h = await spill(mode);
      // The journal right after each of its seals (the seal area changed), with the moment it was taken.
      const sealed: { at: number; bytes: Uint8Array }[] = [];
      for (let i = 0; i < h.moments.length; i++) {
        const j = h.moments[i]!.get(JOURNAL);
        const prev = i > 0 ? h.moments[i - 1]!.get(JOURNAL) : undefined;
        if (!j || j.length <= format.auxSlotsOffset(format.DEFAULT_BLOCK_SIZE)) continue;
        if (prev && prev.length >= format.AUX_PREFIX_SIZE && Buffer.compare(sealArea(j), sealArea(prev)) === 0) continue;
        sealed.push({ at: i, bytes: j });
      }
      // Crash moments: every storage write after which the database file differs (the journal is
      // replaced by the copy, so moments that changed only the journal are the same case).
      const crashes: number[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < h.moments.length; i++) {
        const key = hash(h.moments[i]!.get(NAME)!);
        if (!seen.has(key)) crashes.push(i);
        seen.add(key);
      }
      const dbWritesAfter = (at: number) => crashes.filter((c) => c > at && Buffer.compare(bodyOf(h.moments[c]!), bodyOf(h.moments[at]!)) !== 0).length;
      // The history must spill: several seals, each followed by database writes.
      expect(sealed.filter((s) => dbWritesAfter(s.at) > 0).length, 'seals followed by database writes').toBeGreaterThan(2);

      const failures: string[] = [];
      // The crash alone (the journal as it was at that write) is never refused: the old state or the new one.
      for (const c of crashes) {
        const r = await outcome(h.moments[c]!, mode).catch((e: unknown) => (e as Error).message);
        if (r !== h.before && r !== h.after) failures.push(`crash at write ${c}, journal as it was: ${r}`);
      }
      let refused = 0;
      let cases = 0;
      for (const [k, copy] of sealed.entries()) {
        for (const c of crashes) {
          if (c <= copy.at) continue;
          cases++;
          const label = `copy at seal ${k} (write ${copy.at}) put back after a crash at write ${c}`;
          try {
            const r = await outcome(new Map(h.moments[c]).set(JOURNAL, copy.bytes), mode);
            if (r === 'CORRUPT journal') refused++;
            else if (r !== h.before && r !== h.after) failures.push(`${label}: ${r.startsWith('CORRUPT') ? `${r}, not naming the journal` : `a state that never existed (${r})`}`);
          } catch (e) {
            failures.push(`${label}: ${(e as Error).message}`);
          }
        }
      }
      expect(cases).toBeGreaterThan(20);
      expect(failures).toEqual([]);
      expect(refused).toBeGreaterThan(0);
    });
  }

  it('cost: a transaction that does not spill writes the main header twice (open, closed); a spilling one once more per spill round only', async () => {
    for (const mode of MODES) {
      const storage = new MemoryStorage();
      const db = await open(storage, mode);
      await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 160) INSERT INTO t SELECT x, printf('%0300d', x) FROM c");
      for (const sql of ["UPDATE t SET v = 'one' WHERE id = 7", "UPDATE t SET v = 'all-' || id || substr(v, 1, 250)"]) {
        let last = storage.snapshot();
        let headerWrites = 0;
        storage.onMutate = () => {
          const now = storage.snapshot();
          if (Buffer.compare(headerOf(now), headerOf(last)) !== 0) headerWrites++;
          last = now;
        };
        await db.exec(sql);
        storage.onMutate = null;
        // Default cache: neither statement spills; the whole UPDATE fits the cache.
        expect(headerWrites, `${mode} ${sql}`).toBe(2);
      }
      await db.close();
      const h = await spill(mode);
      // Spilling: open, closed, and at most one per later seal of the journal.
      expect(h.headerWrites, `${mode} spilling UPDATE`).toBeGreaterThan(2);
      expect(h.headerWrites, `${mode} spilling UPDATE`).toBeLessThanOrEqual(2 + h.seals);
    }
  });

  it('a header of the 20-byte layout (open J, no sealed length) next to a genuine hot journal of a spilled transaction is played back (the old state), with no sealed-length check', async () => {
    const h = await spill('DELETE');
    // The last crash moment whose header says `open` with a recorded sealed length, the journal still hot.
    const copyAt = (f: Files, i: number) => f.get(NAME)!.slice(i * format.MAIN_HEADER_COPY_SIZE, (i + 1) * format.MAIN_HEADER_COPY_SIZE);
    const inForce = (f: Files) => {
      const copies = [0, 1].map((i) => ({ i, r: decodeMainHeaderCopy(copyAt(f, i)) }));
      const ok = copies.flatMap(({ i, r }) => (r.ok ? [{ i, header: r.header }] : []));
      return ok.reduce((a, b) => (b.header.sequence > a.header.sequence ? b : a));
    };
    let at = -1;
    for (const [k, f] of h.moments.entries()) {
      const j = inForce(f).header.journal;
      if (j?.state === 'open' && j.sealed > 0 && (f.get(JOURNAL)?.length ?? 0) > format.auxSlotsOffset(format.DEFAULT_BLOCK_SIZE)) at = k;
    }
    expect(at).toBeGreaterThan(0);
    const files = new Map(h.moments[at]);
    const { i, header } = inForce(files);
    expect(await outcome(files, 'DELETE')).toBe(h.before);
    // Rewrite the copy in force as a build of the 20-byte layout wrote it: bytes 20..28 of the field zero.
    const unwrapped = await openKeyslots(header.keyslots, header.fileId, { kind: 'raw', bytes: KEY.slice() });
    const journal = header.journal!;
    if (journal.state !== 'open') throw new Error('expected open');
    const old = encodeMainHeader({ ...header, journal: { ...journal, sealed: 0 } }, deriveHeaderMacKey(unwrapped!.dek, header.fileId));
    expect(Buffer.compare(old.subarray(format.HDR_JOURNAL_BINDING + format.JOURNAL_BINDING_SEALED_OFFSET, format.HDR_JOURNAL_BINDING + format.JOURNAL_BINDING_SIZE), Buffer.alloc(8))).toBe(0);
    const main = files.get(NAME)!.slice();
    main.set(old, i * format.MAIN_HEADER_COPY_SIZE);
    files.set(NAME, main);
    expect(await outcome(files, 'DELETE')).toBe(h.before);
    // The rewritten copy is the one used, and it records no length: the journal's first sealed
    // copy (refused under the recorded length) is no longer refused by it — as before the field grew.
    const first = h.moments.find((f) => (f.get(JOURNAL)?.length ?? 0) > format.auxSlotsOffset(format.DEFAULT_BLOCK_SIZE))!.get(JOURNAL)!;
    expect(await outcome(new Map(h.moments[at]).set(JOURNAL, first), 'DELETE')).toBe('CORRUPT journal');
    expect(await outcome(new Map(files).set(JOURNAL, first), 'DELETE')).not.toMatch(/^CORRUPT/);
  });
});
