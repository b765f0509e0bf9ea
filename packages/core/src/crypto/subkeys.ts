/**
 * Key derivation below the data key (DEK), with HKDF-SHA256 (RFC 5869, @noble/hashes).
 *
 * Every use of the DEK goes through a separate, labelled subkey, so no two purposes ever share
 * a key: block encryption per (file id, file kind, key epoch), the main header MAC, the
 * journal-header MAC. Labels carry the format version so a future format cannot collide.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

const enc = new TextEncoder();
const LABEL_BLOCK = enc.encode('cipherlite/v1/block');
const LABEL_HEADER_MAC = enc.encode('cipherlite/v1/header-mac');
const LABEL_AUX_MAC = enc.encode('cipherlite/v1/aux-header-mac');
const LABEL_RAW_KEK = enc.encode('cipherlite/v1/raw-kek');
const LABEL_RECOVERY_KEK = enc.encode('cipherlite/v1/recovery-kek');
const LABEL_PASSKEY_KEK = enc.encode('cipherlite/v1/passkey-kek');
const LABEL_SLOT_COMMIT = enc.encode('cipherlite/v1/slot-commit');
const LABEL_REPLACE_MARKER_MAC = enc.encode('cipherlite/v1/replace-marker-mac');

/** The block key for one (file, kind, epoch): HKDF(DEK, salt = fileId, info = label ‖ kind ‖ epoch). */
export function deriveBlockKey(dek: Uint8Array, fileId: Uint8Array, kind: number, epoch: number): Uint8Array {
  const info = new Uint8Array(LABEL_BLOCK.length + 5);
  info.set(LABEL_BLOCK);
  const dv = new DataView(info.buffer);
  dv.setUint8(LABEL_BLOCK.length, kind);
  dv.setUint32(LABEL_BLOCK.length + 1, epoch);
  return hkdf(sha256, dek, fileId, info, 32);
}

export function deriveHeaderMacKey(dek: Uint8Array, fileId: Uint8Array): Uint8Array {
  return hkdf(sha256, dek, fileId, LABEL_HEADER_MAC, 32);
}

export function deriveAuxMacKey(dek: Uint8Array, mainFileId: Uint8Array): Uint8Array {
  return hkdf(sha256, dek, mainFileId, LABEL_AUX_MAC, 32);
}

/** MAC key of a file-replacement marker (storage/file-replacement.ts), per database file id. */
export function deriveReplaceMarkerMacKey(dek: Uint8Array, fileId: Uint8Array): Uint8Array {
  return hkdf(sha256, dek, fileId, LABEL_REPLACE_MARKER_MAC, 32);
}

/** KEK for a raw 256-bit application key: already high-entropy, so HKDF only (no Argon2). */
export function deriveRawKek(rawKey: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdf(sha256, rawKey, salt, LABEL_RAW_KEK, 32);
}

/** KEK for a recovery key (160 random bits): high-entropy, so HKDF only. */
export function deriveRecoveryKek(recoveryKey: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdf(sha256, recoveryKey, salt, LABEL_RECOVERY_KEK, 32);
}

/** KEK for a passkey slot: the WebAuthn PRF output is already a uniform 256-bit key, so HKDF only. */
export function derivePasskeyKek(prfOutput: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdf(sha256, prfOutput, salt, LABEL_PASSKEY_KEK, 32);
}

/**
 * Key commitment stored in a keyslot: HMAC(KEK, label). GCM is not key-committing, so without
 * this a crafted slot could decrypt "successfully" under two different passwords; with it, a
 * wrong password is recognised by a plain comparison before any unwrap is attempted.
 */
export function slotCommitment(kek: Uint8Array): Uint8Array {
  return hmac(sha256, kek, LABEL_SLOT_COMMIT);
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(sha256, key, data);
}

export { sha256 };
