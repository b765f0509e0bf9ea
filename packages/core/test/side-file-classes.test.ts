/**
 * The side-file class generator (docs/SECURITY-TESTS.md "Side files"): for the hot rollback
 * journal in DELETE, TRUNCATE and PERSIST mode and for the WAL, a scripted history of commits is
 * recorded mutation by mutation, and from the layout constants (format/constants.ts, never
 * hard-coded here) it derives
 *   - every cut: to zero, each slot boundary, mid-slot, the first, middle and last byte of each
 *     header and seal field, the rescue area; and the side file deleted;
 *   - every stale version: the side file as it was at each earlier moment, put back after later
 *     commits (a journal also right after its own commit, and next to a half-written database),
 *     and an earlier copy of the same hot journal put back after a crash of its own transaction
 *     (taken before a later seal, when a spill then wrote more pages);
 *   - every single-field damage: one byte flipped in each field of the header, each seal copy,
 *     the rescue area and the slots.
 * Each case is opened for real (sqlite-wasm, the cipherlite VFS, memory storage) and must end in
 * exactly one committed state the history allows (compared by a hash of the whole content), or a
 * typed CORRUPT naming the side file with no byte of storage written, truncated or deleted.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format, type JournalMode } from '../src/index.js';
import { KEY } from './helpers.js';

type Files = Map<string, Uint8Array>;
const NAME = 'g.db';
const B = format.DEFAULT_BLOCK_SIZE;
const S = format.slotSize(B);

async function contentHash(db: Database): Promise<string> {
  const rows = await db.query('SELECT * FROM t ORDER BY id');
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
}

/** One moment of the history: the storage after a mutation, and which transaction was running. */
interface Moment {
  files: Files;
  tx: number;
}

interface History {
  side: string;
  /** Committed states by transaction number (0 = before the first scripted commit). */
  committed: string[];
  moments: Moment[];
  /** The storage after the database was closed (a WAL: checkpointed into the database and deleted). */
  closed: Files;
  open: (s: MemoryStorage) => Promise<Database>;
}

const TRANSACTIONS = 3;

/** `spillEveryPage`: a two-page cache, so each transaction spills round after round (seal, pages, records, seal, pages). */
async function record(mode: JournalMode, synchronous: 'FULL' | 'NORMAL' | 'OFF' = 'FULL', spillEveryPage = false): Promise<History> {
  // A small page cache makes SQLite spill mid-transaction: multi-segment journals, and database
  // pages written before the commit (the state a cut journal would leave half rolled back).
  const open = (s: MemoryStorage) => Database.open({ storage: s, name: NAME, key: KEY, journalMode: mode, synchronous, cacheSizeKiB: 64 });
  const storage = new MemoryStorage();
  const db = await open(storage);
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 260) INSERT INTO t SELECT x, printf('%0300d', x) FROM c");
  // WAL: the setup checkpointed, so each transaction restarts or extends a WAL the database was
  // already written from (generations: setup, tx 1-2, tx 3).
  if (mode === 'WAL') await db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  if (spillEveryPage) await db.exec('PRAGMA cache_size = 2');
  const committed = [await contentHash(db)];
  const moments: Moment[] = [];
  let tx = 0;
  storage.onMutate = () => moments.push({ files: storage.snapshot(), tx });
  for (tx = 1; tx <= TRANSACTIONS; tx++) {
    await db.exec(`UPDATE t SET v = printf('%d-%0290d', ${tx}, id)`);
    if (mode === 'WAL' && tx === 2) await db.exec('PRAGMA wal_checkpoint(PASSIVE)'); // the database holds frames the WAL still has
    committed.push(await contentHash(db));
  }
  storage.onMutate = null;
  await db.close();
  return { side: mode === 'WAL' ? `${NAME}-wal` : `${NAME}-journal`, committed, moments, closed: storage.snapshot(), open };
}

/** Opens `files`; returns the content hash, or the CORRUPT error after checking nothing was written. */
async function outcome(h: History, files: Files): Promise<{ state: string } | { corrupt: string }> {
  const storage = MemoryStorage.from(files);
  const before = storage.snapshot();
  let db: Database;
  try {
    db = await h.open(storage);
  } catch (e) {
    const err = e as { code?: string; details?: { fileKind?: string }; message?: string };
    if (err.code !== 'CORRUPT') throw new Error(`expected CORRUPT or a committed state, got ${err.code ?? ''}: ${err.message ?? String(e)}`);
    const after = storage.snapshot();
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((n) => !before.has(n) || !after.has(n) || Buffer.compare(before.get(n)!, after.get(n)!) !== 0);
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

/** Named fields of the side-file prefix (header, seal copies, rescue index), from the layout constants. */
function prefixFields(): { name: string; start: number; end: number }[] {
  const header: [string, number, number][] = [
    ['magic', 0, format.AUX_VERSION_OFFSET],
    ['version', format.AUX_VERSION_OFFSET, format.AUX_KIND_OFFSET],
    ['kind', format.AUX_KIND_OFFSET, format.AUX_CIPHER_OFFSET],
    ['cipher', format.AUX_CIPHER_OFFSET, format.AUX_BLOCK_SIZE_OFFSET],
    ['block size', format.AUX_BLOCK_SIZE_OFFSET, format.AUX_FILE_ID_OFFSET],
    ['file id', format.AUX_FILE_ID_OFFSET, format.AUX_MAIN_FILE_ID_OFFSET],
    ['main file id', format.AUX_MAIN_FILE_ID_OFFSET, format.AUX_MAC_OFFSET],
    ['header MAC', format.AUX_MAC_OFFSET, format.AUX_HEADER_SIZE],
  ];
  const fields = header.map(([name, start, end]) => ({ name: `header ${name}`, start, end }));
  const seal: [string, number, number][] = [
    ['sequence', format.SEAL_SEQUENCE_OFFSET, format.SEAL_SIZE_OFFSET],
    ['size', format.SEAL_SIZE_OFFSET, format.SEAL_COUNTER_OFFSET],
    ['counter', format.SEAL_COUNTER_OFFSET, format.SEAL_FLAGS_OFFSET],
    ['flags', format.SEAL_FLAGS_OFFSET, format.SEAL_MAC_OFFSET],
    ['MAC', format.SEAL_MAC_OFFSET, format.SEAL_RECORD_SIZE],
  ];
  for (let copy = 0; copy < format.SEAL_COPIES; copy++) {
    for (const [name, start, end] of seal) fields.push({ name: `seal ${copy} ${name}`, start: format.sealRecordOffset(copy) + start, end: format.sealRecordOffset(copy) + end });
  }
  fields.push({ name: 'rescue index', start: format.RESCUE_OFFSET, end: format.RESCUE_OFFSET + format.RESCUE_INDEX_SIZE });
  return fields;
}

/** Named fields of slot `index` starting at `at` (slot layout constants). */
function slotFields(label: string, at: number): { name: string; start: number; end: number }[] {
  return [
    { name: `${label} epoch`, start: at + format.SLOT_EPOCH_OFFSET, end: at + format.SLOT_LENGTH_OFFSET },
    { name: `${label} length`, start: at + format.SLOT_LENGTH_OFFSET, end: at + format.SLOT_NONCE_OFFSET },
    { name: `${label} nonce`, start: at + format.SLOT_NONCE_OFFSET, end: at + format.SLOT_CIPHERTEXT_OFFSET },
    { name: `${label} ciphertext`, start: at + format.SLOT_CIPHERTEXT_OFFSET, end: at + S - format.TAG_SIZE },
    { name: `${label} tag`, start: at + S - format.TAG_SIZE, end: at + S },
  ];
}

/** Every cut length of a side file of `size` bytes: inside each prefix field, inside the rescue slot, each slot boundary and mid-slot. */
function cutPoints(size: number): { name: string; length: number }[] {
  // Every prefix field: its first byte, its middle and its last byte (a journal cut there looks like none at all).
  const cuts = [{ name: 'to zero bytes', length: 0 }];
  for (const f of prefixFields()) {
    for (const [where, length] of [
      ['at the start of', f.start],
      ['inside', f.start + ((f.end - f.start) >> 1)],
      ['at the last byte of', f.end - 1],
    ] as const) {
      if (!cuts.some((c) => c.length === length)) cuts.push({ name: `${where} ${f.name}`, length });
    }
  }
  cuts.push({ name: 'after the seal records', length: format.AUX_PREFIX_SIZE + 1 });
  cuts.push({ name: 'mid rescue slot', length: format.RESCUE_OFFSET + format.RESCUE_INDEX_SIZE + (S >> 1) });
  const first = format.auxSlotsOffset(B);
  for (let k = 0; first + k * S < size; k++) {
    cuts.push({ name: `at slot boundary ${k}`, length: first + k * S });
    if (first + k * S + (S >> 1) < size) cuts.push({ name: `mid slot ${k}`, length: first + k * S + (S >> 1) });
  }
  return cuts.filter((c) => c.length < size);
}

function withSide(files: Files, side: string, bytes: Uint8Array | undefined): Files {
  const out = new Map(files);
  if (bytes === undefined) out.delete(side);
  else out.set(side, bytes);
  return out;
}

/** The transaction whose state the database file body (past the header copies) was last written to by a checkpoint, at moment `m`. */
function checkpointedTx(h: History, m: Moment): number {
  const body = (f: Files) => f.get(NAME)!.subarray(format.MAIN_HEADER_SIZE);
  let tx = 0;
  for (let i = 1; i <= h.moments.indexOf(m); i++) if (Buffer.compare(body(h.moments[i]!.files), body(h.moments[i - 1]!.files)) !== 0) tx = h.moments[i]!.tx;
  return tx;
}

const isHot = (h: History, m: Moment): boolean => (m.files.get(h.side)?.length ?? 0) > format.auxSlotsOffset(B);

/**
 * Crash moments with a live side file: for a rollback journal, the moment before each commit
 * point (database fully written, journal still there) and the first moment the database was
 * written in each transaction (a half-written database); for the WAL, the end of each transaction.
 */
function hotMoments(h: History, wal: boolean): { m: Moment; label: string; allowed: string[] }[] {
  const out: { m: Moment; label: string; allowed: string[] }[] = [];
  for (let tx = 1; tx <= TRANSACTIONS; tx++) {
    const ms = h.moments.filter((m) => m.tx === tx);
    if (wal) {
      const last = ms[ms.length - 1]!;
      // A WAL with its commits: the last state, or — the WAL cut in its unsealed tail — an earlier
      // commit, never one before the state the database file was last checkpointed to.
      out.push({ m: last, label: `after commit ${tx}`, allowed: h.committed.slice(checkpointedTx(h, last), tx + 1) });
      continue;
    }
    // Pages of the database file, past its header copies (whose journal binding changes too).
    const body = (f: Files) => f.get(NAME)!.subarray(format.MAIN_HEADER_SIZE);
    const mainChanged = (i: number) => i > 0 && Buffer.compare(body(ms[i]!.files), body(ms[i - 1]!.files)) !== 0;
    let firstMain = -1;
    let lastMain = -1;
    for (let i = 1; i < ms.length; i++) {
      if (mainChanged(i)) {
        if (firstMain < 0) firstMain = i;
        lastMain = i;
      }
    }
    expect(firstMain, `transaction ${tx} wrote the database`).toBeGreaterThan(0);
    if (isHot(h, ms[firstMain]!)) out.push({ m: ms[firstMain]!, label: `tx ${tx}, first database write`, allowed: [h.committed[tx - 1]!] });
    // The whole commit in the database file, the header still saying the journal is open.
    if (isHot(h, ms[lastMain]!) && lastMain !== firstMain) out.push({ m: ms[lastMain]!, label: `tx ${tx}, last database write`, allowed: [h.committed[tx - 1]!, h.committed[tx]!] });
    // The commit point is the first change of the journal after the database's last write.
    for (let i = lastMain + 1; i < ms.length; i++) {
      const j = ms[i]!.files.get(h.side);
      const prev = ms[i - 1]!.files.get(h.side);
      if (j === undefined || prev === undefined || Buffer.compare(j, prev) !== 0) {
        if (isHot(h, ms[i - 1]!)) out.push({ m: ms[i - 1]!, label: `tx ${tx}, before the commit point`, allowed: [h.committed[tx - 1]!, h.committed[tx]!] });
        break;
      }
    }
  }
  return out;
}

function describeOutcome(r: { state: string } | { corrupt: string }, h: History): string {
  if ('corrupt' in r) return `CORRUPT (${r.corrupt})`;
  const i = h.committed.indexOf(r.state);
  return i >= 0 ? `committed state ${i}` : `a state never committed (${r.state})`;
}

async function expectAllowed(h: History, files: Files, allowed: string[], label: string, failures: string[]): Promise<'state' | 'corrupt'> {
  let r: { state: string } | { corrupt: string };
  try {
    r = await outcome(h, files);
  } catch (e) {
    failures.push(`${label}: ${(e as Error).message}`);
    return 'corrupt';
  }
  if ('corrupt' in r) {
    if (!r.corrupt.startsWith(h.side.endsWith('-wal') ? 'wal:' : 'journal:')) failures.push(`${label}: CORRUPT does not name the ${h.side}: ${r.corrupt}`);
    return 'corrupt';
  }
  if (!allowed.includes(r.state)) failures.push(`${label}: opened to ${describeOutcome(r, h)}; allowed: ${allowed.map((a) => `state ${h.committed.indexOf(a)}`).join(' or ')}`);
  return 'state';
}

const MODES: JournalMode[] = ['DELETE', 'TRUNCATE', 'PERSIST', 'WAL'];

describe('side-file classes: every cut, stale version and single-field damage', () => {
  for (const mode of MODES) {
    const wal = mode === 'WAL';
    let history: Promise<History> | null = null;
    const get = () => (history ??= record(mode));

    it(`${mode}: every cut of a live ${wal ? 'WAL' : 'hot journal'} opens to an allowed committed state or CORRUPT with nothing written`, async () => {
      const h = await get();
      const failures: string[] = [];
      let cases = 0;
      for (const { m, label, allowed } of hotMoments(h, wal)) {
        const side = m.files.get(h.side)!;
        for (const cut of cutPoints(side.length)) {
          // Cut to within the header and seal records, a side file looks like one whose creation
          // was torn, or like none at all; the database file tells: a journal is bound to it by the
          // header's journal binding (format/journal-binding.ts), a WAL by the WAL binding.
          cases++;
          await expectAllowed(h, withSide(m.files, h.side, side.slice(0, cut.length)), allowed, `${label}: cut ${cut.name} (${cut.length} of ${side.length} bytes)`, failures);
        }
        cases++;
        await expectAllowed(h, withSide(m.files, h.side, undefined), allowed, `${label}: ${wal ? 'WAL' : 'journal'} deleted`, failures);
      }
      expect(cases).toBeGreaterThan(20);
      expect(failures).toEqual([]);
    });

    it(`${mode}: one flipped byte in every field of a live ${wal ? 'WAL' : 'hot journal'} opens to an allowed committed state or CORRUPT with nothing written`, async () => {
      const h = await get();
      const failures: string[] = [];
      let cases = 0;
      for (const { m, label, allowed } of hotMoments(h, wal)) {
        const side = m.files.get(h.side)!;
        const slots = Math.floor((side.length - format.auxSlotsOffset(B)) / S);
        const fields = [...prefixFields(), ...slotFields('rescue slot', format.RESCUE_OFFSET + format.RESCUE_INDEX_SIZE)];
        for (const k of new Set([0, slots >> 1, slots - 1])) fields.push(...slotFields(`slot ${k}`, format.slotOffset(format.auxSlotsOffset(B), B, k)));
        for (const f of fields) {
          if (f.end > side.length) continue;
          cases++;
          const bad = side.slice();
          bad[f.start + ((f.end - f.start) >> 1)]! ^= 0x01;
          await expectAllowed(h, withSide(m.files, h.side, bad), allowed, `${label}: ${f.name} flipped`, failures);
        }
      }
      expect(cases).toBeGreaterThan(20);
      expect(failures).toEqual([]);
    });

    if (wal) {
      it('WAL: every earlier version of the WAL put back after later commits, checkpoints, restarts or the close is never applied over them', async () => {
        const h = await get();
        const failures: string[] = [];
        let cases = 0;
        const versions = new Map<string, { bytes: Uint8Array; tx: number }>();
        for (const m of h.moments) {
          const w = m.files.get(h.side);
          if (w && isHot(h, m)) versions.set(createHash('sha256').update(w).digest('hex'), { bytes: w, tx: m.tx });
        }
        // Later moments: the end of each transaction (the database checkpointed up to some
        // earlier commit), and the closed database (everything checkpointed, the WAL deleted).
        const targets = hotMoments(h, true).map(({ m, label, allowed }) => ({ files: m.files, tx: m.tx, label, allowed }));
        targets.push({ files: h.closed, tx: TRANSACTIONS + 1, label: 'after the close', allowed: [h.committed[TRANSACTIONS]!] });
        for (const [i, { bytes, tx }] of [...versions.values()].entries()) {
          for (const t of targets) {
            if (t.tx <= tx) continue;
            cases++;
            await expectAllowed(h, withSide(t.files, h.side, bytes), t.allowed, `WAL version ${i} (tx ${tx}) put back ${t.label}`, failures);
          }
        }
        expect(cases).toBeGreaterThan(5);
        expect(failures).toEqual([]);
      });
    }

    if (!wal) {
      it(`${mode}: every earlier version of the journal put back after later commits, or after its own, is never applied`, async () => {
        const h = await get();
        const failures: string[] = [];
        let cases = 0;
        // Distinct live journal versions, each with the transaction it belongs to.
        const versions = new Map<string, { bytes: Uint8Array; tx: number }>();
        for (const m of h.moments) {
          const j = m.files.get(h.side);
          if (j && isHot(h, m)) versions.set(createHash('sha256').update(j).digest('hex'), { bytes: j, tx: m.tx });
        }
        // Later moments: the end of the history, the moment before each later commit point (the
        // database holds that whole commit), and each later transaction's first database write
        // (a half-written database: only its own journal may be played back).
        const last = h.moments[h.moments.length - 1]!;
        const targets = [{ m: last, label: 'after the last commit', allowed: [h.committed[TRANSACTIONS]!] }];
        for (const { m, label, allowed } of hotMoments(h, false)) targets.push({ m, label, allowed });
        for (const [i, { bytes, tx }] of [...versions.values()].entries()) {
          for (const t of targets) {
            // After a later commit, or (the end of the history) right after its own commit: the
            // header then says the journal was closed, so it is spent and never played back.
            if (t.m === last ? tx > TRANSACTIONS : t.m.tx <= tx) continue;
            cases++;
            const own = t.m === last && tx === TRANSACTIONS;
            const label = `journal version ${i} (tx ${tx}) put back ${t.label}`;
            const r = await expectAllowed(h, withSide(t.m.files, h.side, bytes), t.allowed, label, failures);
            if (own && r === 'corrupt') failures.push(`${label}: refused; the journal of the last commit put back after it is spent and must open to that commit`);
          }
        }
        expect(cases).toBeGreaterThan(5);
        expect(failures).toEqual([]);
      });
    }

    if (!wal) {
      let spilling: Promise<History> | null = null;
      it(`${mode}: every earlier copy of the same hot journal, put back after a crash later in its own transaction, is never applied over pages written after it`, async () => {
        // A two-page cache: every transaction seals its journal again and again between page writes.
        const h = await (spilling ??= record(mode, 'FULL', true));
        const failures: string[] = [];
        let cases = 0;
        let refused = 0;
        for (const { m, label, allowed } of hotMoments(h, false)) {
          const at = h.moments.indexOf(m);
          const current = m.files.get(h.side)!;
          const seen = new Set<string>();
          for (let i = 0; i < at; i++) {
            const earlier = h.moments[i]!;
            if (earlier.tx !== m.tx || !isHot(h, earlier)) continue;
            const copy = earlier.files.get(h.side)!;
            const key = createHash('sha256').update(copy).digest('hex');
            if (seen.has(key) || Buffer.compare(copy, current) === 0) continue;
            seen.add(key);
            cases++;
            const r = await expectAllowed(h, withSide(m.files, h.side, copy), allowed, `${label}: the journal as it was at moment ${i} of the same transaction put back`, failures);
            if (r === 'corrupt') refused++;
          }
        }
        expect(cases).toBeGreaterThan(5);
        expect(failures).toEqual([]);
        expect(refused).toBeGreaterThan(0);
      });
    }
  }
});
