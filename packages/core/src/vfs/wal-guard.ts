/**
 * Keeps the WAL bound to the main file (format/wal-binding.ts): records each WAL generation in
 * the main header before the WAL or the database file can depend on it, and refuses at open a
 * WAL that cannot be the one the database file was checkpointed from.
 *
 * When the header is written (one crash-safe header write each, never per commit or per page):
 * - a WAL restart (SQLite writes a new WAL header at offset 0): before that write, the new salts
 *   become the current generation and the generation the WAL file holds now becomes the previous
 *   one — a crash between the two writes leaves a WAL the header still knows;
 * - a checkpoint (the first database-file write after frames were added): before that write,
 *   after the WAL was sealed, `end` of the generation on storage moves up to its last frame (and
 *   the previous generation is dropped: the database file now holds frames it never had);
 * - the WAL cut to zero or deleted: before that, the generation on storage becomes the previous
 *   one and nothing is current.
 *
 * At open (`checkWalBinding`), nothing written or deleted:
 * - a WAL whose salts match no recorded generation (once the header is bound), or the previous
 *   generation once frames of the current one were checkpointed: an earlier generation put back
 *   → CORRUPT;
 * - a WAL of a recorded generation whose frame at `end` is missing or of other salts: an older,
 *   shorter copy of that generation put back (its later frames were already checkpointed) → CORRUPT;
 * - no live WAL while the current generation had frames checkpointed: deleted or cut → CORRUPT.
 */
import { CipherliteError } from '../errors.js';
import { FILE_KIND, fileKindName, SQLITE_WAL_FRAME_HEADER_SIZE, SQLITE_WAL_FRAME_SALT_OFFSET, SQLITE_WAL_HEADER_SIZE, SQLITE_WAL_PAGE_SIZE_OFFSET } from '../format/constants.js';
import { generationOf, sameSalts, walHeaderSalts, type WalBinding, type WalGeneration } from '../format/wal-binding.js';
import type { MainContainer } from '../container/main-container.js';
import type { EncryptedFile } from './encrypted-file.js';

/** SQLite's WAL magic, either byte order (wal.c WAL_MAGIC). */
const WAL_MAGIC = [0x377f0682, 0x377f0683];

function corruptWal(what: string): CipherliteError {
  const name = fileKindName(FILE_KIND.wal);
  return new CipherliteError('CORRUPT', `${name} file: ${what}; the ${name} and the database were left as they are`, { fileKind: name });
}

/** The WAL header of `ef` (magic checked), or null when it holds none. */
function readWalHeader(ef: EncryptedFile): Uint8Array | null {
  if (ef.size < SQLITE_WAL_HEADER_SIZE) return null;
  const head = new Uint8Array(SQLITE_WAL_HEADER_SIZE);
  ef.read(head, 0);
  return WAL_MAGIC.includes(new DataView(head.buffer).getUint32(0)) ? head : null;
}

function frameSize(head: Uint8Array): number {
  const pageSize = new DataView(head.buffer).getUint32(SQLITE_WAL_PAGE_SIZE_OFFSET);
  return SQLITE_WAL_FRAME_HEADER_SIZE + pageSize;
}

/** Whether the frame ending at `end` exists and carries the salts of `salts`. */
function frameOfGeneration(ef: EncryptedFile, end: number, fs: number, salts: readonly [number, number]): boolean {
  if (end <= SQLITE_WAL_HEADER_SIZE) return true;
  if (ef.size < end || end - fs < SQLITE_WAL_HEADER_SIZE) return false;
  const fh = new Uint8Array(SQLITE_WAL_FRAME_HEADER_SIZE);
  ef.read(fh, end - fs);
  const dv = new DataView(fh.buffer);
  return dv.getUint32(SQLITE_WAL_FRAME_SALT_OFFSET) === salts[0] && dv.getUint32(SQLITE_WAL_FRAME_SALT_OFFSET + 4) === salts[1];
}

/** Refuses (CORRUPT, nothing written) a WAL that cannot be the one the database file was checkpointed from. Notes its salts in `container`. */
export function checkWalBinding(ef: EncryptedFile, container: MainContainer): void {
  const binding = container.walBinding;
  const head = readWalHeader(ef);
  const salts = head ? walHeaderSalts(head) : null;
  if (head && salts) {
    const gen = generationOf(binding, salts);
    const currentCheckpointed = binding.current !== null && binding.current.end > SQLITE_WAL_HEADER_SIZE;
    if (!gen || (gen !== binding.current && currentCheckpointed)) {
      if (binding.bound) throw corruptWal('stale — its generation (salts) is not one the database was checkpointed from (a WAL from an earlier moment put back)');
    } else if (!frameOfGeneration(ef, gen.end, frameSize(head), salts)) {
      throw corruptWal(`stale or cut — it ends before the ${gen.end} bytes of this generation already checkpointed into the database (an older copy put back, or truncated)`);
    }
  } else {
    refuseMissingWal(container);
  }
  container.walOnStorage = salts;
}

/** Refuses (CORRUPT) when the database file holds frames of a WAL that is missing or holds no WAL header. Called before a missing WAL is created. */
export function refuseMissingWal(container: MainContainer): void {
  const { current } = container.walBinding;
  if (current && current.end > SQLITE_WAL_HEADER_SIZE) {
    throw corruptWal(`missing or cut within its header, but ${current.end} bytes of it were already checkpointed into the database (deleted or truncated)`);
  }
}

/**
 * The generation record of the WAL on storage: the binding's, or (a WAL the binding does not
 * know: written before this record existed) one that vouches for its header only.
 */
function onStorage(container: MainContainer): WalGeneration | null {
  const salts = container.walOnStorage;
  if (!salts) return null;
  return generationOf(container.walBinding, salts) ?? { salt1: salts[0], salt2: salts[1], end: SQLITE_WAL_HEADER_SIZE };
}

/** Before SQLite writes a new WAL header `data` at offset 0 (a restart, or a new WAL). */
export function beforeWalHeaderWrite(ef: EncryptedFile, container: MainContainer, data: Uint8Array): void {
  if (data.length < SQLITE_WAL_HEADER_SIZE) return;
  const salts = walHeaderSalts(data);
  const binding = container.walBinding;
  if (container.walOnStorage === undefined) {
    const head = readWalHeader(ef);
    container.walOnStorage = head ? walHeaderSalts(head) : null;
  }
  if (sameSalts(binding.current, salts)) return;
  const next: WalBinding = { bound: true, current: { salt1: salts[0], salt2: salts[1], end: SQLITE_WAL_HEADER_SIZE }, previous: onStorage(container) };
  container.setWalBinding(next);
  container.walOnStorage = salts;
}

/**
 * Before the database file is written while the WAL gained frames (a checkpoint): moves `end`
 * of the generation on storage up to its last frame. Frames are found by their salts, from the
 * recorded end on (those just written: still in the WAL's read cache).
 */
export function beforeCheckpointWrite(ef: EncryptedFile, container: MainContainer): void {
  const head = readWalHeader(ef);
  if (!head) return;
  const salts = walHeaderSalts(head);
  const binding = container.walBinding;
  const gen = generationOf(binding, salts);
  const fs = frameSize(head);
  let end = gen ? gen.end : SQLITE_WAL_HEADER_SIZE;
  while (end + fs <= ef.size && frameOfGeneration(ef, end + fs, fs, salts)) end += fs;
  if (gen && end === gen.end) return;
  const moved: WalGeneration = { salt1: salts[0], salt2: salts[1], end };
  // Once frames of the current generation reach the database file, the previous one may no longer be met.
  const next: WalBinding = gen !== null && gen === binding.previous ? { bound: true, current: binding.current, previous: moved } : { bound: true, current: moved, previous: null };
  container.setWalBinding(next);
  container.walOnStorage = salts;
}

/**
 * Before the database file is written with no WAL open (rollback-journal mode): a previous
 * generation kept for a crash before the WAL's deletion may no longer be met — the database file
 * now holds changes it never had. One header write, at the first such write after the deletion.
 */
export function beforeWriteWithoutWal(container: MainContainer): void {
  const binding = container.walBinding;
  if (binding.previous && !binding.current) container.setWalBinding({ bound: true, current: null, previous: null });
}

/** Before the WAL is cut to zero or deleted: nothing is current any more. */
export function beforeWalGone(container: MainContainer): void {
  const binding = container.walBinding;
  if (!binding.current) return;
  const known = container.walOnStorage;
  const previous = known === undefined ? binding.current : onStorage(container);
  container.setWalBinding({ bound: true, current: null, previous });
  container.walOnStorage = null;
}
