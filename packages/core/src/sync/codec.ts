/**
 * The plaintext of one sync log entry (the replica encrypts it; the device id travels beside it
 * in the log record):
 *
 *   offset 0  u8   ENTRY_VERSION
 *   offset 1  u8   kind: KIND_CHANGESET | KIND_SCHEMA
 *   offset 2  u32  the writing device's transaction number (big-endian), unique per device
 *   offset 6  …    body: an SQLite changeset, or UTF-8 JSON { version, sql } for a schema entry
 *
 * A malformed entry is CORRUPT: an entry is never guessed at.
 */
import { CipherliteError } from '../errors.js';

export const ENTRY_VERSION = 1;
export const KIND_CHANGESET = 1;
export const KIND_SCHEMA = 2;
export const ENTRY_HEADER_SIZE = 6;

export type SyncEntry =
  { readonly kind: 'changeset'; readonly tx: number; readonly changeset: Uint8Array } | { readonly kind: 'schema'; readonly tx: number; readonly version: number; readonly sql: string };

export function encodeEntry(e: SyncEntry): Uint8Array {
  const body = e.kind === 'changeset' ? e.changeset : new TextEncoder().encode(JSON.stringify({ version: e.version, sql: e.sql }));
  const out = new Uint8Array(ENTRY_HEADER_SIZE + body.length);
  out[0] = ENTRY_VERSION;
  out[1] = e.kind === 'changeset' ? KIND_CHANGESET : KIND_SCHEMA;
  new DataView(out.buffer).setUint32(2, e.tx);
  out.set(body, ENTRY_HEADER_SIZE);
  return out;
}

export function decodeEntry(bytes: Uint8Array, seq: number): SyncEntry {
  const bad = (why: string): never => {
    throw new CipherliteError('CORRUPT', `sync log entry ${seq} is malformed: ${why}`, { seq });
  };
  if (bytes.length < ENTRY_HEADER_SIZE) bad(`expected at least ${ENTRY_HEADER_SIZE} bytes, got ${bytes.length}`);
  if (bytes[0] !== ENTRY_VERSION) bad(`unknown version ${bytes[0]}`);
  const tx = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  const body = bytes.subarray(ENTRY_HEADER_SIZE);
  if (bytes[1] === KIND_CHANGESET) return { kind: 'changeset', tx, changeset: body.slice() };
  if (bytes[1] !== KIND_SCHEMA) return bad(`unknown kind ${bytes[1]}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return bad('schema body is not UTF-8 JSON');
  }
  const { version, sql } = (parsed ?? {}) as { version?: unknown; sql?: unknown };
  if (!Number.isSafeInteger(version) || (version as number) < 1 || typeof sql !== 'string') return bad('schema body needs an integer version ≥ 1 and an sql string');
  return { kind: 'schema', tx, version: version as number, sql };
}
