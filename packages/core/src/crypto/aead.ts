/**
 * AES-256-GCM with a long-lived key object: the interface every block encryption goes through.
 *
 * Why an object per key: the expensive part of GCM in software is per-key set-up (AES key
 * expansion, GHASH tables). The VFS derives one subkey per (file, key epoch) and encrypts many
 * blocks under it, so the set-up must happen once per subkey, not once per block. Backends:
 * `@noble/ciphers` (pure JS, audited; the reference) and, where available, a WebAssembly
 * implementation cross-checked against it (see `aes-gcm-wasm/`).
 *
 * Buffers: `seal`/`open` write into caller-owned buffers so the hot path allocates nothing.
 */
import { CipherliteError } from '../errors.js';
import { gcm } from '@noble/ciphers/aes.js';

export const KEY_SIZE = 32;
export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;

export interface AeadKey {
  /** Encrypts `plaintext` into `out` (same length) and writes the tag into `tagOut` (16 bytes). */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, tagOut: Uint8Array): void;
  /** Authenticates then decrypts into `out`; returns false (out zero-filled) when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, out: Uint8Array): boolean;
  /** Wipes the key copy held by this object. */
  destroy(): void;
}

export type AeadKeyFactory = (key: Uint8Array) => AeadKey;

/** The @noble/ciphers backend. noble rebuilds its tables per call, so this is the slow path. */
export const nobleAesGcm: AeadKeyFactory = (key) => {
  if (key.length !== KEY_SIZE) throw new CipherliteError('INVALID_ARGUMENT', `expected a 32-byte key, got length=${key.length}`);
  const k = key.slice(); // our own copy, so destroy() cannot wipe a buffer the caller still uses
  return {
    seal(nonce, aad, plaintext, out, tagOut) {
      const sealed = gcm(k, nonce, aad).encrypt(plaintext);
      out.set(sealed.subarray(0, plaintext.length));
      tagOut.set(sealed.subarray(plaintext.length));
    },
    open(nonce, aad, ciphertext, tag, out) {
      const n = ciphertext.length;
      const buf = new Uint8Array(n + TAG_SIZE);
      buf.set(ciphertext, 0);
      buf.set(tag, n);
      try {
        const pt = gcm(k, nonce, aad).decrypt(buf);
        out.set(pt);
        pt.fill(0);
        return true;
      } catch {
        out.fill(0, 0, n);
        return false;
      }
    },
    destroy() {
      k.fill(0);
    },
  };
};
