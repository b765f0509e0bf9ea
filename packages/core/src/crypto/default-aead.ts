/**
 * Picks the AES-256-GCM backend: the WebAssembly one (constant-time, ~5× faster, see
 * aes-gcm-wasm/) when this runtime can instantiate it and it reproduces a known answer, else
 * @noble/ciphers. The known-answer check runs once, so a broken or missing WebAssembly SIMD
 * can never produce wrong ciphertext silently: it falls back to the audited JS implementation.
 */
import { nobleAesGcm, type AeadKeyFactory } from './aead.js';
import { createAesGcmKey } from './aes-gcm-wasm/index.js';

let chosen: AeadKeyFactory | null = null;

function wasmMatchesNoble(): boolean {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
  const aad = Uint8Array.from({ length: 43 }, (_, i) => i);
  const pt = Uint8Array.from({ length: 4096 }, (_, i) => i & 255);
  const a = { ct: new Uint8Array(4096), tag: new Uint8Array(16) };
  const b = { ct: new Uint8Array(4096), tag: new Uint8Array(16) };
  const wk = createAesGcmKey(key);
  const nk = nobleAesGcm(key);
  try {
    wk.seal(nonce, aad, pt, a.ct, a.tag);
    nk.seal(nonce, aad, pt, b.ct, b.tag);
    const back = new Uint8Array(4096);
    return a.ct.every((v, i) => v === b.ct[i]) && a.tag.every((v, i) => v === b.tag[i]) && wk.open(nonce, aad, a.ct, a.tag, back) && back.every((v, i) => v === pt[i]);
  } finally {
    wk.destroy();
    nk.destroy();
  }
}

export function fastestAead(): AeadKeyFactory {
  if (chosen) return chosen;
  try {
    chosen = wasmMatchesNoble() ? createAesGcmKey : nobleAesGcm;
  } catch {
    chosen = nobleAesGcm;
  }
  return chosen;
}

/** Which backend `fastestAead()` selected (for stats and benchmarks). */
export function aeadBackendName(): 'wasm' | 'noble' {
  return fastestAead() === nobleAesGcm ? 'noble' : 'wasm';
}
