/**
 * The journal binding: whether the main file may hold changes of a transaction in flight, and
 * under which rollback journal — kept in the main header (docs/FORMAT.md "Journal binding").
 *
 * A rollback journal alone cannot tell a database file that is whole from one written half way:
 * deleted, or cut to within its header and seal records, a hot journal looks like no journal,
 * and SQLite opens the half-written file. So the main header says it: `open` with the journal's
 * file id before the first database write of a transaction, `closed` (with the same id) before
 * the journal stops being hot (deleted, cut to zero, or its header zeroed).
 *
 * `open` also records how much of the journal was sealed (its sealed length) when the database
 * file was first written after that seal: a copy of the same journal sealed for less — taken
 * earlier in the transaction, before a cache spill wrote more pages — lacks pre-images of pages
 * the file holds, and is refused (vfs/journal-guard.ts).
 *
 * Encoded at HDR_JOURNAL_BINDING (format/constants.ts): state u32 ‖ journal file id 16 ‖ sealed
 * length u64. State 0 (all zero): a header written before this field; any hot journal is played
 * back as before. Sealed length 0 with state open: a header of the 20-byte layout (not recorded).
 */
import { CipherliteError } from '../errors.js';
import { view } from './bytes.js';
import {
  FILE_ID_SIZE,
  HDR_JOURNAL_BINDING,
  JOURNAL_BINDING_ID_OFFSET,
  JOURNAL_BINDING_SEALED_OFFSET,
  JOURNAL_BINDING_STATE_OFFSET,
  JOURNAL_STATE_CLOSED,
  JOURNAL_STATE_OPEN,
  JOURNAL_STATE_UNBOUND,
} from './constants.js';

export type JournalBinding =
  | { state: 'unbound' }
  /**
   * The database file may hold changes of the transaction journaled in journal `id`, whose
   * pre-images all lie in its first `sealed` bytes (sealed when the file was last written after a
   * new seal); 0: not recorded (a header of the 20-byte layout).
   */
  | { state: 'open'; id: Uint8Array; sealed: number }
  /** No transaction in flight; `id` is the journal last closed (null: none yet). */
  | { state: 'closed'; id: Uint8Array | null };

export const UNBOUND_JOURNAL: JournalBinding = { state: 'unbound' };
/** What a new database starts with: bound, nothing in flight. */
export const NO_JOURNAL: JournalBinding = { state: 'closed', id: null };

const STATE_CODE = { unbound: JOURNAL_STATE_UNBOUND, open: JOURNAL_STATE_OPEN, closed: JOURNAL_STATE_CLOSED } as const;

/** Writes `b` into header copy `out` (HDR_JOURNAL_BINDING). */
export function encodeJournalBinding(b: JournalBinding, out: Uint8Array): void {
  view(out).setUint32(HDR_JOURNAL_BINDING + JOURNAL_BINDING_STATE_OFFSET, STATE_CODE[b.state]);
  if (b.state !== 'unbound' && b.id) out.set(b.id, HDR_JOURNAL_BINDING + JOURNAL_BINDING_ID_OFFSET);
  view(out).setBigUint64(HDR_JOURNAL_BINDING + JOURNAL_BINDING_SEALED_OFFSET, BigInt(b.state === 'open' ? b.sealed : 0));
}

/**
 * Reads the binding of header copy `b`; throws NOT_A_DATABASE for a state, id or sealed length no
 * writer produces (a sealed length outside state open, or above 2^53 - 1).
 */
export function decodeJournalBinding(b: Uint8Array): JournalBinding {
  const state = view(b).getUint32(HDR_JOURNAL_BINDING + JOURNAL_BINDING_STATE_OFFSET);
  const at = HDR_JOURNAL_BINDING + JOURNAL_BINDING_ID_OFFSET;
  const id = b.slice(at, at + FILE_ID_SIZE);
  const zero = id.every((x) => x === 0);
  const sealed = view(b).getBigUint64(HDR_JOURNAL_BINDING + JOURNAL_BINDING_SEALED_OFFSET);
  if (sealed > BigInt(Number.MAX_SAFE_INTEGER) || (sealed !== 0n && state !== JOURNAL_STATE_OPEN)) {
    throw new CipherliteError('NOT_A_DATABASE', `invalid journal binding (state ${state} with sealed length ${sealed})`);
  }
  if (state === JOURNAL_STATE_UNBOUND && zero) return UNBOUND_JOURNAL;
  if (state === JOURNAL_STATE_OPEN && !zero) return { state: 'open', id, sealed: Number(sealed) };
  if (state === JOURNAL_STATE_CLOSED) return { state: 'closed', id: zero ? null : id };
  throw new CipherliteError('NOT_A_DATABASE', `invalid journal binding (state ${state}${zero ? ', no journal id' : ''})`);
}
