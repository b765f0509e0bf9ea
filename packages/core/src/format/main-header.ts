/**
 * The main database header: two 4096-byte copies (A at offset 0, B at 4096).
 *
 * Why two copies: the header holds the wrapped data key. A torn write of the only copy would
 * lose the database; with A/B copies every update writes the copy that is *not* current, flushes,
 * and only then is the new sequence number in force. Open takes the valid copy with the highest
 * sequence (see docs/DESIGN.md "Format decisions").
 *
 * Two checks per copy, for two different threats:
 * - an unkeyed checksum (SHA-256 prefix) detects accidents — torn writes, bit rot — and lets open
 *   pick a copy *before* it knows any key;
 * - an HMAC under a subkey of the data key detects tampering; it can only be checked after a
 *   keyslot has been opened, and nothing from the header is trusted beyond the bounded KDF
 *   parameters until it has been.
 *
 * Layout of one copy (big-endian integers):
 *   0   magic "cipherlt"          8
 *   8   format version            u16
 *   10  file kind (1 = main)      u8
 *   11  cipher id (1 = AES-GCM)   u8
 *   12  block size                u32
 *   16  file id                   16
 *   32  sequence                  u64
 *   40  next key epoch            u32
 *   44  flags (0)                 u32
 *   48  created at (ms)           u64
 *   56  keyslot count             u8
 *   57  reserved (0)              7
 *   64  keyslots                  4 × 256
 *   1088 WAL binding              36   (format/wal-binding.ts; all zero = none recorded)
 *   1124 journal binding          28   (format/journal-binding.ts; all zero = never bound)
 *   1152 reserved (0)             2896
 *   4048 checksum = SHA-256(0..4048)[0..16]
 *   4064 MAC = HMAC-SHA256(header-mac key, 0..4064)
 */
import { CipherliteError } from '../errors.js';
import { hmacSha256, sha256 } from '../crypto/subkeys.js';
import { constantTimeEqual } from '../crypto/wipe.js';
import { headerKdfWork, MAX_KDF, MAX_OPEN_KDF_WORK_KIB, validateKdfParams } from '../crypto/kdf.js';
import type { KdfParams } from '../types.js';
import { bytesEqual, startsWith, view } from './bytes.js';
import { decodeWalBinding, encodeWalBinding, NO_WAL_BINDING, type WalBinding } from './wal-binding.js';
import { decodeJournalBinding, encodeJournalBinding, UNBOUND_JOURNAL, type JournalBinding } from './journal-binding.js';
import { decodePasskeyFields, encodePasskeyFields, PK_AAD_START, type PasskeySlotFields } from './passkey-slot.js';
import {
  CIPHER_AES_256_GCM,
  FILE_ID_SIZE,
  FILE_KIND,
  FORMAT_VERSION,
  HDR_JOURNAL_BINDING,
  JOURNAL_BINDING_SIZE,
  isValidBlockSize,
  KEYSLOT_SIZE,
  MAGIC,
  MAIN_HEADER_COPY_SIZE,
  MAIN_HEADER_SIZE,
  MAX_KEYSLOTS,
  SQLITE_MAGIC,
} from './constants.js';

export const HDR_VERSION = 8;
export const HDR_KIND = 10;
export const HDR_CIPHER = 11;
export const HDR_BLOCK_SIZE = 12;
export const HDR_FILE_ID = 16;
export const HDR_SEQUENCE = 32;
export const HDR_NEXT_EPOCH = 40;
export const HDR_FLAGS = 44;
export const HDR_CREATED_AT = 48;
export const HDR_KEYSLOT_COUNT = 56;
export const HDR_KEYSLOTS = 64;
/** Start of the reserved (zero) bytes, after the keyslots, the WAL binding and the journal binding. */
export const HDR_RESERVED = HDR_JOURNAL_BINDING + JOURNAL_BINDING_SIZE;
export const HDR_CHECKSUM = 4048;
export const HDR_MAC = 4064;
const CHECKSUM_SIZE = 16;

// keyslot fields
export const KS_KIND = 0;
export const KS_KDF = 1;
export const KS_MEMORY = 4;
export const KS_ITERATIONS = 8;
export const KS_PARALLELISM = 12;
export const KS_SALT = 16;
export const KS_CREATED_AT = 32;
export const KS_WRAP_NONCE = 40;
export const KS_WRAPPED_KEY = 52;
export const KS_WRAP_TAG = 84;
export const KS_COMMITMENT = 100;
/** Bytes of a keyslot that are bound into the wrap AAD (everything before the nonce). */
export const KS_AAD_END = 40;

export type KeyslotKind = 'password' | 'raw' | 'recovery' | 'passkey';
/**
 * Kind codes. A reader refuses a slot kind it does not know (NOT_A_DATABASE, naming the kind),
 * so a file with a passkey slot is refused clearly by builds that predate kind 4.
 */
const KEYSLOT_KIND_CODE: Record<KeyslotKind, number> = { password: 1, raw: 2, recovery: 3, passkey: 4 };
const KDF_NONE = 0;
const KDF_ARGON2ID = 1;

export interface Keyslot {
  kind: KeyslotKind;
  /** Argon2id parameters (password slots only). */
  kdf: KdfParams | null;
  salt: Uint8Array;
  createdAt: number;
  wrapNonce: Uint8Array;
  wrappedKey: Uint8Array;
  wrapTag: Uint8Array;
  commitment: Uint8Array;
  /** Passkey slots only: the credential and label (format/passkey-slot.ts). */
  passkey?: PasskeySlotFields;
}

export interface MainHeader {
  blockSize: number;
  fileId: Uint8Array;
  sequence: number;
  nextEpoch: number;
  createdAt: number;
  keyslots: Keyslot[];
  /** WAL generations this file may meet (format/wal-binding.ts); absent = none recorded. */
  wal?: WalBinding;
  /** Whether a transaction may be in flight, under which rollback journal (format/journal-binding.ts); absent = never bound. */
  journal?: JournalBinding;
}

function encodeKeyslot(s: Keyslot, out: Uint8Array): void {
  const dv = view(out);
  out[KS_KIND] = KEYSLOT_KIND_CODE[s.kind];
  out[KS_KDF] = s.kdf ? KDF_ARGON2ID : KDF_NONE;
  if (s.kdf) {
    dv.setUint32(KS_MEMORY, s.kdf.memoryKiB);
    dv.setUint32(KS_ITERATIONS, s.kdf.iterations);
    dv.setUint32(KS_PARALLELISM, s.kdf.parallelism);
  }
  out.set(s.salt, KS_SALT);
  dv.setBigUint64(KS_CREATED_AT, BigInt(s.createdAt));
  out.set(s.wrapNonce, KS_WRAP_NONCE);
  out.set(s.wrappedKey, KS_WRAPPED_KEY);
  out.set(s.wrapTag, KS_WRAP_TAG);
  out.set(s.commitment, KS_COMMITMENT);
  if (s.kind === 'passkey') encodePasskeyFields(s.passkey!, out);
}

/**
 * The bytes of a slot bound into the wrap AAD, as they will be encoded: the first 40 bytes, and
 * for a passkey slot also its credential id and label (bytes 132..256).
 */
export function keyslotAadPrefix(s: Pick<Keyslot, 'kind' | 'kdf' | 'salt' | 'createdAt' | 'passkey'>): Uint8Array {
  const tmp = new Uint8Array(KEYSLOT_SIZE);
  encodeKeyslot(
    {
      ...s,
      wrapNonce: new Uint8Array(12),
      wrappedKey: new Uint8Array(32),
      wrapTag: new Uint8Array(16),
      commitment: new Uint8Array(32),
    },
    tmp,
  );
  if (s.kind !== 'passkey') return tmp.slice(0, KS_AAD_END);
  const aad = new Uint8Array(KS_AAD_END + KEYSLOT_SIZE - PK_AAD_START);
  aad.set(tmp.subarray(0, KS_AAD_END), 0);
  aad.set(tmp.subarray(PK_AAD_START), KS_AAD_END);
  return aad;
}

function decodeKeyslot(b: Uint8Array): Keyslot {
  const dv = view(b);
  const kindCode = b[KS_KIND];
  const kind = (Object.keys(KEYSLOT_KIND_CODE) as KeyslotKind[]).find((k) => KEYSLOT_KIND_CODE[k] === kindCode);
  if (!kind) throw new CipherliteError('NOT_A_DATABASE', `unknown keyslot kind ${kindCode} (written by a newer cipherlite?)`);
  let kdf: KdfParams | null = null;
  if (b[KS_KDF] === KDF_ARGON2ID) {
    kdf = { memoryKiB: dv.getUint32(KS_MEMORY), iterations: dv.getUint32(KS_ITERATIONS), parallelism: dv.getUint32(KS_PARALLELISM) };
    // Bounded before anything is allocated: a hostile header must not make us reserve gigabytes.
    validateKdfParams(kdf, 'header');
  } else if (b[KS_KDF] !== KDF_NONE) {
    throw new CipherliteError('NOT_A_DATABASE', `unknown KDF id ${b[KS_KDF]}`);
  }
  if ((kind === 'password') !== (kdf !== null)) throw new CipherliteError('NOT_A_DATABASE', 'keyslot KDF does not match its kind');
  return {
    kind,
    kdf,
    ...(kind === 'passkey' ? { passkey: decodePasskeyFields(b) } : {}),
    salt: b.slice(KS_SALT, KS_SALT + 16),
    createdAt: Number(dv.getBigUint64(KS_CREATED_AT)),
    wrapNonce: b.slice(KS_WRAP_NONCE, KS_WRAP_NONCE + 12),
    wrappedKey: b.slice(KS_WRAPPED_KEY, KS_WRAPPED_KEY + 32),
    wrapTag: b.slice(KS_WRAP_TAG, KS_WRAP_TAG + 16),
    commitment: b.slice(KS_COMMITMENT, KS_COMMITMENT + 32),
  };
}

/** Encodes one header copy, with checksum and MAC. */
export function encodeMainHeader(h: MainHeader, macKey: Uint8Array): Uint8Array {
  if (h.keyslots.length === 0 || h.keyslots.length > MAX_KEYSLOTS) throw new CipherliteError('INVALID_ARGUMENT', `a header needs 1..${MAX_KEYSLOTS} keyslots`);
  const out = new Uint8Array(MAIN_HEADER_COPY_SIZE);
  const dv = view(out);
  out.set(MAGIC, 0);
  dv.setUint16(HDR_VERSION, FORMAT_VERSION);
  out[HDR_KIND] = FILE_KIND.main;
  out[HDR_CIPHER] = CIPHER_AES_256_GCM;
  dv.setUint32(HDR_BLOCK_SIZE, h.blockSize);
  out.set(h.fileId, HDR_FILE_ID);
  dv.setBigUint64(HDR_SEQUENCE, BigInt(h.sequence));
  dv.setUint32(HDR_NEXT_EPOCH, h.nextEpoch);
  dv.setUint32(HDR_FLAGS, 0);
  dv.setBigUint64(HDR_CREATED_AT, BigInt(h.createdAt));
  out[HDR_KEYSLOT_COUNT] = h.keyslots.length;
  h.keyslots.forEach((s, i) => encodeKeyslot(s, out.subarray(HDR_KEYSLOTS + i * KEYSLOT_SIZE, HDR_KEYSLOTS + (i + 1) * KEYSLOT_SIZE)));
  encodeWalBinding(h.wal ?? NO_WAL_BINDING, out);
  encodeJournalBinding(h.journal ?? UNBOUND_JOURNAL, out);
  out.set(sha256(out.subarray(0, HDR_CHECKSUM)).subarray(0, CHECKSUM_SIZE), HDR_CHECKSUM);
  out.set(hmacSha256(macKey, out.subarray(0, HDR_MAC)), HDR_MAC);
  return out;
}

export type HeaderCopyResult = { ok: true; header: MainHeader } | { ok: false; reason: string };

/**
 * Structural check of one copy without any key: magic, version, checksum, field bounds.
 * Throws (NOT_A_DATABASE) only for a well-formed copy whose *contents* we refuse (unknown
 * version, out-of-range KDF): that is not damage but a file we must not try to open.
 */
export function decodeMainHeaderCopy(b: Uint8Array): HeaderCopyResult {
  if (b.length < MAIN_HEADER_COPY_SIZE) return { ok: false, reason: 'short' };
  if (!startsWith(b, MAGIC)) return { ok: false, reason: 'bad magic' };
  const sum = sha256(b.subarray(0, HDR_CHECKSUM)).subarray(0, CHECKSUM_SIZE);
  if (!bytesEqual(sum, b.subarray(HDR_CHECKSUM, HDR_CHECKSUM + CHECKSUM_SIZE))) return { ok: false, reason: 'checksum mismatch' };
  const dv = view(b);
  const version = dv.getUint16(HDR_VERSION);
  if (version !== FORMAT_VERSION) throw new CipherliteError('NOT_A_DATABASE', `unsupported format version ${version} (this build reads version ${FORMAT_VERSION})`);
  if (b[HDR_KIND] !== FILE_KIND.main) return { ok: false, reason: 'not a main database header' };
  if (b[HDR_CIPHER] !== CIPHER_AES_256_GCM) throw new CipherliteError('NOT_A_DATABASE', `unsupported cipher id ${b[HDR_CIPHER]}`);
  const blockSize = dv.getUint32(HDR_BLOCK_SIZE);
  if (!isValidBlockSize(blockSize)) throw new CipherliteError('NOT_A_DATABASE', `invalid block size ${blockSize}`);
  const count = b[HDR_KEYSLOT_COUNT]!;
  if (count < 1 || count > MAX_KEYSLOTS) throw new CipherliteError('NOT_A_DATABASE', `invalid keyslot count ${count}`);
  const keyslots: Keyslot[] = [];
  for (let i = 0; i < count; i++) keyslots.push(decodeKeyslot(b.subarray(HDR_KEYSLOTS + i * KEYSLOT_SIZE, HDR_KEYSLOTS + (i + 1) * KEYSLOT_SIZE)));
  // Bounded before any Argon2id run: trying every slot of this copy fits one open attempt's budget.
  const work = headerKdfWork(keyslots);
  if (work > MAX_OPEN_KDF_WORK_KIB) {
    throw new CipherliteError('NOT_A_DATABASE', `keyslots ask for ${work} KiB-passes of Argon2id work together (at most ${MAX_OPEN_KDF_WORK_KIB} per open attempt)`);
  }
  return {
    ok: true,
    header: {
      blockSize,
      fileId: b.slice(HDR_FILE_ID, HDR_FILE_ID + FILE_ID_SIZE),
      sequence: Number(dv.getBigUint64(HDR_SEQUENCE)),
      nextEpoch: dv.getUint32(HDR_NEXT_EPOCH),
      createdAt: Number(dv.getBigUint64(HDR_CREATED_AT)),
      keyslots,
      wal: decodeWalBinding(b),
      journal: decodeJournalBinding(b),
    },
  };
}

/** One header copy as found on storage: decoded, or why not (`refused`: well-formed but not ours to open). */
export type ScannedCopy = { index: 0 | 1; bytes: Uint8Array } & ({ ok: true; header: MainHeader } | { ok: false; reason: string; refused: boolean });

/** What the first MAIN_HEADER_SIZE bytes of a file are, without any key. */
export type MainHeaderScan =
  | { kind: 'sqlite' }
  | { kind: 'too-short'; length: number }
  | { kind: 'container'; copies: ScannedCopy[]; /** intact copies, highest sequence first */ valid: (ScannedCopy & { ok: true })[]; problem: string | null };

/**
 * The one keyless reading of a main header, shared by open and `cipherlite info` so both judge a
 * file alike. A copy that fails its checks — damage, or contents we refuse (unknown version,
 * out-of-range KDF) — is just not intact: the other copy may still be (`problem` says why none
 * is, when none is).
 */
export function scanMainHeader(head: Uint8Array): MainHeaderScan {
  if (startsWith(head, SQLITE_MAGIC)) return { kind: 'sqlite' };
  if (head.length < MAIN_HEADER_SIZE) return { kind: 'too-short', length: head.length };
  const copies: ScannedCopy[] = ([0, 1] as const).map((index) => {
    const bytes = head.subarray(index * MAIN_HEADER_COPY_SIZE, (index + 1) * MAIN_HEADER_COPY_SIZE);
    try {
      const r = decodeMainHeaderCopy(bytes);
      return r.ok ? { index, bytes, ok: true, header: r.header } : { index, bytes, ok: false, reason: r.reason, refused: false };
    } catch (e) {
      if (!(e instanceof CipherliteError)) throw e;
      return { index, bytes, ok: false, reason: e.message, refused: true };
    }
  });
  const valid = copies.filter((c): c is ScannedCopy & { ok: true } => c.ok).sort((a, b) => b.header.sequence - a.header.sequence);
  const refused = copies.find((c) => !c.ok && c.refused) as { reason: string } | undefined;
  const problem = valid.length > 0 ? null : (refused?.reason ?? 'not a cipherlite database (no valid header)');
  return { kind: 'container', copies, valid, problem };
}

export function verifyMainHeaderMac(b: Uint8Array, macKey: Uint8Array): boolean {
  return constantTimeEqual(hmacSha256(macKey, b.subarray(0, HDR_MAC)), b.subarray(HDR_MAC, HDR_MAC + 32));
}

/** Largest Argon2 memory a header may ask for, re-exported for docs/tests. */
export const MAX_HEADER_KDF_MEMORY_KIB = MAX_KDF.memoryKiB;
