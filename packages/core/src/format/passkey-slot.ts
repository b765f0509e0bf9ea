/**
 * The passkey part of a keyslot (kind 4): which WebAuthn credential the slot belongs to and a
 * label for people. Neither is secret; both are bound into the slot's wrap AAD (so they cannot be
 * edited without the slot failing) and covered by the header MAC.
 *
 * The fields live in the slot's reserved tail (bytes 132..256), which the other kinds leave zero:
 *   132  credential id length      u8  (1..MAX_CREDENTIAL_ID_SIZE)
 *   133  credential id             80  (zero-padded)
 *   213  label length              u8  (0..MAX_LABEL_SIZE, UTF-8 bytes)
 *   214  label                     42  (zero-padded)
 * The PRF salt is the slot's ordinary 16-byte salt (offset 16): it is both the WebAuthn PRF input
 * and the HKDF salt of the KEK (crypto/subkeys.ts `derivePasskeyKek`).
 *
 * 80 bytes holds the credential ids of platform authenticators (16–64 bytes in practice); a
 * longer id is refused when the passkey is added, never truncated.
 */
import { CipherliteError } from '../errors.js';
import { KEYSLOT_SIZE } from './constants.js';

export const PK_CREDENTIAL_ID_LENGTH = 132;
export const PK_CREDENTIAL_ID = 133;
export const MAX_CREDENTIAL_ID_SIZE = 80;
export const PK_LABEL_LENGTH = PK_CREDENTIAL_ID + MAX_CREDENTIAL_ID_SIZE;
export const PK_LABEL = PK_LABEL_LENGTH + 1;
export const MAX_LABEL_SIZE = KEYSLOT_SIZE - PK_LABEL;
/** The passkey fields, as bound into the wrap AAD (after the slot's first 40 bytes). */
export const PK_AAD_START = PK_CREDENTIAL_ID_LENGTH;

/** What a passkey slot records beyond the common fields. */
export interface PasskeySlotFields {
  credentialId: Uint8Array;
  label: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Throws INVALID_ARGUMENT unless `fields` fit a slot (checked when a passkey is added). */
export function validatePasskeyFields(fields: PasskeySlotFields): void {
  const n = fields.credentialId.length;
  if (n < 1 || n > MAX_CREDENTIAL_ID_SIZE) {
    throw new CipherliteError('INVALID_ARGUMENT', `expected a credential id of 1..${MAX_CREDENTIAL_ID_SIZE} bytes, got length=${n}`);
  }
  const label = encoder.encode(fields.label).length;
  if (label > MAX_LABEL_SIZE) throw new CipherliteError('INVALID_ARGUMENT', `expected a passkey label of at most ${MAX_LABEL_SIZE} UTF-8 bytes, got ${label}`);
}

/** Writes the passkey fields into a 256-byte slot buffer. */
export function encodePasskeyFields(fields: PasskeySlotFields, slot: Uint8Array): void {
  validatePasskeyFields(fields);
  const label = encoder.encode(fields.label);
  slot[PK_CREDENTIAL_ID_LENGTH] = fields.credentialId.length;
  slot.set(fields.credentialId, PK_CREDENTIAL_ID);
  slot[PK_LABEL_LENGTH] = label.length;
  slot.set(label, PK_LABEL);
}

/** Reads the passkey fields of a slot; NOT_A_DATABASE when they are out of bounds. */
export function decodePasskeyFields(slot: Uint8Array): PasskeySlotFields {
  const idLength = slot[PK_CREDENTIAL_ID_LENGTH]!;
  const labelLength = slot[PK_LABEL_LENGTH]!;
  if (idLength < 1 || idLength > MAX_CREDENTIAL_ID_SIZE || labelLength > MAX_LABEL_SIZE) {
    throw new CipherliteError('NOT_A_DATABASE', 'passkey keyslot fields out of bounds');
  }
  let label: string;
  try {
    label = decoder.decode(slot.subarray(PK_LABEL, PK_LABEL + labelLength));
  } catch {
    throw new CipherliteError('NOT_A_DATABASE', 'passkey keyslot label is not UTF-8');
  }
  return { credentialId: slot.slice(PK_CREDENTIAL_ID, PK_CREDENTIAL_ID + idLength), label };
}
