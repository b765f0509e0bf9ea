/**
 * The WAL binding: which WAL generations the main file may meet, kept in the main header.
 *
 * In WAL mode SQLite writes the database file only while checkpointing, and a WAL restart
 * rewrites the WAL header (offset 0) with new salts. A WAL put back from an earlier moment — the
 * same generation cut below what was already checkpointed, or an earlier generation — would be
 * applied over pages checkpointed from later frames: a state that never existed. So the header
 * records, for at most two generations (the current one and the one before it, which the WAL
 * file may still hold when a crash came between the header write and the WAL write), the salts
 * and how far frames of that generation reached when the database file was last written from it
 * (`end`, logical WAL bytes; SQLITE_WAL_HEADER_SIZE when none were).
 *
 * Encoded at HDR_WAL_BINDING (format/constants.ts): flags u32 ‖ current 16 ‖ previous 16, each
 * generation salt-1 u32 ‖ salt-2 u32 ‖ end u64. All zero (flags 0): nothing recorded — a header
 * written before this field existed, or a database never in WAL mode — and any WAL is accepted.
 * Every binding write sets the `bound` flag: from then on a live WAL must be of a recorded
 * generation, even when none is recorded (no WAL may be met).
 */
import { CipherliteError } from '../errors.js';
import { view } from './bytes.js';
import {
  HDR_WAL_BINDING,
  SQLITE_WAL_HEADER_SIZE,
  SQLITE_WAL_SALT_OFFSET,
  WAL_BINDING_CURRENT_OFFSET,
  WAL_BINDING_FLAG_BOUND,
  WAL_BINDING_FLAG_CURRENT,
  WAL_BINDING_FLAG_PREVIOUS,
  WAL_BINDING_FLAGS_OFFSET,
  WAL_BINDING_PREVIOUS_OFFSET,
  WAL_GEN_END_OFFSET,
  WAL_GEN_SALT1_OFFSET,
  WAL_GEN_SALT2_OFFSET,
} from './constants.js';

export interface WalGeneration {
  salt1: number;
  salt2: number;
  /** Logical WAL bytes up to the end of the last frame of this generation when the database file was last written from it. */
  end: number;
}

export interface WalBinding {
  /** False only in a header written before the binding existed: then any WAL is accepted. */
  bound: boolean;
  current: WalGeneration | null;
  previous: WalGeneration | null;
}

export const NO_WAL_BINDING: WalBinding = { bound: false, current: null, previous: null };

export function sameSalts(g: WalGeneration | null, salts: readonly [number, number] | null): g is WalGeneration {
  return g !== null && salts !== null && g.salt1 === salts[0] && g.salt2 === salts[1];
}

/** The recorded generation whose salts are `salts`, or null. */
export function generationOf(b: WalBinding, salts: readonly [number, number] | null): WalGeneration | null {
  if (sameSalts(b.current, salts)) return b.current;
  if (sameSalts(b.previous, salts)) return b.previous;
  return null;
}

/** The salts of a WAL header (its first SQLITE_WAL_HEADER_SIZE bytes). */
export function walHeaderSalts(head: Uint8Array): [number, number] {
  const dv = view(head);
  return [dv.getUint32(SQLITE_WAL_SALT_OFFSET), dv.getUint32(SQLITE_WAL_SALT_OFFSET + 4)];
}

function encodeGen(dv: DataView, at: number, g: WalGeneration): void {
  dv.setUint32(at + WAL_GEN_SALT1_OFFSET, g.salt1);
  dv.setUint32(at + WAL_GEN_SALT2_OFFSET, g.salt2);
  dv.setBigUint64(at + WAL_GEN_END_OFFSET, BigInt(g.end));
}

function decodeGen(dv: DataView, at: number): WalGeneration {
  const end = dv.getBigUint64(at + WAL_GEN_END_OFFSET);
  if (end > BigInt(Number.MAX_SAFE_INTEGER) || end < BigInt(SQLITE_WAL_HEADER_SIZE)) {
    throw new CipherliteError('NOT_A_DATABASE', `invalid WAL binding (end ${end})`);
  }
  return { salt1: dv.getUint32(at + WAL_GEN_SALT1_OFFSET), salt2: dv.getUint32(at + WAL_GEN_SALT2_OFFSET), end: Number(end) };
}

/** Writes `b` into header copy `out` (HDR_WAL_BINDING). */
export function encodeWalBinding(b: WalBinding, out: Uint8Array): void {
  const dv = view(out);
  const base = HDR_WAL_BINDING;
  const flags = (b.bound ? WAL_BINDING_FLAG_BOUND : 0) | (b.current ? WAL_BINDING_FLAG_CURRENT : 0) | (b.previous ? WAL_BINDING_FLAG_PREVIOUS : 0);
  dv.setUint32(base + WAL_BINDING_FLAGS_OFFSET, flags);
  if (b.current) encodeGen(dv, base + WAL_BINDING_CURRENT_OFFSET, b.current);
  if (b.previous) encodeGen(dv, base + WAL_BINDING_PREVIOUS_OFFSET, b.previous);
}

/** Reads the binding of header copy `b`; throws NOT_A_DATABASE for flags or values no writer produces. */
export function decodeWalBinding(b: Uint8Array): WalBinding {
  const dv = view(b);
  const base = HDR_WAL_BINDING;
  const flags = dv.getUint32(base + WAL_BINDING_FLAGS_OFFSET);
  if ((flags & ~(WAL_BINDING_FLAG_BOUND | WAL_BINDING_FLAG_CURRENT | WAL_BINDING_FLAG_PREVIOUS)) !== 0 || (flags !== 0 && !(flags & WAL_BINDING_FLAG_BOUND)))
    throw new CipherliteError('NOT_A_DATABASE', `unknown WAL binding flags ${flags}`);
  return {
    bound: (flags & WAL_BINDING_FLAG_BOUND) !== 0,
    current: flags & WAL_BINDING_FLAG_CURRENT ? decodeGen(dv, base + WAL_BINDING_CURRENT_OFFSET) : null,
    previous: flags & WAL_BINDING_FLAG_PREVIOUS ? decodeGen(dv, base + WAL_BINDING_PREVIOUS_OFFSET) : null,
  };
}
