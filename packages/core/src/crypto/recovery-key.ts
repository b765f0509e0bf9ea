/**
 * Recovery keys: 160 random bits shown to a person once, as 8 groups of 4 base32 characters
 * (RFC 4648 alphabet), e.g. `K7QJ-2MXA-…`. 160 bits is far beyond guessing range, so a
 * recovery keyslot uses HKDF only — no Argon2 delay — and unlocks instantly.
 * Parsing ignores case, spaces and dashes, so a key read aloud or retyped still works.
 */
import { CipherliteError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const RECOVERY_KEY_BYTES = 20;

export function formatRecoveryKey(bytes: Uint8Array): string {
  if (bytes.length !== RECOVERY_KEY_BYTES) throw new CipherliteError('INVALID_ARGUMENT', `expected ${RECOVERY_KEY_BYTES} bytes, got length=${bytes.length}`);
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  return out.match(/.{1,4}/g)!.join('-');
}

export function parseRecoveryKey(text: string): Uint8Array {
  if (typeof text !== 'string') throw new CipherliteError('INVALID_ARGUMENT', 'recovery key must be a string');
  const clean = text.toUpperCase().replace(/[\s-]/g, '');
  if (clean.length !== 32 || /[^A-Z2-7]/.test(clean)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'recovery key must be 32 base32 characters (A-Z, 2-7), optionally grouped with dashes');
  }
  const out = new Uint8Array(RECOVERY_KEY_BYTES);
  let bits = 0;
  let acc = 0;
  let i = 0;
  for (const ch of clean) {
    acc = (acc << 5) | ALPHABET.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out[i++] = (acc >>> (bits - 8)) & 255;
      bits -= 8;
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}
