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
 * Recovery (`recoverPendingReplace`, run before a database is opened):
 *   - an intact marker → redo step 3 (idempotent: the same bytes land in the same places), then 4;
 *     but only if `<name>~new` still matches the recorded size and hash — otherwise CORRUPT and
 *     every file is left as it is for a person to inspect;
 *   - a torn or unreadable marker → the commit point was never reached: discard marker and `~new`;
 *   - `<name>~new` without a marker → an interrupted preparation: discard it.
 * So at every instant exactly one complete version of `<name>` is reachable: the old one until the
 * marker is durable, the new one from then on.
 *
 * The caller guarantees that nothing has `<name>` open during steps 2–4, and that `<name>` has no
 * hot journal (a cleanly closed database never has one; any `<name>-journal` is deleted before the
 * commit point, since it belongs to the old content).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { CipherliteError } from '../errors.js';
import type { SyncFile, SyncStorage } from '../storage/sync-file.js';
import { hex } from './_shared.js';

export const REPLACE_SOURCE_SUFFIX = '~new';
export const REPLACE_MARKER_SUFFIX = '~replace';
const MARKER_FORMAT = 'cipherlite-replace';
const MARKER_VERSION = 1;
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
}

/**
 * Replaces `name` with the content of `<name>~new` (which the caller has written and closed),
 * crash-safely as described above. Deletes `<name>-journal` (stale after the swap) before the
 * commit point. Progress counts bytes.
 */
export async function replaceFile(storage: SyncStorage, name: string, onProgress?: ReplaceProgress): Promise<void> {
  const source = replaceSourceName(name);
  const marker = replaceMarkerName(name);
  if (storage.exists(marker)) {
    throw new CipherliteError('BUSY', `a replacement of "${name}" is already pending; run recoverPendingReplace first`);
  }
  if (!storage.exists(source)) throw new CipherliteError('IO', `no replacement content "${source}"`);
  await storage.prepare?.([name, source, marker, `${name}-journal`]);
  const src = storage.open(source, { create: false });
  let size: number;
  let digest: string;
  try {
    src.flush();
    size = src.getSize();
    digest = hashFile(src, size, (d, t) => onProgress?.('hash', d, t));
  } finally {
    src.close();
  }
  // The old journal belongs to the old content; it must not be rolled back into the new one.
  if (storage.exists(`${name}-journal`)) storage.delete(`${name}-journal`);
  writeMarker(storage, marker, { format: MARKER_FORMAT, version: MARKER_VERSION, source, size, sha256: digest });
  // ---- committed: from here on, recovery finishes the job ----
  copyOver(storage, source, name, size, (d, t) => onProgress?.('copy', d, t));
  storage.delete(marker);
  storage.delete(source);
}

export type RecoveryOutcome = 'none' | 'completed' | 'discarded';

/**
 * Finishes or discards an interrupted `replaceFile` of `name`. Call it before opening `name`.
 * Cheap when there is nothing to do (two `exists` checks). Throws CORRUPT (touching nothing) if
 * a committed replacement's source no longer matches its recorded size and hash.
 */
export async function recoverPendingReplace(storage: SyncStorage, name: string): Promise<RecoveryOutcome> {
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
  if (!storage.exists(source)) {
    throw new CipherliteError('CORRUPT', `a committed replacement of "${name}" lost its source "${source}"; files left untouched`);
  }
  const src = storage.open(source, { create: false });
  try {
    const size = src.getSize();
    if (size !== marker.size || hashFile(src, size) !== marker.sha256) {
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

function hashFile(f: SyncFile, size: number, onProgress?: (done: number, total: number) => void): string {
  const h = sha256.create();
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
  for (let at = 0; at < size; ) {
    const want = Math.min(buf.length, size - at);
    const n = f.read(buf.subarray(0, want), { at });
    if (n !== want) throw new CipherliteError('IO', `short read while hashing (${n} of ${want} bytes at ${at})`);
    h.update(buf.subarray(0, n));
    at += n;
    onProgress?.(at, size);
  }
  return hex(h.digest());
}

/** Copies `size` bytes of `from` over `to` (write, truncate, flush). Idempotent. */
function copyOver(storage: SyncStorage, from: string, to: string, size: number, onProgress?: (done: number, total: number) => void): void {
  const src = storage.open(from, { create: false });
  const dst = storage.open(to, { create: true });
  try {
    const buf = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
    for (let at = 0; at < size; ) {
      const want = Math.min(buf.length, size - at);
      const n = src.read(buf.subarray(0, want), { at });
      if (n !== want) throw new CipherliteError('IO', `short read while copying (${n} of ${want} bytes at ${at})`);
      const w = dst.write(buf.subarray(0, n), { at });
      if (w !== n) throw new CipherliteError('IO', `short write while copying (${w} of ${n} bytes at ${at})`);
      at += n;
      onProgress?.(at, size);
    }
    if (dst.getSize() !== size) dst.truncate(size);
    dst.flush();
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
    /^[0-9a-f]{64}$/.test(m.sha256);
  // A well-formed marker for another protocol version or another file is not ours to act on.
  if (!valid) throw new CipherliteError('CORRUPT', `replacement marker "${name}" is not one this version understands; files left untouched`);
  return m;
}
