/**
 * Synchronous AES-256-GCM (NIST SP 800-38D, 96-bit nonces, 128-bit tags) backed by WebAssembly.
 *
 * Why: @noble/ciphers (pure JS) costs ≈250 µs per 4 KiB page; the database decrypts and
 * encrypts a page on every cache miss and write. This backend runs a bitsliced AES-256
 * (WebAssembly SIMD) and a table-free GHASH (integer multiplication with holes), both
 * constant-time — see packages/core/wasm/ — and does the per-key work (key expansion, hash
 * subkey, GHASH operands) once in `createAesGcmKey`, never per block.
 *
 * Each live key owns a slot of WebAssembly memory (≈3.6 KiB). `destroy()` zeroes the slot and
 * returns it; a key that is garbage-collected without `destroy()` is wiped by a
 * FinalizationRegistry as a safety net (timing not guaranteed, so call `destroy()`).
 * Data passes through one scratch area: copied in, processed in place, copied out. The scratch
 * area keeps the last ciphertext after `seal`; after `open` the plaintext is zeroed there.
 */
import { CipherliteError } from '../../errors.js';
import type { AeadKey } from '../aead.js';
import { aesGcmWasm, type AesGcmWasm } from './module.js';

export const KEY_SIZE = 32;
export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
/** Largest plaintext/ciphertext per call (bytes). */
export const MAX_DATA_SIZE = 65536;
/** Largest AAD per call (bytes). */
export const MAX_AAD_SIZE = 256;
/** Upper bound on keys alive at once (each holds ≈3.6 KiB of WebAssembly memory). */
export const MAX_LIVE_KEYS = 1024;

const PAGE = 65536;

/** Slot allocator over the module's key area; lowest free slot first. */
const freeSlots: number[] = [];
let nextSlot = 0;
let liveKeys = 0;

function allocSlot(w: AesGcmWasm): number {
  if (liveKeys >= MAX_LIVE_KEYS) {
    throw new CipherliteError('UNSUPPORTED', `too many live AES-GCM keys (max ${MAX_LIVE_KEYS}); call destroy() on unused keys`);
  }
  let slot: number;
  if (freeSlots.length > 0) {
    freeSlots.sort((a, b) => b - a);
    slot = freeSlots.pop()!;
  } else {
    slot = nextSlot++;
    const need = w.layout.SLOTS_PTR + (slot + 1) * w.layout.SLOT_SIZE;
    const have = w.exports.memory.buffer.byteLength;
    if (need > have) w.exports.memory.grow(Math.ceil((need - have) / PAGE));
  }
  liveKeys++;
  return slot;
}

function releaseSlot(w: AesGcmWasm, slot: number): void {
  w.exports.wipeSlot(slot);
  freeSlots.push(slot);
  liveKeys--;
}

/** Wipes and frees the slot of a key object that was collected without destroy(). */
const finalizer = new FinalizationRegistry<number>((slot) => releaseSlot(aesGcmWasm(), slot));

function isBytes(a: unknown): a is Uint8Array {
  return a instanceof Uint8Array || (ArrayBuffer.isView(a) && a.constructor.name === 'Uint8Array');
}

function checkBytes(name: string, a: unknown): asserts a is Uint8Array {
  if (!isBytes(a)) throw new CipherliteError('INVALID_ARGUMENT', `${name}: expected Uint8Array, got ${a === null ? 'null' : typeof a}`);
}

function checkExact(name: string, a: unknown, len: number): asserts a is Uint8Array {
  checkBytes(name, a);
  if (a.length !== len) throw new CipherliteError('INVALID_ARGUMENT', `${name}: expected Uint8Array of length ${len}, got length=${a.length}`);
}

function checkMax(name: string, a: unknown, max: number): asserts a is Uint8Array {
  checkBytes(name, a);
  if (a.length > max) throw new CipherliteError('INVALID_ARGUMENT', `${name}: expected at most ${max} bytes, got length=${a.length}`);
}

function checkOut(name: string, a: unknown, len: number): asserts a is Uint8Array {
  checkBytes(name, a);
  if (a.length < len) throw new CipherliteError('INVALID_ARGUMENT', `${name}: expected Uint8Array of length >= ${len}, got length=${a.length}`);
}

/** Current view of WebAssembly memory (a new one after memory.grow detaches the old buffer). */
let heap: Uint8Array | undefined;
function memoryView(w: AesGcmWasm): Uint8Array {
  const buf = w.exports.memory.buffer;
  if (heap === undefined || heap.buffer !== buf) heap = new Uint8Array(buf);
  return heap;
}

/**
 * Expands a 32-byte AES-256 key into a WebAssembly key slot. The caller's key buffer is only
 * read (never retained or modified); the copy inside WebAssembly memory is wiped right after
 * expansion. The `AeadKey` it returns allocates nothing per call, compares tags in constant
 * time before decrypting, and on `destroy()` (idempotent) zeroes the expanded key and GHASH key
 * material inside WebAssembly memory and frees the slot.
 */
export function createAesGcmKey(key: Uint8Array): AeadKey {
  checkExact('key', key, KEY_SIZE);
  const w = aesGcmWasm();
  const { exports: ex, layout: L } = w;
  const slot = allocSlot(w);
  memoryView(w).set(key, L.KEY_PTR);
  ex.setKey(slot); // also zeroes KEY_PTR and the scratch area
  let live = true;
  const token = {};

  const handle: AeadKey = {
    seal(nonce, aad, plaintext, out, tagOut) {
      if (!live) throw new Error('AES-GCM key used after destroy()');
      checkExact('nonce', nonce, NONCE_SIZE);
      checkMax('aad', aad, MAX_AAD_SIZE);
      checkMax('plaintext', plaintext, MAX_DATA_SIZE);
      const len = plaintext.length;
      checkOut('out', out, len);
      checkExact('tagOut', tagOut, TAG_SIZE);
      const m = memoryView(w);
      m.set(nonce, L.NONCE_PTR);
      m.set(aad, L.AAD_PTR);
      m.set(plaintext, L.DATA_PTR); // copy in: plaintext may alias out
      ex.seal(slot, aad.length, len);
      out.set(m.subarray(L.DATA_PTR, L.DATA_PTR + len));
      tagOut.set(m.subarray(L.TAG_PTR, L.TAG_PTR + TAG_SIZE));
    },
    open(nonce, aad, ciphertext, tag, out) {
      if (!live) throw new Error('AES-GCM key used after destroy()');
      checkExact('nonce', nonce, NONCE_SIZE);
      checkMax('aad', aad, MAX_AAD_SIZE);
      checkMax('ciphertext', ciphertext, MAX_DATA_SIZE);
      checkExact('tag', tag, TAG_SIZE);
      const len = ciphertext.length;
      checkOut('out', out, len);
      const m = memoryView(w);
      m.set(nonce, L.NONCE_PTR);
      m.set(aad, L.AAD_PTR);
      m.set(ciphertext, L.DATA_PTR);
      m.set(tag, L.TAG_PTR);
      // SP 800-38D §7.2: the module verifies the tag before it decrypts anything.
      if (ex.open(slot, aad.length, len) === 0) {
        out.fill(0, 0, len);
        return false;
      }
      out.set(m.subarray(L.DATA_PTR, L.DATA_PTR + len));
      m.fill(0, L.DATA_PTR, L.DATA_PTR + len); // do not leave plaintext in the scratch area
      return true;
    },
    destroy() {
      if (!live) return;
      live = false;
      finalizer.unregister(token);
      releaseSlot(w, slot);
    },
  };
  finalizer.register(handle, slot, token);
  return handle;
}
