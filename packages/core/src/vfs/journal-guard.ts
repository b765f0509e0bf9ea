/**
 * Keeps the main file aware of a transaction in flight (format/journal-binding.ts): records in the
 * main header which rollback journal the database file's changes are journaled in, and decides at
 * open whether a journal found on storage may be played back.
 *
 * When the header is written (one crash-safe header write each, only in rollback-journal mode):
 * - `open` with the journal's file id and sealed length: before the first write or truncate of the
 *   database file while that journal is hot (SQLite has written and synced its records by then),
 *   and again before the first database write after a newer seal of the same journal (a cache
 *   spill round: one more header write per round, none in a transaction that does not spill);
 * - `closed` with the same id: before the journal stops being hot — deleted, cut to zero, or its
 *   header zeroed (PERSIST, exclusive locking mode). SQLite does that only once every database
 *   write of the transaction (or of its rollback) is done and synced.
 *
 * At open, nothing written or deleted:
 * - header `open J` and the journal missing, cut to within its header and seal records, not hot,
 *   of another id, or refused by its own seal → CORRUPT naming the journal
 *   (`refuseUnfinishedJournal` in aux-file.ts). A hot journal J sealed for less than the header's
 *   sealed length is an earlier copy of it (taken before a spill wrote pages it has no pre-image
 *   of) → CORRUPT. A hot journal J sealed for that length or more is played back by SQLite, and
 *   its finalize writes `closed J`;
 * - header `closed J` and a hot journal J: spent — every database write of J's transaction was
 *   done and synced when `closed` was written, so the database file holds a committed state (the
 *   new one after a commit, the old one after a rollback). It is never played back: a crash between
 *   the header write and the journal's deletion and a copy of J put back later are the same case;
 * - header `closed` and a hot journal of another id: it never reached the database file (the
 *   header would say `open` with its id). Sealed for the database's current change counter, it is
 *   a crash before the transaction's first database write: played back, it rewrites the pages the
 *   file holds. Sealed for another counter, it is a journal of an earlier moment put back →
 *   CORRUPT ("stale").
 * - the header copy in use is not known to be the newest (the other copy is damaged: it may have
 *   been one write newer, i.e. `closed`): `open J` with no usable journal J is taken as `closed J`
 *   and the repair of the other copy records that (`refuseUnfinishedJournal`).
 * - header never bound (written before this field): played back as before.
 */
import { CipherliteError } from '../errors.js';
import { bytesEqual } from '../format/bytes.js';
import { FILE_KIND, fileKindName } from '../format/constants.js';
import type { MainContainer } from '../container/main-container.js';

export function corruptJournal(what: string): CipherliteError {
  const name = fileKindName(FILE_KIND.journal);
  return new CipherliteError('CORRUPT', `${name} file: ${what}; the ${name} and the database were left as they are`, { fileKind: name });
}

/**
 * Before the database file is written or cut while journal `id` is hot: the header says `open id`.
 * Not flushed here: the header copy is in the database file, which SQLite syncs before the journal
 * is finalized, and the next header write flushes it first anyway (MainContainer). If power fails
 * before that sync and this write is lost while some pages were kept, the journal (synced before
 * them) is played back as one that never reached the database file — or, when page 1 with the new
 * change counter was kept, refused as stale: never a half-written state.
 */
export function beforeJournaledWrite(container: MainContainer, id: Uint8Array, sealed: number): void {
  const b = container.journalBinding;
  // Already open under this journal with this much sealed: every pre-image of what is written now
  // lies in those bytes. A newer seal (a spill round) is recorded before its first page is written.
  if (b.state === 'open' && bytesEqual(b.id, id) && b.sealed >= sealed) return;
  container.setJournalBinding({ state: 'open', id: id.slice(), sealed }, { flush: false });
}

/**
 * A hot journal `id` sealed for `sealed` bytes, next to a header that says `open` with it: throws
 * CORRUPT when the header recorded more sealed bytes — the journal is an earlier copy of itself,
 * taken before a later seal, and lacks pre-images of pages the database file may hold. Writes
 * nothing. A header that recorded no length (the 20-byte layout) accepts it as before.
 */
export function checkJournalCoverage(container: MainContainer, id: Uint8Array, sealed: number): void {
  const b = container.journalBinding;
  if (b.state !== 'open' || !bytesEqual(b.id, id) || sealed >= b.sealed) return;
  throw corruptJournal(
    `an earlier copy of the journal the database file is being written under — sealed for ${sealed} bytes, but pages were written after a seal of ${b.sealed} bytes (a copy from earlier in the same transaction put back)`,
  );
}

/**
 * Before the journal stops being hot (deleted, cut to zero, header zeroed): the header says
 * `closed` with the id it was open with. `id` given: only when that is the open journal.
 */
export function beforeJournalClosed(container: MainContainer, id?: Uint8Array): void {
  const b = container.journalBinding;
  if (b.state !== 'open' || (id !== undefined && !bytesEqual(b.id, id))) return;
  // Flushed: the journal's deletion must never reach storage before it.
  container.setJournalBinding({ state: 'closed', id: b.id }, { flush: true });
}

/**
 * Whether the authentic journal with file id `id` may be played back (true), or holds nothing
 * for this database file (false: spent, or it never reached it). Throws CORRUPT for a journal
 * that is neither the open one nor harmless. `stale`: the journal is hot and sealed for another
 * change counter than the database's.
 */
export function journalApplies(container: MainContainer, id: Uint8Array, stale: () => boolean): boolean {
  const b = container.journalBinding;
  if (b.state === 'unbound') return true;
  if (b.state === 'open') {
    if (bytesEqual(b.id, id)) return true;
    throw corruptJournal('another journal than the one the database file was being written under (a journal of another moment put back)');
  }
  if (b.id !== null && bytesEqual(b.id, id)) return false;
  if (stale()) throw corruptJournal('stale — sealed for another change counter than the database holds, and not its last transaction (a journal of an earlier moment put back)');
  // It never reached the database file, which still holds the state the journal was taken from:
  // playing it back rewrites the same pages (and covers a header write lost with power).
  return true;
}
