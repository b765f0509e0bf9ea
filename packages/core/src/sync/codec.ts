/**
 * The plaintext of one sync log entry (the replica encrypts it; the device id travels beside it
 * in the log record):
 *
 *   offset 0  u8   version: ENTRY_VERSION (unsigned, logs written before device identity) or
 *                  ENTRY_VERSION_SIGNED
 *   offset 1  u8   kind: KIND_CHANGESET | KIND_SCHEMA | KIND_DEVICE | KIND_DEVICE_REMOVED
 *   offset 2  u32  the writing device's transaction number (big-endian), unique per device (0 for
 *                  every kind but changeset)
 *   offset 6  …    body: an SQLite changeset; UTF-8 JSON { version, sql } for a schema entry; the
 *                  device's raw P-256 public key (65 bytes) ‖ UTF-8 name for a device entry; the
 *                  UTF-8 id of the removed device for a device-removed entry
 *   last 64        (signed entries only) ECDSA P-256 / SHA-256 signature, r ‖ s (sync/devices.ts)
 *
 * Device and device-removed entries exist only signed. A malformed entry is CORRUPT: an entry is
 * never guessed at.
 */
import { CipherliteError } from '../errors.js';

export const ENTRY_VERSION = 1;
export const ENTRY_VERSION_SIGNED = 2;
export const KIND_CHANGESET = 1;
export const KIND_SCHEMA = 2;
export const KIND_DEVICE = 3;
export const KIND_DEVICE_REMOVED = 4;
export const ENTRY_HEADER_SIZE = 6;
export const SIGNATURE_SIZE = 64;
/** An uncompressed P-256 point: 0x04 ‖ x ‖ y. */
export const PUBLIC_KEY_SIZE = 65;
const MAX_DEVICE_NAME = 200;

export type SyncEntry =
  | { readonly kind: 'changeset'; readonly tx: number; readonly changeset: Uint8Array }
  | { readonly kind: 'schema'; readonly tx: number; readonly version: number; readonly sql: string }
  | { readonly kind: 'device'; readonly tx: number; readonly publicKey: Uint8Array; readonly name: string }
  | { readonly kind: 'device-removed'; readonly tx: number; readonly target: string };

/** An entry as read: its fields, and for a signed one the signature and the bytes it covers. */
export interface ReadEntry {
  readonly entry: SyncEntry;
  readonly signature: { readonly value: Uint8Array; readonly covered: Uint8Array } | null;
}

const KINDS = { changeset: KIND_CHANGESET, schema: KIND_SCHEMA, device: KIND_DEVICE, 'device-removed': KIND_DEVICE_REMOVED } as const;

/** The entry without its signature: the whole unsigned entry (version 1), or the part a signature covers (version 2). */
export function encodeEntry(e: SyncEntry, signed = false): Uint8Array {
  if (!signed && (e.kind === 'device' || e.kind === 'device-removed')) throw new CipherliteError('INVALID_ARGUMENT', `a ${e.kind} entry must be signed`);
  const body = encodeBody(e);
  const out = new Uint8Array(ENTRY_HEADER_SIZE + body.length);
  out[0] = signed ? ENTRY_VERSION_SIGNED : ENTRY_VERSION;
  out[1] = KINDS[e.kind];
  new DataView(out.buffer).setUint32(2, e.tx);
  out.set(body, ENTRY_HEADER_SIZE);
  return out;
}

function encodeBody(e: SyncEntry): Uint8Array {
  const utf8 = new TextEncoder();
  switch (e.kind) {
    case 'changeset':
      return e.changeset;
    case 'schema':
      return utf8.encode(JSON.stringify({ version: e.version, sql: e.sql }));
    case 'device': {
      if (e.publicKey.length !== PUBLIC_KEY_SIZE) throw new CipherliteError('INVALID_ARGUMENT', `expected a ${PUBLIC_KEY_SIZE}-byte public key, got ${e.publicKey.length}`);
      const name = utf8.encode(e.name);
      if (name.length > MAX_DEVICE_NAME) throw new CipherliteError('INVALID_ARGUMENT', `device names are at most ${MAX_DEVICE_NAME} bytes`);
      const out = new Uint8Array(PUBLIC_KEY_SIZE + name.length);
      out.set(e.publicKey);
      out.set(name, PUBLIC_KEY_SIZE);
      return out;
    }
    case 'device-removed':
      return utf8.encode(e.target);
  }
}

export function decodeEntry(bytes: Uint8Array, seq: number): SyncEntry {
  return readEntry(bytes, seq).entry;
}

export function readEntry(bytes: Uint8Array, seq: number): ReadEntry {
  const bad = (why: string): never => {
    throw new CipherliteError('CORRUPT', `sync log entry ${seq} is malformed: ${why}`, { seq });
  };
  const signed = bytes[0] === ENTRY_VERSION_SIGNED;
  const min = ENTRY_HEADER_SIZE + (signed ? SIGNATURE_SIZE : 0);
  if (bytes.length < min) bad(`expected at least ${min} bytes, got ${bytes.length}`);
  if (bytes[0] !== ENTRY_VERSION && !signed) bad(`unknown version ${bytes[0]}`);
  const covered = signed ? bytes.subarray(0, bytes.length - SIGNATURE_SIZE) : bytes;
  const signature = signed ? { value: bytes.slice(bytes.length - SIGNATURE_SIZE), covered: covered.slice() } : null;
  const tx = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  const body = covered.subarray(ENTRY_HEADER_SIZE);
  const text = (): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return bad('body is not UTF-8');
    }
  };
  switch (bytes[1]) {
    case KIND_CHANGESET:
      return { entry: { kind: 'changeset', tx, changeset: body.slice() }, signature };
    case KIND_SCHEMA: {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text());
      } catch {
        return bad('schema body is not UTF-8 JSON');
      }
      const { version, sql } = (parsed ?? {}) as { version?: unknown; sql?: unknown };
      if (!Number.isSafeInteger(version) || (version as number) < 1 || typeof sql !== 'string') return bad('schema body needs an integer version ≥ 1 and an sql string');
      return { entry: { kind: 'schema', tx, version: version as number, sql }, signature };
    }
    case KIND_DEVICE:
    case KIND_DEVICE_REMOVED:
      if (!signature) return bad(`an unsigned ${bytes[1] === KIND_DEVICE ? 'device' : 'device-removed'} entry`);
      if (bytes[1] === KIND_DEVICE_REMOVED) return { entry: { kind: 'device-removed', tx, target: text() }, signature };
      if (body.length < PUBLIC_KEY_SIZE) return bad('device body is shorter than a public key');
      return {
        entry: { kind: 'device', tx, publicKey: body.slice(0, PUBLIC_KEY_SIZE), name: new TextDecoder().decode(body.subarray(PUBLIC_KEY_SIZE)) },
        signature,
      };
    default:
      return bad(`unknown kind ${bytes[1]}`);
  }
}
