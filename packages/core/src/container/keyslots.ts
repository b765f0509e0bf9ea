/**
 * Envelope encryption of the data key (DEK), LUKS-style.
 *
 * The DEK (random, 256 bits) encrypts every block. Each keyslot holds the DEK wrapped under one
 * key-encryption key (KEK): Argon2id(password) for a password slot, HKDF(raw key) for an
 * application key, HKDF(recovery key) for a recovery slot, HKDF(WebAuthn PRF output) for a
 * passkey slot (only for the credential the slot names). Changing a password re-wraps the DEK
 * in one slot — O(1), no block is touched.
 *
 * Wrapping: AES-256-GCM(KEK, random nonce, AAD = magic ‖ file id ‖ the slot's own kind/KDF/salt
 * fields), so a slot cannot be moved to another file or have its parameters edited.
 * Each slot also stores HMAC(KEK, "slot-commit"): a wrong secret is recognised by comparing
 * commitments (→ WRONG_KEY) without trying to unwrap, and since GCM is not key-committing the
 * commitment also stops a crafted slot from opening under two different passwords.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { CipherliteError } from '../errors.js';
import { keyslotAadPrefix, type Keyslot, type KeyslotKind } from '../format/main-header.js';
import { MAGIC } from '../format/constants.js';
import type { KdfParams, KeyMaterial } from '../types.js';
import { deriveKek, encodePassword, KdfBudget, SALT_SIZE, validateKdfParams } from '../crypto/kdf.js';
import { parseRecoveryKey } from '../crypto/recovery-key.js';
import { randomBytes } from '../crypto/random.js';
import { derivePasskeyKek, deriveRawKek, deriveRecoveryKek, slotCommitment } from '../crypto/subkeys.js';
import { constantTimeEqual, wipe } from '../crypto/wipe.js';
import { bytesEqual } from '../format/bytes.js';
import type { PasskeySlotFields } from '../format/passkey-slot.js';
import { keyMaterialKind, PRF_OUTPUT_SIZE } from './key-material.js';

export { PRF_OUTPUT_SIZE };
export const DEK_SIZE = 32;

type SlotBase = Pick<Keyslot, 'kind' | 'kdf' | 'salt' | 'createdAt' | 'passkey'>;

function wrapAad(fileId: Uint8Array, slot: SlotBase): Uint8Array {
  const prefix = keyslotAadPrefix(slot);
  const aad = new Uint8Array(MAGIC.length + fileId.length + prefix.length);
  aad.set(MAGIC, 0);
  aad.set(fileId, MAGIC.length);
  aad.set(prefix, MAGIC.length + fileId.length);
  return aad;
}

function wrap(dek: Uint8Array, kek: Uint8Array, fileId: Uint8Array, base: SlotBase): Keyslot {
  const wrapNonce = randomBytes(12);
  const sealed = gcm(kek, wrapNonce, wrapAad(fileId, base)).encrypt(dek);
  return {
    ...base,
    wrapNonce,
    wrappedKey: sealed.slice(0, DEK_SIZE),
    wrapTag: sealed.slice(DEK_SIZE),
    commitment: slotCommitment(kek),
  };
}

/**
 * Key material checked and encoded for keyslot work, in the keyslot's own vocabulary
 * (`KeyslotKind`: 'raw', 'recovery' — what is stored) rather than the caller's (`KeyMaterialKind`:
 * `key`, `recoveryKey` — the field names of `KeyMaterial`). The caller wipes `.bytes`.
 */
export interface SlotSecret {
  kind: KeyslotKind;
  bytes: Uint8Array;
  /** Passkey secrets: the credential whose PRF output `bytes` is (only its slots are tried). */
  credentialId?: Uint8Array;
}

export function secretFromMaterial(m: KeyMaterial): SlotSecret {
  switch (keyMaterialKind(m)) {
    case 'password':
      return { kind: 'password', bytes: encodePassword(m.password!) };
    case 'key':
      // A copy, even of a Node Buffer (whose slice() shares memory: wiping it would wipe the caller's key).
      return { kind: 'raw', bytes: new Uint8Array(m.key!) };
    case 'recoveryKey':
      return { kind: 'recovery', bytes: parseRecoveryKey(m.recoveryKey!) };
    case 'passkey':
      return passkeySecret(m.passkey!);
  }
}

function passkeySecret(p: { credentialId: Uint8Array; prfOutput: Uint8Array }): SlotSecret {
  if (p === null || typeof p !== 'object' || !(p.credentialId instanceof Uint8Array) || !(p.prfOutput instanceof Uint8Array)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'expected passkey to be { credentialId: Uint8Array, prfOutput: Uint8Array }');
  }
  if (p.prfOutput.length !== PRF_OUTPUT_SIZE) throw new CipherliteError('INVALID_ARGUMENT', `expected a PRF output of ${PRF_OUTPUT_SIZE} bytes, got length=${p.prfOutput.length}`);
  return { kind: 'passkey', bytes: new Uint8Array(p.prfOutput), credentialId: new Uint8Array(p.credentialId) };
}

async function kekFor(secret: SlotSecret, salt: Uint8Array, kdf: KdfParams | null): Promise<Uint8Array> {
  switch (secret.kind) {
    case 'password':
      return deriveKek(secret.bytes, salt, kdf!);
    case 'raw':
      return deriveRawKek(secret.bytes, salt);
    case 'recovery':
      return deriveRecoveryKek(secret.bytes, salt);
    case 'passkey':
      return derivePasskeyKek(secret.bytes, salt);
  }
}

/** What only a passkey slot needs at creation: its PRF salt (chosen before the ceremony) and fields. */
export interface NewPasskeySlot extends PasskeySlotFields {
  salt: Uint8Array;
}

/**
 * Creates a keyslot for `secret` holding `dek`. `kdf` applies to password slots; `passkey` is
 * required for (and only for) a passkey secret, whose PRF output was made for `passkey.salt`.
 */
export async function createKeyslot(dek: Uint8Array, secret: SlotSecret, fileId: Uint8Array, kdf: KdfParams, passkey?: NewPasskeySlot): Promise<Keyslot> {
  if ((secret.kind === 'passkey') !== (passkey !== undefined)) {
    throw new CipherliteError('INVALID_ARGUMENT', 'a passkey slot is added with addPasskey() to an existing database; it cannot create one or replace a password');
  }
  if (passkey && (!bytesEqual(passkey.credentialId, secret.credentialId!) || passkey.salt.length !== SALT_SIZE)) {
    throw new CipherliteError('INVALID_ARGUMENT', `expected the passkey's own credential id and a ${SALT_SIZE}-byte salt`);
  }
  const salt = passkey ? passkey.salt.slice() : randomBytes(SALT_SIZE);
  const slotKdf = secret.kind === 'password' ? kdf : null;
  if (slotKdf) validateKdfParams(slotKdf, 'option');
  const kek = await kekFor(secret, salt, slotKdf);
  try {
    const fields = passkey ? { passkey: { credentialId: passkey.credentialId.slice(), label: passkey.label } } : {};
    return wrap(dek, kek, fileId, { kind: secret.kind, kdf: slotKdf, salt, createdAt: Date.now(), ...fields });
  } finally {
    wipe(kek);
  }
}

/** Re-wraps an existing slot's DEK for a new file id (restore/import give files fresh ids). */
export async function rewrapKeyslot(dek: Uint8Array, secret: SlotSecret, slot: Keyslot, fileId: Uint8Array): Promise<Keyslot> {
  const kek = await kekFor(secret, slot.salt, slot.kdf);
  try {
    return wrap(dek, kek, fileId, slot);
  } finally {
    wipe(kek);
  }
}

/**
 * Finds the slot `secret` opens and returns its index and the DEK, or null if none does
 * (→ WRONG_KEY). Runs the KDF once per distinct (salt, parameters) among matching slots —
 * normally exactly once. `kekCache` lets a caller try two header copies without a second run.
 */
export async function openKeyslots(
  slots: readonly Keyslot[],
  fileId: Uint8Array,
  secret: SlotSecret,
  kekCache: Map<string, Uint8Array> = new Map(),
  o: { budget?: KdfBudget; tryFirst?: number } = {},
): Promise<{ index: number; dek: Uint8Array } | null> {
  const budget = o.budget ?? new KdfBudget();
  const order = [...slots.keys()];
  // A proof of the secret an open already used: its slot first, so the proof is one KDF run.
  if (o.tryFirst !== undefined && o.tryFirst < slots.length) order.unshift(...order.splice(o.tryFirst, 1));
  for (const i of order) {
    const slot = slots[i]!;
    if (slot.kind !== secret.kind) continue;
    // A passkey's PRF output belongs to one credential: other credentials' slots are not tried.
    if (slot.kind === 'passkey' && !bytesEqual(slot.passkey!.credentialId, secret.credentialId!)) continue;
    const cacheKey = `${slot.kind}:${Array.from(slot.salt).join(',')}:${slot.kdf ? `${slot.kdf.memoryKiB}/${slot.kdf.iterations}/${slot.kdf.parallelism}` : ''}`;
    let kek = kekCache.get(cacheKey);
    if (!kek) {
      // Past the attempt's Argon2id budget this slot is not tried (docs/FORMAT.md "Keyslot").
      if (slot.kdf && !budget.take(slot.kdf)) continue;
      kek = await kekFor(secret, slot.salt, slot.kdf);
      kekCache.set(cacheKey, kek);
    }
    if (!constantTimeEqual(slotCommitment(kek), slot.commitment)) continue;
    const sealed = new Uint8Array(DEK_SIZE + 16);
    sealed.set(slot.wrappedKey, 0);
    sealed.set(slot.wrapTag, DEK_SIZE);
    try {
      return { index: i, dek: gcm(kek, slot.wrapNonce, wrapAad(fileId, slot)).decrypt(sealed) };
    } catch {
      // The commitment matched, so the secret is right but the slot was altered.
      throw new CipherliteError('CORRUPT', `keyslot ${i} failed authentication (header tampered or damaged)`, { fileKind: 'main' });
    }
  }
  return null;
}

export function wipeKekCache(cache: Map<string, Uint8Array>): void {
  for (const k of cache.values()) wipe(k);
  cache.clear();
}
