/**
 * What the encrypted bodies hold (docs/REPLICA.md "Bodies"): the page images of a `pages` or
 * `genesis` entry, a snapshot manifest, and the keys object (the keyslot header, in the clear as
 * in the local file, MAC'd under the data key). Big-endian integers.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CipherliteError } from '../errors.js';
import { MAIN_HEADER_COPY_SIZE } from '../format/constants.js';
import { encodeMainHeader, type MainHeader } from '../format/main-header.js';
import { ENVELOPE_SIZE, equal, HASH_SIZE, readEnvelope, type Position } from './format.js';

/** The database as the replica sees it: page images by page number (1-based). */
export interface PageState {
  pageSize: number;
  pageCount: number;
  pages: Map<number, Uint8Array>;
}

/** Pages payload: pageSize(4) pageCount(4) n(4), then n × (pgno(4) page(pageSize)). */
export function encodePages(pageSize: number, pageCount: number, changed: [number, Uint8Array][]): Uint8Array {
  const out = new Uint8Array(12 + changed.length * (4 + pageSize));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pageSize);
  dv.setUint32(4, pageCount);
  dv.setUint32(8, changed.length);
  let at = 12;
  for (const [pgno, page] of changed) {
    dv.setUint32(at, pgno);
    out.set(page, at + 4);
    at += 4 + pageSize;
  }
  return out;
}

/** Applies a pages payload to `state` (pages past the new count are dropped: a shrink). */
export function applyPages(state: PageState, payload: Uint8Array, name: string): void {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const bad = (): never => {
    throw new CipherliteError('REPLICA_CORRUPT', `replica log entry ${name} holds a malformed page list`, { object: name });
  };
  if (payload.length < 12) bad();
  const pageSize = dv.getUint32(0);
  const pageCount = dv.getUint32(4);
  const n = dv.getUint32(8);
  if (payload.length !== 12 + n * (4 + pageSize)) bad();
  if (state.pageSize !== 0 && pageSize !== state.pageSize) bad();
  state.pageSize = pageSize;
  state.pageCount = pageCount;
  for (let i = 0, at = 12; i < n; i++, at += 4 + pageSize) {
    const pgno = dv.getUint32(at);
    if (pgno < 1 || pgno > pageCount) bad();
    state.pages.set(pgno, payload.slice(at + 4, at + 4 + pageSize));
  }
  for (const pgno of state.pages.keys()) if (pgno > pageCount) state.pages.delete(pgno);
}

// ---------------------------------------------------------------- genesis

/**
 * The 4 bytes a multi-writer generation's genesis payload ends with, after its pages payload.
 * Typed here so the declaration reads the same in Node and in a browser (inferred, it names
 * `NodeJS.NonSharedUint8Array`, which a project without Node's types cannot resolve).
 */
export const SYNC_GENESIS_MARK: Uint8Array<ArrayBuffer> = new TextEncoder().encode('CLSY');

/** Splits a genesis payload into its pages payload and whether it starts a multi-writer generation. */
export function splitGenesis(payload: Uint8Array): { pages: Uint8Array; multiWriter: boolean } {
  const n = SYNC_GENESIS_MARK.length;
  const tail = payload.subarray(payload.length - n);
  const marked = payload.length >= 12 + n && tail.every((b, i) => b === SYNC_GENESIS_MARK[i]);
  // A pages payload is 12 + k × (4 + pageSize) bytes with pageSize ≥ 512: 4 more bytes never fit one.
  if (marked && (payload.length - n - 12) % (4 + new DataView(payload.buffer, payload.byteOffset).getUint32(0)) === 0) {
    return { pages: payload.subarray(0, payload.length - n), multiWriter: true };
  }
  return { pages: payload, multiWriter: false };
}

/** Manifest: entryHash(32) time(8, float64) pageSize(4) pageCount(4) chunkCount(4) chunkHashes(32 each). */
export interface Manifest extends ChunkList {
  entryHash: Uint8Array;
  time: number;
}

/** The manifest is entryHash ‖ time ‖ the same chunk list an `image` payload holds (encodeImage). */
export function encodeManifest(m: Manifest): Uint8Array {
  const list = encodeImage(m);
  const out = new Uint8Array(40 + list.length);
  out.set(m.entryHash, 0);
  new DataView(out.buffer).setFloat64(32, m.time);
  out.set(list, 40);
  return out;
}

export function decodeManifest(body: Uint8Array, name: string): Manifest {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = body.length >= 52 ? dv.getUint32(48) : -1;
  if (count < 0 || 52 + count * HASH_SIZE > body.length) throw new CipherliteError('REPLICA_CORRUPT', `snapshot manifest ${name} does not parse`, { object: name });
  return {
    entryHash: body.slice(0, 32),
    time: dv.getFloat64(32),
    pageSize: dv.getUint32(40),
    pageCount: dv.getUint32(44),
    chunkHashes: Array.from({ length: count }, (_, i) => body.slice(52 + i * HASH_SIZE, 52 + (i + 1) * HASH_SIZE)),
  };
}

/** Pages per snapshot chunk (256 × 4 KiB pages = 1 MiB chunks). */
export const PAGES_PER_CHUNK = 256;

/** A snapshot's page layout: pages 1..pageCount in chunks of PAGES_PER_CHUNK, each bound by the SHA-256 of its object. */
export interface ChunkList {
  pageSize: number;
  pageCount: number;
  chunkHashes: Uint8Array[];
}

/** `image` payload: pageSize(4) pageCount(4) chunkCount(4) chunkHashes(32 each) — the pages are the chunks at the entry's seq. */
export function encodeImage(c: ChunkList): Uint8Array {
  const out = new Uint8Array(12 + c.chunkHashes.length * HASH_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, c.pageSize);
  dv.setUint32(4, c.pageCount);
  dv.setUint32(8, c.chunkHashes.length);
  c.chunkHashes.forEach((h, i) => out.set(h, 12 + i * HASH_SIZE));
  return out;
}

export function decodeImage(payload: Uint8Array, name: string): ChunkList {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = payload.length >= 12 ? dv.getUint32(8) : -1;
  const pageSize = count >= 0 ? dv.getUint32(0) : 0;
  const pageCount = count >= 0 ? dv.getUint32(4) : 0;
  if (count < 0 || payload.length !== 12 + count * HASH_SIZE || pageSize < 512 || count !== Math.ceil(pageCount / PAGES_PER_CHUNK)) {
    throw new CipherliteError('REPLICA_CORRUPT', `replica log entry ${name} holds a malformed image`, { object: name });
  }
  return { pageSize, pageCount, chunkHashes: Array.from({ length: count }, (_, i) => payload.slice(12 + i * HASH_SIZE, 12 + (i + 1) * HASH_SIZE)) };
}

// ---------------------------------------------------------------- keys object

/** Keys object: envelope (nonce zero) ‖ main-file header copy (4096) ‖ HMAC-SHA256(keys-mac key, both). */
export function encodeKeysObject(envelope: Uint8Array, header: Uint8Array, macKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_SIZE + MAIN_HEADER_COPY_SIZE + HASH_SIZE);
  out.set(envelope);
  out.set(header, ENVELOPE_SIZE);
  out.set(hmac(sha256, macKey, out.subarray(0, ENVELOPE_SIZE + MAIN_HEADER_COPY_SIZE)), ENVELOPE_SIZE + MAIN_HEADER_COPY_SIZE);
  return out;
}

export function splitKeysObject(bytes: Uint8Array, name: string): { position: Position; header: Uint8Array } {
  if (bytes.length !== ENVELOPE_SIZE + MAIN_HEADER_COPY_SIZE + HASH_SIZE) throw new CipherliteError('REPLICA_CORRUPT', `replica keys object ${name} has the wrong size`, { object: name });
  return { position: readEnvelope(bytes.subarray(0, ENVELOPE_SIZE + 16), 'keys', name), header: bytes.slice(ENVELOPE_SIZE, ENVELOPE_SIZE + MAIN_HEADER_COPY_SIZE) };
}

export function checkKeysObjectMac(bytes: Uint8Array, macKey: Uint8Array, name: string): void {
  const at = ENVELOPE_SIZE + MAIN_HEADER_COPY_SIZE;
  if (!equal(hmac(sha256, macKey, bytes.subarray(0, at)), bytes.subarray(at))) {
    throw new CipherliteError('REPLICA_CORRUPT', `replica keys object ${name} fails authentication (replaced or damaged)`, { object: name });
  }
}

/** The header as the bucket gets it: without the local file's WAL binding (its WAL is not replicated). */
export function bucketHeader(h: MainHeader): MainHeader {
  return { blockSize: h.blockSize, fileId: h.fileId, sequence: h.sequence, nextEpoch: h.nextEpoch, createdAt: h.createdAt, keyslots: h.keyslots };
}

/** The keyslots of `header` as bytes (the rest of the header — sequence, epoch, WAL binding — changes on its own). */
export function keyslotsOf(header: MainHeader): Uint8Array {
  return encodeMainHeader({ ...bucketHeader(header), sequence: 0, nextEpoch: 0 }, new Uint8Array(32));
}
