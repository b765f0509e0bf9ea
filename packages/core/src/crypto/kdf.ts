/**
 * Password → key-encryption key (KEK) with Argon2id (RFC 9106), via hash-wasm.
 *
 * Parameters are stored in each keyslot of the (unauthenticated-until-unlocked) header, so they
 * are attacker-controlled input: `validateKdfParams` bounds them *before* anything is allocated
 * (docs/SECURITY-TESTS.md #4: m = 4 GiB or t = 2^31 must be refused, not attempted).
 *
 * Passwords are normalized to Unicode NFC before UTF-8 encoding, so the same visible password
 * typed on different platforms (NFC vs NFD input methods) opens the same database.
 */
import { argon2id } from 'hash-wasm';
import { CipherliteError } from '../errors.js';
import type { KdfParams } from '../types.js';

/** RFC 9106 §4 second recommendation is 64 MiB, t=3, p=4; we use p=1 (single-threaded WASM). */
export const DEFAULT_KDF: KdfParams = { memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 };
/** OWASP's floor for Argon2id (19 MiB, t=2); we never create a slot below it. */
export const MIN_KDF: KdfParams = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };
/**
 * Ceiling accepted from a header (and for new slots, so every slot we create can be opened):
 * bounds the memory and time a hostile file can make one open attempt spend.
 */
export const MAX_KDF: KdfParams = { memoryKiB: 256 * 1024, iterations: 16, parallelism: 16 };
/**
 * Ceiling on Argon2id work, memoryKiB × iterations (the time of one run is proportional to it;
 * hash-wasm runs the lanes one after another, so parallelism does not change it). 512 MiB-passes
 * is 2.7× the default's 192: about 1 s on a desktop-class machine that runs the default in 0.35 s,
 * and ~4 s on a loaded 2-core CI box (docs/FORMAT.md "Keyslot"). The previous bounds allowed
 * 10 GiB-passes — ~24 s per open attempt.
 */
export const MAX_KDF_WORK_KIB = 512 * 1024;
/**
 * Ceiling on the Argon2id work of **one open attempt** (and of one key proof): the sum of m × t
 * over every run it makes, across both header copies — 1024 MiB-passes, 5.3× the default's 192.
 * A header copy whose distinct password slots together ask for more is not intact (so the copy
 * open tries first can always be tried in full), and no key change writes one; runs the other
 * copy would add beyond the ceiling are not made (docs/FORMAT.md "Keyslot"). Without it, the
 * per-slot cap multiplied by 4 slots × 2 copies.
 */
export const MAX_OPEN_KDF_WORK_KIB = 2 * MAX_KDF_WORK_KIB;

/** The work of one Argon2id run, in KiB-passes (its time is proportional to it). */
export const kdfWork = (p: KdfParams): number => p.memoryKiB * p.iterations;

/** The Argon2id work one open attempt (or key proof) may still spend. */
export class KdfBudget {
  spentKiB = 0;
  /** Runs made, with their parameters (what the bound is proved with). */
  readonly runs: KdfParams[] = [];
  /** True once a run was not made because it would have passed the ceiling. */
  exhausted = false;
  constructor(readonly limitKiB = MAX_OPEN_KDF_WORK_KIB) {}
  /** Reserves one run of `p`; false (and nothing spent) if it would pass the ceiling. */
  take(p: KdfParams): boolean {
    if (this.spentKiB + kdfWork(p) > this.limitKiB) {
      this.exhausted = true;
      return false;
    }
    this.spentKiB += kdfWork(p);
    this.runs.push({ ...p });
    return true;
  }
}

/** The Argon2id work of trying every password slot of one header (slots sharing salt and parameters run once). */
export function headerKdfWork(slots: readonly { kdf: KdfParams | null; salt: Uint8Array }[]): number {
  const distinct = new Map<string, number>();
  for (const s of slots) if (s.kdf) distinct.set(`${Array.from(s.salt).join(',')}:${s.kdf.memoryKiB}/${s.kdf.iterations}/${s.kdf.parallelism}`, kdfWork(s.kdf));
  let total = 0;
  for (const w of distinct.values()) total += w;
  return total;
}

export const SALT_SIZE = 16;
/** Longest accepted password in UTF-8 bytes (after NFC). Longer input is refused, never truncated. */
export const MAX_PASSWORD_BYTES = 65536;

export function validateKdfParams(p: KdfParams, origin: 'header' | 'option'): void {
  const ok =
    Number.isInteger(p.memoryKiB) &&
    Number.isInteger(p.iterations) &&
    Number.isInteger(p.parallelism) &&
    p.memoryKiB >= MIN_KDF.memoryKiB &&
    p.memoryKiB <= MAX_KDF.memoryKiB &&
    p.iterations >= MIN_KDF.iterations &&
    p.iterations <= MAX_KDF.iterations &&
    p.parallelism >= 1 &&
    p.parallelism <= MAX_KDF.parallelism &&
    p.memoryKiB >= 8 * p.parallelism && // RFC 9106 §3.1: m ≥ 8p
    p.memoryKiB * p.iterations <= MAX_KDF_WORK_KIB;
  if (ok) return;
  const range = `memoryKiB ${MIN_KDF.memoryKiB}..${MAX_KDF.memoryKiB}, iterations ${MIN_KDF.iterations}..${MAX_KDF.iterations}, parallelism 1..${MAX_KDF.parallelism}, memoryKiB × iterations ≤ ${MAX_KDF_WORK_KIB}`;
  if (origin === 'header') {
    throw new CipherliteError('NOT_A_DATABASE', `keyslot has out-of-range Argon2id parameters (accepted: ${range})`);
  }
  throw new CipherliteError('INVALID_ARGUMENT', `Argon2id parameters out of range (accepted: ${range})`);
}

/** A UTF-16 code unit of a surrogate pair standing alone (in `u` mode a whole pair is one code point). */
const LONE_SURROGATE = /\p{Surrogate}/u;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A password as the bytes Argon2id gets: a string is NFC-normalized and UTF-8-encoded; a
 * `Uint8Array` is taken to be exactly that already (the form a worker keeps, because bytes can be
 * wiped and strings cannot) and is copied as given — core cannot check its normalization without
 * turning it back into a string. Either way the result is a fresh copy the caller wipes.
 *
 * Ill-formed input is refused (INVALID_ARGUMENT), never repaired: a string with a lone surrogate
 * (`"\ud800"`) would be UTF-8-encoded as U+FFFD, so every such password — and U+FFFD itself —
 * would open the same database; bytes that are not valid UTF-8 are refused likewise.
 */
export function encodePassword(password: string | Uint8Array): Uint8Array {
  if (password instanceof Uint8Array) {
    if (password.length === 0) throw new CipherliteError('INVALID_ARGUMENT', 'password must not be empty');
    if (password.length > MAX_PASSWORD_BYTES) throw new CipherliteError('INVALID_ARGUMENT', `password is longer than ${MAX_PASSWORD_BYTES} bytes`);
    try {
      STRICT_UTF8.decode(password);
    } catch {
      throw new CipherliteError('INVALID_ARGUMENT', 'password bytes are not valid UTF-8');
    }
    return new Uint8Array(password); // a copy, even of a Node Buffer (whose slice() shares memory)
  }
  if (typeof password !== 'string') throw new CipherliteError('INVALID_ARGUMENT', 'password must be a string or its UTF-8 bytes (Uint8Array)');
  if (password.length === 0) throw new CipherliteError('INVALID_ARGUMENT', 'password must not be empty');
  if (LONE_SURROGATE.test(password)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'password is not well-formed Unicode (it has a lone surrogate); it cannot be encoded as UTF-8 without changing it');
  }
  if (password.length > MAX_PASSWORD_BYTES) {
    throw new CipherliteError('INVALID_ARGUMENT', `password is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  const bytes = new TextEncoder().encode(password.normalize('NFC'));
  if (bytes.length > MAX_PASSWORD_BYTES) {
    bytes.fill(0);
    throw new CipherliteError('INVALID_ARGUMENT', `password is longer than ${MAX_PASSWORD_BYTES} bytes`);
  }
  return bytes;
}

/** Runs Argon2id; the caller wipes `password` and the returned key. */
export async function deriveKek(password: Uint8Array, salt: Uint8Array, p: KdfParams): Promise<Uint8Array> {
  validateKdfParams(p, 'header');
  return argon2id({
    password,
    salt,
    iterations: p.iterations,
    memorySize: p.memoryKiB,
    parallelism: p.parallelism,
    hashLength: 32,
    outputType: 'binary',
  });
}
