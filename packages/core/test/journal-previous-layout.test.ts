/**
 * Journals and WALs of the previous layout (version 1: no seal records) after an upgrade
 * (docs/FORMAT.md "Seal records"): one that holds nothing SQLite would apply — TRUNCATE mode's
 * header-only journal, a committed PERSIST journal — is rewritten in the new layout at its first
 * write; a live one (a hot journal) is refused with CORRUPT naming it, nothing written, because
 * without a seal a cut one cannot be told from a whole one.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, format } from '../src/index.js';
import { hmacSha256 } from '../src/crypto/subkeys.js';
import { internals } from '../src/database/internals.js';
import { expectCode, expectSameFiles, KEY } from './helpers.js';

const NAME = 'p.db';
const JOURNAL = `${NAME}-journal`;
const B = format.DEFAULT_BLOCK_SIZE;

/** A journal in the version-1 layout with the same header fields and slots as `journal` (version-2 layout). */
function asPreviousLayout(journal: Uint8Array, macKey: Uint8Array): Uint8Array {
  const header = journal.slice(0, format.AUX_HEADER_SIZE);
  new DataView(header.buffer).setUint16(format.AUX_VERSION_OFFSET, format.AUX_FORMAT_VERSION_UNSEALED);
  header.set(hmacSha256(macKey, header.subarray(0, format.AUX_MAC_OFFSET)).subarray(0, format.AUX_MAC_SIZE), format.AUX_MAC_OFFSET);
  const slots = journal.subarray(format.auxSlotsOffset(B));
  const out = new Uint8Array(format.unsealedAuxSlotsOffset(B) + slots.length);
  out.set(header, 0);
  out.set(slots, format.unsealedAuxSlotsOffset(B));
  return out;
}

async function hotJournal(journalMode: 'TRUNCATE' | 'PERSIST'): Promise<{ hot: Map<string, Uint8Array>; after: Map<string, Uint8Array>; macKey: Uint8Array; old: string }> {
  const storage = new MemoryStorage();
  const db = await Database.open({ storage, name: NAME, key: KEY, journalMode, cacheSizeKiB: 64 });
  await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO t(v) SELECT printf('%0200d', i) FROM n;");
  const old = JSON.stringify(await db.query('SELECT * FROM t ORDER BY id'));
  const macKey = internals(db).container.auxMacKey.slice();
  let hot: Map<string, Uint8Array> | null = null;
  let lastMain: Uint8Array | undefined;
  storage.onMutate = () => {
    const snap = storage.snapshot();
    if (lastMain && Buffer.compare(snap.get(NAME)!, lastMain) !== 0 && (snap.get(JOURNAL)?.length ?? 0) > format.auxMinContentSize(B)) hot = snap;
    lastMain = snap.get(NAME);
  };
  lastMain = storage.snapshot().get(NAME);
  await db.exec("UPDATE t SET v = 'new-' || id");
  storage.onMutate = null;
  await db.close();
  expect(hot).not.toBeNull();
  return { hot: hot!, after: storage.snapshot(), macKey, old };
}

describe('journals of the previous layout', () => {
  it('a live (hot) one is refused with CORRUPT naming it, nothing written', async () => {
    const { hot, macKey } = await hotJournal('TRUNCATE');
    const files = new Map(hot).set(JOURNAL, asPreviousLayout(hot.get(JOURNAL)!, macKey));
    const storage = MemoryStorage.from(files);
    const e = await expectCode(Database.open({ storage, name: NAME, key: KEY, journalMode: 'TRUNCATE' }), 'CORRUPT');
    expect(e.details.fileKind).toBe('journal');
    expect(e.message).toMatch(/previous layout/);
    expectSameFiles(storage.snapshot(), files);
  });

  for (const journalMode of ['TRUNCATE', 'PERSIST'] as const) {
    it(`a spent one (${journalMode} mode after its commit) holds nothing: the database opens, and the next write replaces it in the new layout`, async () => {
      const { after, macKey } = await hotJournal(journalMode);
      const spent = after.get(JOURNAL)!;
      // TRUNCATE leaves the header alone; PERSIST leaves the whole journal with a zeroed SQLite header.
      const previous = journalMode === 'TRUNCATE' ? asPreviousLayout(spent, macKey).subarray(0, format.AUX_HEADER_SIZE) : asPreviousLayout(spent, macKey);
      const storage = MemoryStorage.from(new Map(after).set(JOURNAL, previous));
      const db = await Database.open({ storage, name: NAME, key: KEY, journalMode });
      expect(await db.get('SELECT v FROM t WHERE id = 7')).toEqual({ v: 'new-7' });
      await db.exec("UPDATE t SET v = 'again-' || id");
      await db.close();
      const journal = storage.files.get(JOURNAL)!.bytes();
      expect(new DataView(journal.buffer).getUint16(format.AUX_VERSION_OFFSET)).toBe(format.AUX_FORMAT_VERSION);
      const reopened = await Database.open({ storage, name: NAME, key: KEY, journalMode });
      expect(await reopened.get('SELECT v FROM t WHERE id = 7')).toEqual({ v: 'again-7' });
      await reopened.close();
    });
  }
});
