/**
 * The main header knows a transaction is in flight (docs/FORMAT.md "Journal binding"; the last
 * case of docs/SECURITY-TESTS.md "Side files"): a crash in the middle of committing a multi-page
 * UPDATE, then the hot journal deleted or cut to within its header and seal records — which looks
 * like no journal at all — ends in the state before the transaction or CORRUPT naming the journal,
 * with every stored byte as it was; never in the half-written database file. The journal of a
 * transaction put back after that transaction's commit is spent: the last committed state opens.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format, type JournalMode, type SyncFile, type SyncStorage } from '../src/index.js';
import { decodeMainHeaderCopy, encodeMainHeader, HDR_CHECKSUM } from '../src/format/main-header.js';
import { KEY } from './helpers.js';

type Files = Map<string, Uint8Array>;
const NAME = 'b.db';
const JOURNAL = `${NAME}-journal`;
const MODES: JournalMode[] = ['DELETE', 'TRUNCATE', 'PERSIST'];

interface History {
  before: string;
  after: string;
  /** Storage after every mutation of the UPDATE. */
  during: Files[];
  /** Storage once the UPDATE committed (database still open, nothing else written). */
  committed: Files;
  open: (s: MemoryStorage) => Promise<Database>;
}

async function contentHash(db: Database): Promise<string> {
  const rows = await db.query('SELECT * FROM t ORDER BY id');
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
}

async function history(journalMode: JournalMode, exclusive = false): Promise<History> {
  // A small page cache: SQLite spills pages into the database file before the commit.
  const open = (s: MemoryStorage) => Database.open({ storage: s, name: NAME, key: KEY, journalMode, cacheSizeKiB: 64 });
  const storage = new MemoryStorage();
  const db = await open(storage);
  if (exclusive) await db.exec('PRAGMA locking_mode = EXCLUSIVE');
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 600) INSERT INTO t SELECT x, printf('%0200d', x) FROM c");
  if (exclusive) await db.exec("UPDATE t SET v = 'warm-' || v WHERE id <= 50"); // the journal is reused by the next transaction
  const before = await contentHash(db);
  const during: Files[] = [];
  storage.onMutate = () => during.push(storage.snapshot());
  await db.exec("UPDATE t SET v = 'updated-' || id || substr(v, 1, 150)");
  storage.onMutate = null;
  const after = await contentHash(db);
  const committed = storage.snapshot();
  await db.close();
  return { before, after, during, committed, open };
}

/** One recorded history per journal mode, shared by that mode's tests (none modifies it: every case opens a copy). */
const histories = new Map<JournalMode, Promise<History>>();
function historyOf(mode: JournalMode): Promise<History> {
  let h = histories.get(mode);
  if (h === undefined) histories.set(mode, (h = history(mode)));
  return h;
}

type Outcome = { state: string } | { corrupt: string };

/**
 * SHA-256 of stored bytes, computed once per array: every variant of a crash moment shares the
 * moment's database file bytes (snapshots and `variants` never modify an array they hold).
 */
const digests = new WeakMap<Uint8Array, string>();
function digest(bytes: Uint8Array | 'none'): string {
  if (bytes === 'none') return bytes;
  let d = digests.get(bytes);
  if (d === undefined) digests.set(bytes, (d = createHash('sha256').update(bytes).digest('hex')));
  return d;
}

/** Opens `files`: the content hash, or the CORRUPT error's file kind and message once no stored byte changed. */
async function outcome(h: History, files: Files): Promise<Outcome> {
  const storage = MemoryStorage.from(files);
  let db: Database;
  try {
    db = await h.open(storage);
  } catch (e) {
    const err = e as { code?: string; details?: { fileKind?: string }; message?: string };
    if (err.code !== 'CORRUPT') throw new Error(`expected CORRUPT or a committed state, got ${err.code ?? ''}: ${err.message ?? String(e)}`);
    const after = storage.snapshot();
    const names = [...new Set([...files.keys(), ...after.keys()])];
    const changed = names.filter((n) => !files.has(n) || !after.has(n) || Buffer.compare(files.get(n)!, after.get(n)!) !== 0);
    if (changed.length > 0) throw new Error(`CORRUPT (${err.message ?? ''}) but storage changed: ${changed.join(', ')}`);
    return { corrupt: `${err.details?.fileKind ?? '?'}: ${err.message ?? ''}` };
  }
  try {
    const check = await db.get<{ integrity_check: string }>('PRAGMA integrity_check');
    return { state: check?.integrity_check === 'ok' ? await contentHash(db) : `integrity: ${check?.integrity_check ?? ''}` };
  } finally {
    await db.close();
  }
}

const body = (f: Files) => f.get(NAME)!.subarray(format.MAIN_HEADER_SIZE);

/** True when the database file's pages are neither those before the UPDATE nor those after it. */
function halfWritten(h: History, f: Files): boolean {
  const first = h.during[0]!;
  return Buffer.compare(body(f), body(first)) !== 0 && Buffer.compare(body(f), body(h.committed)) !== 0;
}

/**
 * Where a journal is cut inside its header and seal records: 0, and the first, middle and last
 * byte of every field of the layout (format/constants.ts) — `everyOffset` adds every byte.
 */
function prefixCuts(everyOffset: boolean): number[] {
  if (everyOffset) return Array.from({ length: format.AUX_PREFIX_SIZE + 1 }, (_, i) => i);
  const bounds = [
    0,
    format.AUX_VERSION_OFFSET,
    format.AUX_KIND_OFFSET,
    format.AUX_CIPHER_OFFSET,
    format.AUX_BLOCK_SIZE_OFFSET,
    format.AUX_FILE_ID_OFFSET,
    format.AUX_MAIN_FILE_ID_OFFSET,
    format.AUX_MAC_OFFSET,
  ];
  for (let copy = 0; copy < format.SEAL_COPIES; copy++) {
    for (const at of [format.SEAL_SEQUENCE_OFFSET, format.SEAL_SIZE_OFFSET, format.SEAL_COUNTER_OFFSET, format.SEAL_FLAGS_OFFSET, format.SEAL_MAC_OFFSET])
      bounds.push(format.sealRecordOffset(copy) + at);
  }
  bounds.push(format.AUX_PREFIX_SIZE);
  const cuts = new Set<number>([0]);
  for (let i = 0; i + 1 < bounds.length; i++) for (const at of [bounds[i]!, (bounds[i]! + bounds[i + 1]!) >> 1, bounds[i + 1]! - 1]) cuts.add(at);
  cuts.add(format.AUX_PREFIX_SIZE);
  return [...cuts].sort((a, b) => a - b);
}

/** The journal variants of one crash moment: deleted, and cut at each of `cuts`. */
function variants(f: Files, cuts: number[]): { label: string; files: Files }[] {
  const journal = f.get(JOURNAL);
  const out = [{ label: 'journal deleted', files: new Map([...f].filter(([n]) => n !== JOURNAL)) }];
  if (journal) for (const at of cuts) if (at < journal.length) out.push({ label: `journal cut to ${at} bytes`, files: new Map(f).set(JOURNAL, journal.slice(0, at)) });
  return out;
}

async function sweep(h: History, moments: Files[], cuts: number[]): Promise<{ cases: number; refused: number; failures: string[] }> {
  const failures: string[] = [];
  let cases = 0;
  let refused = 0;
  // Moments that differ only in journal bytes a cut drops give the same storage: opened once.
  const seen = new Set<string>();
  const key = (files: Files) => `${digest(files.get(NAME)!)}:${digest(files.get(JOURNAL) ?? 'none')}`;
  for (const [i, f] of moments.entries()) {
    // Half-written: only the state before the UPDATE (or a refusal) is right. Otherwise the
    // database file holds one of the two states and SQLite's own outcome may be either.
    const allowed = halfWritten(h, f) ? [h.before] : [h.before, h.after];
    for (const v of variants(f, cuts)) {
      const k = key(v.files);
      if (seen.has(k)) continue;
      seen.add(k);
      cases++;
      const label = `moment ${i}/${moments.length}, ${v.label}`;
      let r: Outcome;
      try {
        r = await outcome(h, v.files);
      } catch (e) {
        failures.push(`${label}: ${(e as Error).message}`);
        continue;
      }
      if ('corrupt' in r) {
        refused++;
        if (!r.corrupt.startsWith('journal:')) failures.push(`${label}: CORRUPT does not name the journal: ${r.corrupt}`);
      } else if (!allowed.includes(r.state)) {
        failures.push(`${label}: opened to ${r.state === h.after ? 'the new state' : r.state === h.before ? 'the old state' : `a state never committed (${r.state})`}`);
      }
    }
  }
  return { cases, refused, failures };
}

describe('journal binding: a transaction in flight is known to the database file', () => {
  for (const mode of MODES) {
    it(`${mode}: crash at every storage write of a multi-page UPDATE, journal deleted or cut within its header and seal records → the old state or CORRUPT, nothing written`, async () => {
      const h = await historyOf(mode);
      const half = h.during.filter((f) => halfWritten(h, f));
      expect(half.length, 'moments with a half-written database file').toBeGreaterThan(5);
      const { cases, refused, failures } = await sweep(h, h.during, prefixCuts(false));
      expect(failures).toEqual([]);
      expect(cases).toBeGreaterThan(h.during.length * 3);
      expect(refused).toBeGreaterThan(0);
    });

    it(`${mode}: every cut offset inside the header and seal records of the journal of a half-written database → CORRUPT naming it`, async () => {
      const h = await historyOf(mode);
      const half = h.during.filter((f) => halfWritten(h, f));
      // The first and the last half-written moment: the least and the most of the UPDATE on storage.
      const { failures } = await sweep(h, [half[0]!, half[half.length - 1]!], prefixCuts(true));
      expect(failures).toEqual([]);
    });

    it(`${mode}: the journal put back after its own commit is spent: the last committed state opens`, async () => {
      const h = await historyOf(mode);
      const versions = new Map<string, Uint8Array>();
      for (const f of h.during) {
        const j = f.get(JOURNAL);
        if (j && j.length > format.auxSlotsOffset(format.DEFAULT_BLOCK_SIZE)) versions.set(createHash('sha256').update(j).digest('hex'), j);
      }
      expect(versions.size).toBeGreaterThan(3);
      for (const [i, j] of [...versions.values()].entries()) {
        const r = await outcome(h, new Map(h.committed).set(JOURNAL, j));
        expect(r, `journal version ${i} of ${versions.size}`).toEqual({ state: h.after });
      }
    });
  }

  for (const mode of ['DELETE', 'PERSIST'] as JournalMode[]) {
    it(`${mode} in exclusive locking mode (the journal kept open and reused): every crash moment reopens to the old or new state; deleted journals of a half-written database are refused`, async () => {
      const h = await history(mode, true);
      expect(h.during.filter((f) => halfWritten(h, f)).length).toBeGreaterThan(5);
      for (const [i, f] of h.during.entries()) {
        const r = await outcome(h, f);
        expect([{ state: h.before }, { state: h.after }], `moment ${i}`).toContainEqual(r);
      }
      const { failures, refused } = await sweep(h, h.during, [0]);
      expect(failures).toEqual([]);
      expect(refused).toBeGreaterThan(0);
    });
  }

  it('a header copy is never written while the other copy is unflushed, whatever the synchronous level (a torn write reaches one copy at most)', async () => {
    for (const synchronous of ['FULL', 'OFF'] as const) {
      for (const journalMode of MODES) {
        const inner = new MemoryStorage();
        // Which header copy (0, 1) holds a write not yet flushed; a flush of the database file clears it.
        let pending: number | null = null;
        const violations: string[] = [];
        let headerWrites = 0;
        const storage: SyncStorage = {
          open: (name, o) => {
            const f = inner.open(name, o);
            const file: SyncFile = {
              read: (b, at) => f.read(b, at),
              write: (b, at) => {
                if (name === NAME && at.at < format.MAIN_HEADER_SIZE) {
                  const copy = Math.floor(at.at / format.MAIN_HEADER_COPY_SIZE);
                  if (pending !== null && pending !== copy) violations.push(`copy ${copy} written while copy ${pending} was unflushed`);
                  pending = copy;
                  headerWrites++;
                }
                return f.write(b, at);
              },
              truncate: (n) => f.truncate(n),
              getSize: () => f.getSize(),
              flush: () => {
                if (name === NAME) pending = null;
                f.flush();
              },
              close: () => f.close(),
            };
            return file;
          },
          exists: (name) => inner.exists(name),
          delete: (name) => inner.delete(name),
          list: () => inner.list(),
        };
        const db = await Database.open({ storage, name: NAME, key: KEY, journalMode, synchronous, cacheSizeKiB: 64 });
        await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
        for (let i = 0; i < 5; i++) await db.exec("INSERT INTO t(v) SELECT printf('%0300d', x) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40) SELECT x FROM c)");
        await db.close();
        expect(headerWrites, `${journalMode} ${synchronous}: header writes`).toBeGreaterThanOrEqual(10); // open and closed per transaction
        expect(violations, `${journalMode} ${synchronous}`).toEqual([]);
      }
    }
  });

  it('the binding is a header field: an unknown state, "open" without a journal id, or a sealed length no writer produces, is refused like any invalid field', () => {
    const copy = new Uint8Array(format.MAIN_HEADER_COPY_SIZE);
    const macKey = new Uint8Array(32);
    const header = {
      blockSize: 4096,
      fileId: new Uint8Array(16).fill(7),
      sequence: 3,
      nextEpoch: 1,
      createdAt: 0,
      keyslots: [
        {
          kind: 'raw' as const,
          kdf: null,
          salt: new Uint8Array(16),
          createdAt: 0,
          wrapNonce: new Uint8Array(12),
          wrappedKey: new Uint8Array(32),
          wrapTag: new Uint8Array(16),
          commitment: new Uint8Array(32),
        },
      ],
    };
    const id = new Uint8Array(16).fill(9);
    for (const journal of [
      { state: 'open' as const, id, sealed: 4240 },
      // A header of the 20-byte layout: no sealed length recorded (bytes 20..28 of the field zero).
      { state: 'open' as const, id, sealed: 0 },
      { state: 'closed' as const, id },
      { state: 'closed' as const, id: null },
      { state: 'unbound' as const },
    ]) {
      copy.set(encodeMainHeader({ ...header, journal }, macKey));
      const r = decodeMainHeaderCopy(copy);
      expect(r.ok && r.header.journal).toEqual(journal);
    }
    const dv = new DataView(copy.buffer);
    const reseal = () => copy.set(createHash('sha256').update(copy.subarray(0, HDR_CHECKSUM)).digest().subarray(0, 16), HDR_CHECKSUM);
    for (const [state, withId] of [
      [3, true],
      [0xffffffff, true],
      [format.JOURNAL_STATE_OPEN, false],
      [format.JOURNAL_STATE_UNBOUND, true],
    ] as const) {
      copy.set(encodeMainHeader({ ...header, journal: { state: 'closed', id: null } }, macKey));
      dv.setUint32(format.HDR_JOURNAL_BINDING + format.JOURNAL_BINDING_STATE_OFFSET, state);
      if (withId) copy.set(id, format.HDR_JOURNAL_BINDING + format.JOURNAL_BINDING_ID_OFFSET);
      reseal();
      expect(() => decodeMainHeaderCopy(copy), `state ${state}`).toThrow(/journal binding/);
    }
    // A sealed length outside state open, or beyond 2^53 - 1, is no writer's.
    for (const [journal, sealed] of [
      [{ state: 'closed' as const, id }, 4240n],
      [{ state: 'closed' as const, id: null }, 1n],
      [{ state: 'unbound' as const }, 4240n],
      [{ state: 'open' as const, id, sealed: 0 }, 2n ** 53n],
      [{ state: 'open' as const, id, sealed: 0 }, 2n ** 64n - 1n],
    ] as const) {
      copy.set(encodeMainHeader({ ...header, journal }, macKey));
      dv.setBigUint64(format.HDR_JOURNAL_BINDING + format.JOURNAL_BINDING_SEALED_OFFSET, sealed);
      reseal();
      expect(() => decodeMainHeaderCopy(copy), `${journal.state} with sealed length ${sealed}`).toThrow(/journal binding/);
    }
  });
});
