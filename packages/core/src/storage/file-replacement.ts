/**
 * Crash-safe replacement of a whole file on a `SyncStorage`, which has no rename.
 *
 * Protocol (a small write-ahead log of one record):
 *   1. the new content is complete and flushed in `<name>~new`;
 *   2. a marker `<name>~replace` is written and flushed: it names the source and records its
 *      size and SHA-256, followed by a checksum of the marker itself — **this is the commit point**;
 *   3. `<name>~new` is copied over `<name>` (write, truncate to size, flush);
 *   4. the marker is deleted, then `<name>~new`.
 *
 * Recovery (`recoverPendingReplace`, run by `Database.open` once the caller's key is proven):
 *   - the marker must be authenticated: it carries an HMAC, under a key derived from the data key,
 *     for the file id of the database being replaced and of the one replacing it; recovery needs
 *     the key of whichever of the two the file holds now (the key the open just proved). A marker
 *     that does not authenticate (planted, or for another database) → CORRUPT, nothing touched;
 *   - an authentic marker → redo step 3 (idempotent: the same bytes land in the same places), then
 *     4; but only if `<name>~new` still matches the recorded size and hash — otherwise CORRUPT and
 *     every file is left as it is for a person to inspect;
 *   - a torn or unreadable marker → the commit point was never reached: discard marker and `~new`;
 *   - `<name>~new` without a marker → an interrupted preparation: discard it.
 * Nothing happens before a key is proven, so an open with a wrong secret writes nothing.
 * So at every instant exactly one complete version of `<name>` is reachable: the old one until the
 * marker is durable, the new one from then on.
 *
 * The caller guarantees that nothing has `<name>` open during steps 2–4, and that `<name>` has no
 * hot journal (a cleanly closed database never has one; any `<name>-journal` is deleted before the
 * commit point, since it belongs to the old content).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createSHA256, type IHasher } from 'hash-wasm';
import { deriveReplaceMarkerMacKey } from '../crypto/subkeys.js';
import { constantTimeEqual } from '../crypto/wipe.js';
import { CipherliteError } from '../errors.js';
import type { SyncFile, SyncStorage } from './sync-file.js';
import { hex } from '../format/bytes.js';

export const REPLACE_SOURCE_SUFFIX = '~new';
export const REPLACE_MARKER_SUFFIX = '~replace';
const MARKER_FORMAT = 'cipherlite-replace';
const MARKER_VERSION = 2;
/** Copy and hash in chunks of this many bytes (bounded memory whatever the file size). */
const CHUNK = 1 << 20;

export const replaceSourceName = (name: string): string => name + REPLACE_SOURCE_SUFFIX;
export const replaceMarkerName = (name: string): string => name + REPLACE_MARKER_SUFFIX;

export type ReplaceProgress = (phase: 'hash' | 'copy', done: number, total: number) => void;

interface Marker {
  format: typeof MARKER_FORMAT;
  version: number;
  source: string;
  size: number;
  sha256: string;
  /** HMAC of the fields above, per database file id (hex → hex). */
  macs: Record<string, string>;
}

/** A database's right to commit or finish a replacement: its file id and marker MAC key. */
export interface ReplaceAuthority {
  fileId: Uint8Array;
  macKey: Uint8Array;
}

/** The authority of an unlocked database (the caller wipes `macKey`). */
export function replaceAuthority(container: { dek: Uint8Array; fileId: Uint8Array }): ReplaceAuthority {
  return { fileId: container.fileId.slice(), macKey: deriveReplaceMarkerMacKey(container.dek, container.fileId) };
}

/** True when a replacement of `name` is pending or half-prepared (read-only check). */
export function hasPendingReplace(storage: SyncStorage, name: string): boolean {
  return storage.exists(replaceMarkerName(name)) || storage.exists(replaceSourceName(name));
}

function markerMac(m: Omit<Marker, 'macs'>, key: Uint8Array): string {
  const signed = JSON.stringify({ format: m.format, version: m.version, source: m.source, size: m.size, sha256: m.sha256 });
  return hex(hmac(sha256, key, new TextEncoder().encode(signed)));
}

/**
 * Replaces `name` with the content of `<name>~new` (which the caller has written and closed),
 * crash-safely as described above. `authorities` are the databases allowed to finish it after a
 * crash: the one being replaced and the one replacing it. Deletes `<name>-journal` (stale after
 * the swap) before the commit point. Progress counts bytes.
 */
export async function replaceFile(storage: SyncStorage, name: string, authorities: readonly ReplaceAuthority[], onProgress?: ReplaceProgress): Promise<void> {
  if (authorities.length === 0) throw new CipherliteError('INVALID_ARGUMENT', 'a replacement needs at least one authority');
  const source = replaceSourceName(name);
  const marker = replaceMarkerName(name);
  if (storage.exists(marker)) {
    throw new CipherliteError('BUSY', `a replacement of "${name}" is already pending; run recoverPendingReplace first`);
  }
  if (!storage.exists(source)) throw new CipherliteError('IO', `no replacement content "${source}"`);
  await storage.prepare?.([name, source, marker, `${name}-journal`]);
  const hasher = await fileHasher();
  const src = storage.open(source, { create: false });
  let size: number;
  let digest: string;
  try {
    src.flush();
    size = src.getSize();
    digest = hashFile(src, size, hasher, (d, t) => onProgress?.('hash', d, t));
  } finally {
    src.close();
  }
  // The old journal belongs to the old content; it must not be rolled back into the new one.
  if (storage.exists(`${name}-journal`)) storage.delete(`${name}-journal`);
  const fields = { format: MARKER_FORMAT, version: MARKER_VERSION, source, size, sha256: digest } as const;
  const macs: Record<string, string> = {};
  for (const a of authorities) macs[hex(a.fileId)] = markerMac(fields, a.macKey);
  writeMarker(storage, marker, { ...fields, macs });
  // ---- committed: from here on, recovery finishes the job ----
  copyOver(storage, source, name, size, (d, t) => onProgress?.('copy', d, t));
  storage.delete(marker);
  storage.delete(source);
}

export type RecoveryOutcome = 'none' | 'completed' | 'discarded';

/**
 * Finishes or discards an interrupted `replaceFile` of `name`. Call it only with the authority of
 * the database `name` holds now, i.e. once its key is proven, and with nothing holding `name` open.
 * Cheap when there is nothing to do (two `exists` checks). Throws CORRUPT (touching nothing) if a
 * committed marker is not authentic for `authority`, or its source no longer matches the recorded
 * size and hash.
 */
export async function recoverPendingReplace(storage: SyncStorage, name: string, authority: ReplaceAuthority): Promise<RecoveryOutcome> {
  const source = replaceSourceName(name);
  const markerName = replaceMarkerName(name);
  const hasMarker = storage.exists(markerName);
  const hasSource = storage.exists(source);
  if (!hasMarker && !hasSource) return 'none';
  await storage.prepare?.([name, source, markerName, `${name}-journal`, `${source}-journal`]);
  const marker = hasMarker ? readMarker(storage, markerName, source) : null;
  if (!marker) {
    // Never committed: the old file is intact; the half-prepared new content is garbage.
    discard(storage, [source, `${source}-journal`, markerName]);
    return 'discarded';
  }
  const mac = marker.macs[hex(authority.fileId)];
  if (mac === undefined || !constantTimeEqual(new TextEncoder().encode(mac), new TextEncoder().encode(markerMac(marker, authority.macKey)))) {
    throw new CipherliteError('CORRUPT', `the replacement marker "${markerName}" is not authenticated by this database's key (planted, or for another database); files left untouched`, {
      fileKind: 'main',
    });
  }
  if (!storage.exists(source)) {
    throw new CipherliteError('CORRUPT', `a committed replacement of "${name}" lost its source "${source}"; files left untouched`);
  }
  const hasher = await fileHasher();
  const src = storage.open(source, { create: false });
  try {
    const size = src.getSize();
    if (size !== marker.size || hashFile(src, size, hasher) !== marker.sha256) {
      throw new CipherliteError('CORRUPT', `the replacement content "${source}" does not match its commit record; files left untouched`);
    }
  } finally {
    src.close();
  }
  if (storage.exists(`${name}-journal`)) storage.delete(`${name}-journal`);
  copyOver(storage, source, name, marker.size);
  storage.delete(markerName);
  discard(storage, [source, `${source}-journal`]);
  return 'completed';
}

function discard(storage: SyncStorage, names: string[]): void {
  for (const n of names) if (storage.exists(n)) storage.delete(n);
}

/**
 * SHA-256 for whole files: hash-wasm's WebAssembly implementation, several times faster than
 * @noble/hashes on megabytes (with noble, hashing the new file was the largest single cost of a
 * rekey). Same function, same digest; noble stays for the small marker body. Created before the
 * file is opened because its set-up is asynchronous.
 */
function fileHasher(): Promise<IHasher> {
  return createSHA256();
}

function hashFile(f: SyncFile, size: number, h: IHasher, onProgress?: (done: number, total: number) => void): string {
  h.init();
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
  // A start event: preparing the handles before this can take a while.
  onProgress?.(0, size);
  for (let at = 0; at < size;) {
    const want = Math.min(buf.length, size - at);
    const n = f.read(buf.subarray(0, want), { at });
    if (n !== want) throw new CipherliteError('IO', `short read while hashing (${n} of ${want} bytes at ${at})`);
    h.update(buf.subarray(0, n));
    at += n;
    onProgress?.(at, size);
  }
  return h.digest('hex');
}

/**
 * Flush the copy's target at least this often. One flush at the end of a large copy is a long
 * pause (in OPFS ~0.4 s for 130 MB) with nothing to report; flushing as the copy goes spreads it
 * over the chunks, so progress keeps coming. Extra flushes after the commit point are harmless:
 * the copy is idempotent and recovery redoes it whole.
 */
const FLUSH_EVERY = 16 * CHUNK;

/**
 * Copies `size` bytes of `from` over `to` (write, truncate, flush). Idempotent. Progress: bytes
 * written; `size` of `size` is reported once the target is flushed.
 */
function copyOver(storage: SyncStorage, from: string, to: string, size: number, onProgress?: (done: number, total: number) => void): void {
  const src = storage.open(from, { create: false });
  const dst = storage.open(to, { create: true });
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
    onProgress?.(0, size);
    let unflushed = 0;
    for (let at = 0; at < size;) {
      const want = Math.min(buf.length, size - at);
      const n = src.read(buf.subarray(0, want), { at });
      if (n !== want) throw new CipherliteError('IO', `short read while copying (${n} of ${want} bytes at ${at})`);
      const w = dst.write(buf.subarray(0, n), { at });
      if (w !== n) throw new CipherliteError('IO', `short write while copying (${w} of ${n} bytes at ${at})`);
      at += n;
      unflushed += n;
      if (unflushed >= FLUSH_EVERY && at < size) {
        dst.flush();
        unflushed = 0;
      }
      if (at < size) onProgress?.(at, size);
    }
    if (dst.getSize() !== size) dst.truncate(size);
    dst.flush();
    onProgress?.(size, size);
  } finally {
    src.close();
    dst.close();
  }
}

function writeMarker(storage: SyncStorage, name: string, m: Marker): void {
  const body = JSON.stringify(m);
  const bytes = new TextEncoder().encode(`${body}\n${hex(sha256(new TextEncoder().encode(body)))}\n`);
  const f = storage.open(name, { create: true });
  try {
    f.truncate(0);
    if (f.write(bytes, { at: 0 }) !== bytes.length) throw new CipherliteError('IO', 'short write of the replacement marker');
    f.flush();
  } finally {
    f.close();
  }
}

/** The marker if it is complete and self-consistent, else null (a torn marker = not committed). */
function readMarker(storage: SyncStorage, name: string, expectedSource: string): Marker | null {
  const f = storage.open(name, { create: false });
  let text: string;
  try {
    const size = f.getSize();
    if (size === 0 || size > 4096) return null;
    const buf = new Uint8Array(size);
    if (f.read(buf, { at: 0 }) !== size) return null;
    text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  } finally {
    f.close();
  }
  const lines = text.split('\n');
  if (lines.length !== 3 || lines[2] !== '') return null;
  const [body, check] = lines as [string, string];
  if (hex(sha256(new TextEncoder().encode(body))) !== check) return null;
  let m: Marker;
  try {
    m = JSON.parse(body) as Marker;
  } catch {
    return null;
  }
  const valid =
    m.format === MARKER_FORMAT &&
    m.version === MARKER_VERSION &&
    m.source === expectedSource &&
    Number.isSafeInteger(m.size) &&
    m.size >= 0 &&
    typeof m.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256) &&
    typeof m.macs === 'object' &&
    m.macs !== null &&
    Object.values(m.macs).every((v) => typeof v === 'string');
  // A well-formed marker for another protocol version or another file is not ours to act on.
  if (!valid) throw new CipherliteError('CORRUPT', `replacement marker "${name}" is not one this version understands; files left untouched`);
  return m;
}
