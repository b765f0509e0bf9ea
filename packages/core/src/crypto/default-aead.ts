/**
 * Picks the AES-256-GCM backend: the WebAssembly one (constant-time, ~5× faster, see
 * aes-gcm-wasm/) when this runtime can instantiate it and it reproduces a known answer, else
 * @noble/ciphers. The known-answer check runs once, so a broken or missing WebAssembly SIMD
 * can never produce wrong ciphertext silently: it falls back to the audited JS implementation.
 *
 * The known answer is a stored digest of what @noble/ciphers produces for the same inputs (a
 * test recomputes it with noble), not a noble run at start-up: this check sits on every first
 * open's path, before the KDF, and noble's first 4 KiB encryption costs tens of milliseconds.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { nobleAesGcm, type AeadKeyFactory } from './aead.js';
import { createAesGcmKey } from './aes-gcm-wasm/index.js';

/** The fixed inputs of the known-answer check (4 KiB: the bitsliced 8-block path and GHASH). */
export function knownAnswerInputs(): { key: Uint8Array; nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array } {
  return {
    key: Uint8Array.from({ length: 32 }, (_, i) => i * 7),
    nonce: Uint8Array.from({ length: 12 }, (_, i) => i + 1),
    aad: Uint8Array.from({ length: 43 }, (_, i) => i),
    plaintext: Uint8Array.from({ length: 4096 }, (_, i) => i & 255),
  };
}

/** SHA-256 of ciphertext ‖ tag for `knownAnswerInputs()`, as @noble/ciphers computes it. */
export const KNOWN_ANSWER_SHA256 = 'aa6bdaa06fb4233bba2cac7c224c6f9574eaee5d656b2f7d4834c9038026494d';

let chosen: AeadKeyFactory | null = null;

function wasmMatchesKnownAnswer(): boolean {
  const { key, nonce, aad, plaintext } = knownAnswerInputs();
  const sealed = new Uint8Array(plaintext.length + 16);
  const ct = sealed.subarray(0, plaintext.length);
  const tag = sealed.subarray(plaintext.length);
  const wk = createAesGcmKey(key);
  try {
    wk.seal(nonce, aad, plaintext, ct, tag);
    const back = new Uint8Array(plaintext.length);
    return bytesToHex(sha256(sealed)) === KNOWN_ANSWER_SHA256 && wk.open(nonce, aad, ct, tag, back) && back.every((v, i) => v === plaintext[i]);
  } finally {
    wk.destroy();
  }
}

export function fastestAead(): AeadKeyFactory {
  if (chosen) return chosen;
  try {
    chosen = wasmMatchesKnownAnswer() ? createAesGcmKey : nobleAesGcm;
  } catch {
    chosen = nobleAesGcm;
  }
  return chosen;
}

/** Which backend `fastestAead()` selected (for stats and benchmarks). */
export function aeadBackendName(): 'wasm' | 'noble' {
  return fastestAead() === nobleAesGcm ? 'noble' : 'wasm';
}
