/**
 * The one shape check of `KeyMaterial` (what a caller unlocks with): core's keyslots and the
 * worker's held secret both go through it, so a bad value gets the same INVALID_ARGUMENT
 * everywhere. Content rules (password length and normalization, recovery-key checksum) are
 * applied where the material is encoded (crypto/kdf.ts, crypto/recovery-key.ts).
 */
import { CipherliteError } from '../errors.js';

/** A raw key is exactly 256 bits. */
export const RAW_KEY_SIZE = 32;
/** Bytes of a WebAuthn PRF output (the hmac-secret extension yields SHA-256-sized outputs). */
export const PRF_OUTPUT_SIZE = 32;

export type KeyMaterialKind = 'password' | 'key' | 'recoveryKey' | 'passkey';

/**
 * Throws INVALID_ARGUMENT unless `m` is exactly one of `{ password }`, `{ key }` (32 bytes),
 * `{ recoveryKey }`, `{ passkey: { credentialId, prfOutput } }` (32-byte PRF output); returns
 * which. Never echoes the secret.
 */
export function keyMaterialKind(m: unknown): KeyMaterialKind {
  if (m === null || typeof m !== 'object') throw new CipherliteError('INVALID_ARGUMENT', 'expected { password } or { key } or { recoveryKey } or { passkey }');
  const km = m as { password?: unknown; key?: unknown; recoveryKey?: unknown; passkey?: unknown };
  const given = (['password', 'key', 'recoveryKey', 'passkey'] as const).filter((k) => km[k] !== undefined);
  if (given.length !== 1) throw new CipherliteError('INVALID_ARGUMENT', `give exactly one of password, key, recoveryKey or passkey (got ${given.length})`);
  const kind = given[0]!;
  if (kind === 'password' && typeof km.password !== 'string' && !(km.password instanceof Uint8Array)) {
    throw new CipherliteError('INVALID_ARGUMENT', `password must be a string or its UTF-8 bytes (Uint8Array), got ${typeof km.password}`);
  }
  if (kind === 'recoveryKey' && typeof km.recoveryKey !== 'string') throw new CipherliteError('INVALID_ARGUMENT', `recoveryKey must be a string, got ${typeof km.recoveryKey}`);
  if (kind === 'key') {
    if (!(km.key instanceof Uint8Array)) throw new CipherliteError('INVALID_ARGUMENT', `key must be a Uint8Array, got ${typeof km.key}`);
    if (km.key.length !== RAW_KEY_SIZE) throw new CipherliteError('INVALID_ARGUMENT', `key must be ${RAW_KEY_SIZE} bytes, got ${km.key.length}`);
  }
  if (kind === 'passkey') {
    const { credentialId, prfOutput } = (km.passkey ?? {}) as { credentialId?: unknown; prfOutput?: unknown };
    if (!(credentialId instanceof Uint8Array) || credentialId.length === 0) throw new CipherliteError('INVALID_ARGUMENT', 'expected passkey.credentialId to be a non-empty Uint8Array');
    if (!(prfOutput instanceof Uint8Array) || prfOutput.length !== PRF_OUTPUT_SIZE) {
      throw new CipherliteError('INVALID_ARGUMENT', `expected passkey.prfOutput to be a Uint8Array of length ${PRF_OUTPUT_SIZE}`);
    }
  }
  return kind;
}
