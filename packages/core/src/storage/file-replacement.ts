/**
 * Crash-safe replacement of a whole file on a `SyncStorage`. Where the storage offers an atomic
 * `rename` (sync-file.ts "Rename": Node files, memory, OPFS with `move()`, IndexedDB) that is the
 * whole swap — see `renameOver`; otherwise (OPFS in an engine without `move()`) the protocol below
 * copies the new content over the old.
 *
 * Protocol (a small write-ahead log of one record):
 *   1. the new content is complete and flushed in `<name>~new`;
 *   2. a marker `<name>~replace` is written and flushed: it names the source, records its size and
 *      SHA-256, and the SHA-256 of the first `BOUND_HEAD_BYTES` of `<name>` as it is at this moment
 *      (for a database: both header copies — file id, sequence number, next key epoch, keyslots),
 *      followed by a checksum of the marker itself — **this is the commit point**;
 *   3. `<name>~new` is copied over `<name>` (write, truncate to size, flush);
 *   4. the marker is deleted, then `<name>~new`.
 *
 * Recovery (`recoverPendingReplace`, run by `Database.open` once the caller's key is proven).
 * Rule: a check that fails never deletes or overwrites a file — everything is kept and the result
 * is CORRUPT naming the files (`details.files`).
 *   - the marker must be authenticated: it carries an HMAC, under a key derived from the data key,
 *     for the file id of the database being replaced and of the one replacing it; recovery needs
 *     the key of whichever of the two the file holds now (the key the open just proved). A marker
 *     that does not authenticate (planted, or for another database) → CORRUPT;
 *   - the marker is bound to the state it replaces: `<name>` must still begin with the recorded
 *     bytes (the copy has not started) or with those of `<name>~new` (the copy has started). Any
 *     other state means the marker is stale — saved during an earlier replacement and put back
 *     after later writes (every write session moves the header's key epoch) → CORRUPT;
 *   - an authentic marker bound to the current state → redo step 3 (idempotent), then 4; but only
 *     if `<name>~new` still matches the recorded size and hash — otherwise CORRUPT;
 *   - a marker cut short (a prefix of a marker: what a torn write of step 2 leaves), or no marker
 *     at all next to `<name>~new`: if the copy has not started (`<name>` holds nothing of
 *     `<name>~new`'s head: see `copyState`) the old file is whole and `<name>~new` is discarded;
 *     if the copy is complete (`<name>` equals `<name>~new`) the leftovers are discarded; if
 *     `<name>` is part-copied, the marker was damaged after the commit point and `<name>~new` is
 *     the only complete copy → CORRUPT;
 *   - a marker that is complete but does not check (a flipped byte, padding, an unknown version)
 *     is damage, never a crash outcome → CORRUPT;
 *   - a marker without `<name>~new` never happens (the marker is deleted first) → CORRUPT.
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
import { bytesEqual, hex } from '../format/bytes.js';

export const REPLACE_SOURCE_SUFFIX = '~new';
export const REPLACE_MARKER_SUFFIX = '~replace';
const MARKER_FORMAT = 'cipherlite-replace';
const MARKER_VERSION = 3;
/** How much of `<name>` the marker binds: a database's two header copies. */
export const BOUND_HEAD_BYTES = 8192;
/** Copy and hash in chunks of this many bytes (bounded memory whatever the file size). */
const CHUNK = 1 << 20;
/** A marker is a few hundred bytes; anything longer is not one. */
const MAX_MARKER_BYTES = 4096;

export const replaceSourceName = (name: string): string => name + REPLACE_SOURCE_SUFFIX;
export const replaceMarkerName = (name: string): string => name + REPLACE_MARKER_SUFFIX;

export type ReplaceProgress = (phase: 'hash' | 'copy', done: number, total: number) => void;

interface Marker {
  format: typeof MARKER_FORMAT;
  version: number;
  source: string;
  size: number;
  sha256: string;
  /** SHA-256 of the first `BOUND_HEAD_BYTES` of `<name>` at the commit point. */
  replaces: string;
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
  const signed = JSON.stringify({ format: m.format, version: m.version, source: m.source, size: m.size, sha256: m.sha256, replaces: m.replaces });
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
  if (storage.rename) {
    await renameOver(storage, source, name, onProgress);
    return;
  }
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
  const replaces = headDigest(storage, name);
  const fields = { format: MARKER_FORMAT, version: MARKER_VERSION, source, size, sha256: digest, replaces } as const;
  const macs: Record<string, string> = {};
  for (const a of authorities) macs[hex(a.fileId)] = markerMac(fields, a.macKey);
  writeMarker(storage, marker, { ...fields, macs });
  // ---- committed: from here on, recovery finishes the job ----
  copyOver(storage, source, name, size, (d, t) => onProgress?.('copy', d, t));
  storage.delete(marker);
  storage.delete(source);
}

/**
 * The O(1) swap, where the storage can rename atomically (sync-file.ts "Rename"): the rename is
 * the commit point, so no marker and no hash are needed. Before it, `<name>` is the old file and
 * `<name>~new` a leftover without a marker, which recovery discards (`<name>` does not begin like
 * it); after it, there is nothing to recover. Progress: one `copy` event of the whole size.
 */
async function renameOver(storage: SyncStorage, source: string, name: string, onProgress?: ReplaceProgress): Promise<void> {
  const src = storage.open(source, { create: false });
  let size: number;
  try {
    src.flush();
    size = src.getSize();
  } finally {
    src.close();
  }
  onProgress?.('copy', 0, size);
  // The old journal belongs to the old content; it must not be rolled back into the new one.
  if (storage.exists(`${name}-journal`)) storage.delete(`${name}-journal`);
  await storage.rename!(source, name);
  onProgress?.('copy', size, size);
}

export type RecoveryOutcome = 'none' | 'completed' | 'discarded';

/**
 * Finishes or discards an interrupted `replaceFile` of `name`. Call it only with the authority of
 * the database `name` holds now, i.e. once its key is proven, and with nothing holding `name` open.
 * Cheap when there is nothing to do (two `exists` checks). Throws CORRUPT, touching nothing, when
 * any check fails (see the file comment).
 */
export async function recoverPendingReplace(storage: SyncStorage, name: string, authority: ReplaceAuthority): Promise<RecoveryOutcome> {
  const source = replaceSourceName(name);
  const markerName = replaceMarkerName(name);
  const hasMarker = storage.exists(markerName);
  const hasSource = storage.exists(source);
  if (!hasMarker && !hasSource) return 'none';
  await storage.prepare?.([name, source, markerName, `${name}-journal`, `${source}-journal`]);
  const files = [name, ...(hasMarker ? [markerName] : []), ...(hasSource ? [source] : [])];
  const refuse = (why: string): CipherliteError => new CipherliteError('CORRUPT', `${why}; files left untouched: ${files.join(', ')}`, { fileKind: 'main', files });
  if (!hasSource) throw refuse(`the replacement marker "${markerName}" has no source "${source}"`);
  const marker = hasMarker ? readMarker(storage, markerName, source) : 'torn';
  if (marker === 'damaged') throw refuse(`the replacement marker "${markerName}" is damaged (complete but not self-consistent, or of an unknown version)`);
  if (marker === 'torn') {
    // Not provably committed: safe to drop the source only while `name` is whole.
    const copy = copyState(storage, name, source);
    if (copy === 'partial') throw refuse(`"${name}" is part-copied from "${source}" but the commit record is ${hasMarker ? 'cut short' : 'missing'}`);
    discard(storage, [markerName, source, `${source}-journal`]);
    return 'discarded';
  }
  const mac = marker.macs[hex(authority.fileId)];
  if (mac === undefined || !constantTimeEqual(new TextEncoder().encode(mac), new TextEncoder().encode(markerMac(marker, authority.macKey)))) {
    throw refuse(`the replacement marker "${markerName}" is not authenticated by this database's key (planted, or for another database)`);
  }
  const hasher = await fileHasher();
  const src = storage.open(source, { create: false });
  try {
    const size = src.getSize();
    if (size !== marker.size || hashFile(src, size, hasher) !== marker.sha256) throw refuse(`the replacement content "${source}" does not match its commit record`);
  } finally {
    src.close();
  }
  const head = headDigest(storage, name);
  if (head !== marker.replaces && head !== headDigest(storage, source)) {
    throw refuse(`the replacement marker "${markerName}" belongs to another state of "${name}" (stale: saved before later writes)`);
  }
  if (storage.exists(`${name}-journal`)) storage.delete(`${name}-journal`);
  copyOver(storage, source, name, marker.size);
  discard(storage, [markerName, source, `${source}-journal`]);
  return 'completed';
}

function discard(storage: SyncStorage, names: string[]): void {
  for (const n of names) if (storage.exists(n)) storage.delete(n);
}

function readHead(storage: SyncStorage, name: string, bytes = BOUND_HEAD_BYTES): Uint8Array {
  const f = storage.open(name, { create: false });
  try {
    const buf = new Uint8Array(Math.min(bytes, f.getSize()));
    const n = f.read(buf, { at: 0 });
    return buf.subarray(0, n);
  } finally {
    f.close();
  }
}

/** SHA-256 (hex) of the first `BOUND_HEAD_BYTES` of `name` (fewer if it is shorter). */
function headDigest(storage: SyncStorage, name: string): string {
  return hex(sha256(readHead(storage, name)));
}

/**
 * Where each header copy of a database holds its random file id (docs/FORMAT.md "Main database
 * header": offset 16 of copy A at 0 and of copy B at 4096, 16 bytes).
 */
const HEAD_FILE_ID_FIELDS: readonly (readonly [number, number])[] = [
  [16, 32],
  [4096 + 16, 4096 + 32],
];

/**
 * How far the copy of `source` over `name` got, judged from the files alone: `complete` when the
 * two are equal; `none` when `name` holds nothing of `source`'s head; else `partial`. The copy
 * writes from offset 0 and a fresh container's header has its own random file id, so a write of
 * the copy cut anywhere inside the head (a torn first write, e.g. through the whole of copy A and
 * part of copy B) shows up as `source`'s file id in a header copy of `name` — equal by chance
 * with probability 2^-128. Judging only whole heads called such a `name` untouched and let `~new`
 * (then the only complete copy) be deleted.
 */
function copyState(storage: SyncStorage, name: string, source: string): 'none' | 'partial' | 'complete' {
  const head = readHead(storage, name);
  const sourceHead = readHead(storage, source);
  if (!bytesEqual(head, sourceHead)) {
    const started = HEAD_FILE_ID_FIELDS.some(([from, to]) => to <= head.length && to <= sourceHead.length && bytesEqual(head.subarray(from, to), sourceHead.subarray(from, to)));
    return started ? 'partial' : 'none';
  }
  const a = storage.open(name, { create: false });
  const b = storage.open(source, { create: false });
  try {
    const size = a.getSize();
    if (size !== b.getSize()) return 'partial';
    const x = new Uint8Array(Math.min(CHUNK, Math.max(size, 1)));
    const y = new Uint8Array(x.length);
    for (let at = 0; at < size; at += x.length) {
      const want = Math.min(x.length, size - at);
      if (a.read(x.subarray(0, want), { at }) !== want || b.read(y.subarray(0, want), { at }) !== want) return 'partial';
      if (!bytesEqual(x.subarray(0, want), y.subarray(0, want))) return 'partial';
    }
    return 'complete';
  } finally {
    a.close();
    b.close();
  }
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

/**
 * The marker; `torn` if it is a strict prefix of a marker's shape (what a torn write of the commit
 * record leaves: no complete checksum line); `damaged` if it is complete but does not check.
 */
function readMarker(storage: SyncStorage, name: string, expectedSource: string): Marker | 'torn' | 'damaged' {
  const f = storage.open(name, { create: false });
  let text: string;
  try {
    const size = f.getSize();
    if (size > MAX_MARKER_BYTES) return 'damaged';
    const buf = new Uint8Array(size);
    if (f.read(buf, { at: 0 }) !== size) return 'torn';
    text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  } finally {
    f.close();
  }
  const lines = text.split('\n');
  // A complete marker is exactly `body \n check \n`: fewer than two line ends = cut short.
  if (lines.length < 3) return 'torn';
  if (lines.length !== 3 || lines[2] !== '') return 'damaged';
  const [body, check] = lines as [string, string];
  if (hex(sha256(new TextEncoder().encode(body))) !== check) return 'damaged';
  let m: Marker;
  try {
    m = JSON.parse(body) as Marker;
  } catch {
    return 'damaged';
  }
  const valid =
    typeof m === 'object' &&
    m !== null &&
    m.format === MARKER_FORMAT &&
    m.version === MARKER_VERSION &&
    m.source === expectedSource &&
    Number.isSafeInteger(m.size) &&
    m.size >= 0 &&
    typeof m.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(m.sha256) &&
    typeof m.replaces === 'string' &&
    /^[0-9a-f]{64}$/.test(m.replaces) &&
    typeof m.macs === 'object' &&
    m.macs !== null &&
    Object.values(m.macs).every((v) => typeof v === 'string');
  // A well-formed marker for another protocol version or another file is not ours to act on.
  return valid ? m : 'damaged';
}
