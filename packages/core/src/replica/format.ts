/**
 * The replica's remote format (docs/REPLICA.md): object names, the plaintext envelope every
 * object starts with, and the encrypted bodies of log entries, snapshot chunks and manifests.
 *
 * Every object is `envelope ‖ AES-256-GCM(body padded to a size bucket) ‖ tag`, with the
 * envelope as additional data: what the envelope says (which database, which generation, which
 * position) is authenticated, so an object moved to another name, or taken from another
 * database, fails a plain comparison or authentication — never decrypts into the wrong place.
 * Integers are big-endian.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '../crypto/random.js';
import { CipherliteError } from '../errors.js';

const enc = new TextEncoder();

export const FORMAT_VERSION = 1;
export const ID_SIZE = 16;
export const HASH_SIZE = 32;
export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;

/** Object kinds, by their 4-byte magic. */
export const MAGIC = { entry: 'CLRL', chunk: 'CLRS', manifest: 'CLRM', keys: 'CLRK' } as const;
export type ObjectKind = keyof typeof MAGIC;

/** Envelope: magic(4) version(1) replicaId(16) generationId(16) generation(4) seq(8) index(4) count(4) nonce(12) = 69 bytes. */
export const ENV_MAGIC = 0;
export const ENV_VERSION = 4;
export const ENV_REPLICA_ID = 5;
export const ENV_GENERATION_ID = ENV_REPLICA_ID + ID_SIZE;
export const ENV_GENERATION = ENV_GENERATION_ID + ID_SIZE;
export const ENV_SEQ = ENV_GENERATION + 4;
export const ENV_INDEX = ENV_SEQ + 8;
export const ENV_COUNT = ENV_INDEX + 4;
export const ENV_NONCE = ENV_COUNT + 4;
export const ENVELOPE_SIZE = ENV_NONCE + NONCE_SIZE;

/**
 * Log entry kinds (body byte ENTRY_KIND). `changeset`, `schema`, `device` are multi-device sync's;
 * `image` is the whole database, its pages in the snapshot chunks at the entry's own seq.
 */
export const ENTRY_KINDS = ['genesis', 'pages', 'changeset', 'schema', 'keys', 'device', 'image'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/** Entry body: prevHash(32) deviceId(16) time ms(8, float64) kind(1) payloadLength(4) payload, then zero padding. */
const ENTRY_PREV = 0;
const ENTRY_DEVICE = ENTRY_PREV + HASH_SIZE;
const ENTRY_TIME = ENTRY_DEVICE + ID_SIZE;
const ENTRY_KIND = ENTRY_TIME + 8;
const ENTRY_LENGTH = ENTRY_KIND + 1;
const ENTRY_PAYLOAD = ENTRY_LENGTH + 4;

/** Where an object sits: the fields of its envelope. */
export interface Position {
  replicaId: Uint8Array;
  generationId: Uint8Array;
  generation: number;
  seq: number;
  /** Chunk index within a snapshot (0 elsewhere). */
  index: number;
  /** Chunks in the snapshot (0 elsewhere). */
  count: number;
}

export interface Entry {
  prevHash: Uint8Array;
  deviceId: Uint8Array;
  time: number;
  kind: EntryKind;
  payload: Uint8Array;
}

// ---------------------------------------------------------------- names

const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');
export const generationDir = (prefix: string, generation: number): string => `${prefix}/g/${hex(generation, 8)}`;
export const keysName = (prefix: string, generation: number): string => `${generationDir(prefix, generation)}/keys`;
/** The keys object re-uploaded with the `keys` log entry at `seq` (a keyslot change). */
export const keysCopyName = (prefix: string, generation: number, seq: number): string => `${generationDir(prefix, generation)}/keyslots/${hex(seq, 16)}`;
export const entryName = (prefix: string, generation: number, seq: number): string => `${generationDir(prefix, generation)}/log/${hex(seq, 16)}`;
export const snapshotDir = (prefix: string, generation: number, seq: number): string => `${generationDir(prefix, generation)}/snap/${hex(seq, 16)}`;
export const chunkName = (prefix: string, generation: number, seq: number, index: number): string => `${snapshotDir(prefix, generation, seq)}/${hex(index, 8)}`;
export const manifestName = (prefix: string, generation: number, seq: number): string => `${snapshotDir(prefix, generation, seq)}/manifest`;

/** Parses the 16-hex-digit number at the end of `name` after `dir/`; null when it is not one. */
export function seqOf(name: string, dir: string): number | null {
  const m = new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([0-9a-f]{16})(?:/|$)`).exec(name);
  return m ? parseInt(m[1]!, 16) : null;
}

// ---------------------------------------------------------------- keys

/** HKDF(data key, salt = generation id, info = label): one key per purpose and generation. */
export function replicaKey(dek: Uint8Array, generationId: Uint8Array, purpose: 'log' | 'snapshot' | 'keys-mac'): Uint8Array {
  return hkdf(sha256, dek, generationId, enc.encode(`cipherlite/v1/replica-${purpose}`), 32);
}

// ---------------------------------------------------------------- padding

/** What an object adds to its padded body: the envelope before it and the GCM tag after it. */
export const OBJECT_OVERHEAD = ENVELOPE_SIZE + TAG_SIZE;

/**
 * Padded body size of an `n`-byte body. Up to 1 MiB the whole object (envelope ‖ padded body ‖
 * tag) is a power of two, at least 512 bytes; a body that cannot fit 1 MiB with them is padded to
 * the next whole MiB (a full snapshot chunk, exactly 1 MiB of pages, stays 1 MiB).
 */
export function paddedSize(n: number): number {
  if (n + OBJECT_OVERHEAD <= 1 << 20) return 2 ** Math.ceil(Math.log2(Math.max(512, n + OBJECT_OVERHEAD))) - OBJECT_OVERHEAD;
  return Math.ceil(n / (1 << 20)) * (1 << 20);
}

// ---------------------------------------------------------------- envelope + AEAD

export function writeEnvelope(kind: ObjectKind, p: Position, nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_SIZE);
  const dv = new DataView(out.buffer);
  out.set(enc.encode(MAGIC[kind]), ENV_MAGIC);
  out[ENV_VERSION] = FORMAT_VERSION;
  out.set(p.replicaId, ENV_REPLICA_ID);
  out.set(p.generationId, ENV_GENERATION_ID);
  dv.setUint32(ENV_GENERATION, p.generation);
  dv.setBigUint64(ENV_SEQ, BigInt(p.seq));
  dv.setUint32(ENV_INDEX, p.index);
  dv.setUint32(ENV_COUNT, p.count);
  out.set(nonce, ENV_NONCE);
  return out;
}

export function readEnvelope(bytes: Uint8Array, kind: ObjectKind, name: string): Position {
  if (bytes.length < ENVELOPE_SIZE + TAG_SIZE) throw new CipherliteError('REPLICA_CORRUPT', `replica object ${name} is truncated (${bytes.length} bytes)`, { object: name });
  const magic = new TextDecoder().decode(bytes.subarray(ENV_MAGIC, ENV_MAGIC + 4));
  if (magic !== MAGIC[kind]) throw new CipherliteError('REPLICA_CORRUPT', `replica object ${name} is not a ${kind} object`, { object: name });
  if (bytes[ENV_VERSION] !== FORMAT_VERSION) throw new CipherliteError('REPLICA_CORRUPT', `replica object ${name} has unknown format version ${bytes[ENV_VERSION]}`, { object: name });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    replicaId: bytes.slice(ENV_REPLICA_ID, ENV_REPLICA_ID + ID_SIZE),
    generationId: bytes.slice(ENV_GENERATION_ID, ENV_GENERATION_ID + ID_SIZE),
    generation: dv.getUint32(ENV_GENERATION),
    seq: Number(dv.getBigUint64(ENV_SEQ)),
    index: dv.getUint32(ENV_INDEX),
    count: dv.getUint32(ENV_COUNT),
  };
}

/** `envelope ‖ ciphertext ‖ tag` of `body` (zero-padded to its size bucket) at position `p`. */
export function seal(kind: ObjectKind, p: Position, key: Uint8Array, body: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_SIZE);
  const envelope = writeEnvelope(kind, p, nonce);
  const padded = new Uint8Array(paddedSize(body.length));
  padded.set(body);
  const sealed = gcm(key, nonce, envelope).encrypt(padded);
  padded.fill(0);
  const out = new Uint8Array(ENVELOPE_SIZE + sealed.length);
  out.set(envelope);
  out.set(sealed, ENVELOPE_SIZE);
  return out;
}

/**
 * Checks that the object at `name` claims exactly position `expected`: REPLICA_FOREIGN for
 * another database, REPLICA_REORDERED for another position. Nothing is decrypted yet.
 */
export function checkPosition(kind: ObjectKind, bytes: Uint8Array, name: string, expected: Position): void {
  const p = readEnvelope(bytes, kind, name);
  if (!equal(p.replicaId, expected.replicaId)) throw new CipherliteError('REPLICA_FOREIGN', `replica object ${name} belongs to another database`, { object: name });
  if (!equal(p.generationId, expected.generationId) || p.generation !== expected.generation) {
    throw new CipherliteError('REPLICA_REORDERED', `replica object ${name} belongs to generation ${p.generation}, not ${expected.generation}`, { object: name });
  }
  if (p.seq !== expected.seq || p.index !== expected.index || p.count !== expected.count) {
    throw new CipherliteError('REPLICA_REORDERED', `replica object ${name} was written as ${describe(kind, p)}, not ${describe(kind, expected)} (moved or replayed)`, { object: name });
  }
}

export const authFailed = (name: string): CipherliteError => new CipherliteError('REPLICA_CORRUPT', `replica object ${name} fails authentication (replaced or damaged)`, { object: name });

/** checkPosition, then authenticates and decrypts (else REPLICA_CORRUPT). Returns the padded body. */
export function open(kind: ObjectKind, bytes: Uint8Array, name: string, expected: Position, key: Uint8Array): Uint8Array {
  checkPosition(kind, bytes, name, expected);
  try {
    return gcm(key, bytes.subarray(ENV_NONCE, ENVELOPE_SIZE), bytes.subarray(0, ENVELOPE_SIZE)).decrypt(bytes.subarray(ENVELOPE_SIZE));
  } catch {
    throw authFailed(name);
  }
}

function describe(kind: ObjectKind, p: Position): string {
  return kind === 'chunk' ? `chunk ${p.index}/${p.count} of seq ${p.seq}` : `seq ${p.seq}`;
}

// ---------------------------------------------------------------- log entries

export function encodeEntry(e: Entry): Uint8Array {
  const out = new Uint8Array(ENTRY_PAYLOAD + e.payload.length);
  const dv = new DataView(out.buffer);
  out.set(e.prevHash, ENTRY_PREV);
  out.set(e.deviceId, ENTRY_DEVICE);
  dv.setFloat64(ENTRY_TIME, e.time);
  out[ENTRY_KIND] = ENTRY_KINDS.indexOf(e.kind);
  dv.setUint32(ENTRY_LENGTH, e.payload.length);
  out.set(e.payload, ENTRY_PAYLOAD);
  return out;
}

export function decodeEntry(body: Uint8Array, name: string): Entry {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const kind = ENTRY_KINDS[body[ENTRY_KIND] ?? 255];
  const length = body.length >= ENTRY_PAYLOAD ? dv.getUint32(ENTRY_LENGTH) : -1;
  if (!kind || length < 0 || ENTRY_PAYLOAD + length > body.length) throw new CipherliteError('REPLICA_CORRUPT', `replica log entry ${name} does not parse`, { object: name });
  return {
    prevHash: body.slice(ENTRY_PREV, ENTRY_PREV + HASH_SIZE),
    deviceId: body.slice(ENTRY_DEVICE, ENTRY_DEVICE + ID_SIZE),
    time: dv.getFloat64(ENTRY_TIME),
    kind,
    payload: body.slice(ENTRY_PAYLOAD, ENTRY_PAYLOAD + length),
  };
}

/** The hash that chains entries and binds manifests: SHA-256 of the object's bytes as stored. */
export function objectHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export const ZERO_HASH = new Uint8Array(HASH_SIZE);
