/**
 * Seal records of a journal or WAL: how far the file was complete at its last sync.
 *
 * SQLite syncs a rollback journal before it changes the database file, and the WAL before a
 * checkpoint writes it back; only what was appended after that sync may be lost in a crash. The
 * VFS writes a seal at each of those points (and before any write to the database file while the
 * journal has unsealed growth, which covers `synchronous = OFF`): a journal shorter than its last
 * seal is damage, never a torn tail, and opening it fails closed.
 *
 * Two copies (format/constants.ts `sealRecordOffset`), written alternately by sequence number: a
 * torn seal write leaves the other, earlier one intact — and the earlier one was in force when
 * the torn one was written, because nothing reaches the database file before the seal returns.
 *
 * Record: sequence u64 ‖ sealed size u64 (logical bytes) ‖ main change counter u32 ‖ flags u32 ‖
 *         MAC 16 = HMAC-SHA256(auxMacKey, SEAL_LABEL ‖ kind u8 ‖ file id 16 ‖ bytes 0..24)[0..16].
 * The MAC binds the record to its journal instance (file id) — a seal of an earlier instance, or
 * of another database, never authenticates.
 */
import { hmacSha256 } from '../crypto/subkeys.js';
import { constantTimeEqual } from '../crypto/wipe.js';
import { view } from './bytes.js';
import {
  FILE_ID_SIZE,
  SEAL_COUNTER_OFFSET,
  SEAL_COPIES,
  SEAL_FLAG_COUNTER,
  SEAL_FLAGS_OFFSET,
  SEAL_MAC_OFFSET,
  SEAL_MAC_SIZE,
  SEAL_RECORD_SIZE,
  SEAL_SEQUENCE_OFFSET,
  SEAL_SIZE_OFFSET,
} from './constants.js';

const SEAL_LABEL = new TextEncoder().encode('cipherlite/v1/aux-seal');

export interface AuxSeal {
  sequence: number;
  /** Logical size of the journal (bytes SQLite sees) when it was sealed. */
  size: number;
  /** SQLite's file change counter of the main file (page 1, offset 24) when sealed, or null if it was unreadable. */
  counter: number | null;
}

function sealMac(macKey: Uint8Array, kind: number, fileId: Uint8Array, body: Uint8Array): Uint8Array {
  const input = new Uint8Array(SEAL_LABEL.length + 1 + FILE_ID_SIZE + SEAL_MAC_OFFSET);
  input.set(SEAL_LABEL, 0);
  input[SEAL_LABEL.length] = kind;
  input.set(fileId, SEAL_LABEL.length + 1);
  input.set(body.subarray(0, SEAL_MAC_OFFSET), SEAL_LABEL.length + 1 + FILE_ID_SIZE);
  return hmacSha256(macKey, input).subarray(0, SEAL_MAC_SIZE);
}

export function encodeSeal(seal: AuxSeal, kind: number, fileId: Uint8Array, macKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(SEAL_RECORD_SIZE);
  const dv = view(out);
  dv.setBigUint64(SEAL_SEQUENCE_OFFSET, BigInt(seal.sequence));
  dv.setBigUint64(SEAL_SIZE_OFFSET, BigInt(seal.size));
  dv.setUint32(SEAL_COUNTER_OFFSET, seal.counter ?? 0);
  dv.setUint32(SEAL_FLAGS_OFFSET, seal.counter === null ? 0 : SEAL_FLAG_COUNTER);
  out.set(sealMac(macKey, kind, fileId, out), SEAL_MAC_OFFSET);
  return out;
}

/** The authentic record in `b` (one copy), or null. */
export function decodeSeal(b: Uint8Array, kind: number, fileId: Uint8Array, macKey: Uint8Array): AuxSeal | null {
  if (b.length < SEAL_RECORD_SIZE) return null;
  if (!constantTimeEqual(sealMac(macKey, kind, fileId, b), b.subarray(SEAL_MAC_OFFSET, SEAL_MAC_OFFSET + SEAL_MAC_SIZE))) return null;
  const dv = view(b);
  const flags = dv.getUint32(SEAL_FLAGS_OFFSET);
  if ((flags & ~SEAL_FLAG_COUNTER) !== 0) return null;
  const sequence = dv.getBigUint64(SEAL_SEQUENCE_OFFSET);
  const size = dv.getBigUint64(SEAL_SIZE_OFFSET);
  if (sequence > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { sequence: Number(sequence), size: Number(size), counter: flags & SEAL_FLAG_COUNTER ? dv.getUint32(SEAL_COUNTER_OFFSET) : null };
}

/** The authentic copy with the highest sequence among the `SEAL_COPIES` records in `area`, or null when none authenticates. */
export function latestSeal(area: Uint8Array, kind: number, fileId: Uint8Array, macKey: Uint8Array): AuxSeal | null {
  let best: AuxSeal | null = null;
  for (let copy = 0; copy < SEAL_COPIES; copy++) {
    const seal = decodeSeal(area.subarray(copy * SEAL_RECORD_SIZE, (copy + 1) * SEAL_RECORD_SIZE), kind, fileId, macKey);
    if (seal && (best === null || seal.sequence > best.sequence)) best = seal;
  }
  return best;
}
