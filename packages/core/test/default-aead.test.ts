/**
 * The AES-GCM backend choice: the WebAssembly cipher is used only if it reproduces a known
 * answer. The stored answer must be @noble/ciphers' own (recomputed here), so the start-up check
 * still cross-checks the WebAssembly cipher against the audited implementation.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { nobleAesGcm } from '../src/crypto/aead.js';
import { createAesGcmKey } from '../src/crypto/aes-gcm-wasm/index.js';
import { aeadBackendName, fastestAead, KNOWN_ANSWER_SHA256, knownAnswerInputs } from '../src/crypto/default-aead.js';
import { hex } from '../src/format/bytes.js';

describe('default AES-GCM backend', () => {
  it('the stored known answer is what @noble/ciphers computes', () => {
    const { key, nonce, aad, plaintext } = knownAnswerInputs();
    const sealed = new Uint8Array(plaintext.length + 16);
    const k = nobleAesGcm(key);
    k.seal(nonce, aad, plaintext, sealed.subarray(0, plaintext.length), sealed.subarray(plaintext.length));
    k.destroy();
    expect(hex(sha256(sealed))).toBe(KNOWN_ANSWER_SHA256);
  });

  it('picks the WebAssembly cipher here, and it matches noble on the known-answer inputs', () => {
    expect(aeadBackendName()).toBe('wasm');
    expect(fastestAead()).toBe(createAesGcmKey);
    const { key, nonce, aad, plaintext } = knownAnswerInputs();
    const a = new Uint8Array(plaintext.length + 16);
    const b = new Uint8Array(plaintext.length + 16);
    const w = createAesGcmKey(key);
    const n = nobleAesGcm(key);
    w.seal(nonce, aad, plaintext, a.subarray(0, 4096), a.subarray(4096));
    n.seal(nonce, aad, plaintext, b.subarray(0, 4096), b.subarray(4096));
    w.destroy();
    n.destroy();
    expect(a).toEqual(b);
  });
});
