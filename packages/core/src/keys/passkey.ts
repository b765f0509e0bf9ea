/**
 * Passkey keyslots: unlock with a WebAuthn credential's PRF output instead of a password.
 *
 * The WebAuthn ceremony runs in a browser's main thread (it must); this module only sees its
 * results. Adding a passkey: the caller picks a random salt, asks the authenticator for the PRF
 * output of that salt, and hands both here with the credential id — the slot stores the id, the
 * salt and a label (none of them secret) and wraps the data key under
 * HKDF(PRF output, salt, "cipherlite/v1/passkey-kek"). Unlocking: `passkeyChallenges` reads, with
 * no key, which credentials and salts to ask the authenticator for; the answer unlocks like a key
 * (`{ passkey: { credentialId, prfOutput } }`).
 *
 * Why no Argon2id: the PRF output is 256 bits from the authenticator's secret, never typed by a
 * person, so there is nothing to slow down a guess of (as with a raw key or a recovery key).
 */
import { internals } from '../database/internals.js';
import type { Database } from '../database/database.js';
import { PRF_OUTPUT_SIZE, secretFromMaterial } from '../container/keyslots.js';
import { SALT_SIZE } from '../crypto/kdf.js';
import { wipe } from '../crypto/wipe.js';
import { invalidArgument } from '../errors.js';
import { bytesEqual } from '../format/bytes.js';
import { validatePasskeyFields } from '../format/passkey-slot.js';
import type { KeyMaterial } from '../types.js';
import { appendSlot } from './keyslots.js';
import type { KeyslotInfo } from './types.js';

/** Bytes of the random per-slot salt (the PRF input and the HKDF salt). */
export const PASSKEY_SALT_SIZE = SALT_SIZE;

/** A new passkey slot: what the registration ceremony produced for `salt`. */
export interface NewPasskey {
  credentialId: Uint8Array;
  /** The salt the PRF was evaluated on (random, `PASSKEY_SALT_SIZE` bytes). */
  salt: Uint8Array;
  /** The authenticator's PRF output for `salt` (32 bytes); wiped by the caller. */
  prfOutput: Uint8Array;
  /** Shown by `listKeyslots` (at most 42 UTF-8 bytes), e.g. the user name. */
  label: string;
}

/**
 * Adds a passkey keyslot after proving `current` (a password, key or recovery key — or another
 * passkey). At most 4 slots in total. Refuses a credential that already has a slot.
 */
export async function addPasskey(db: Database, current: KeyMaterial, passkey: NewPasskey): Promise<KeyslotInfo> {
  if (passkey === null || typeof passkey !== 'object') invalidArgument('expected passkey to be { credentialId, salt, prfOutput, label }');
  const { credentialId, salt, prfOutput, label } = passkey;
  if (!(salt instanceof Uint8Array) || salt.length !== PASSKEY_SALT_SIZE) invalidArgument(`expected salt to be a Uint8Array of length ${PASSKEY_SALT_SIZE}`);
  if (typeof label !== 'string') invalidArgument('expected label to be a string');
  const secret = secretFromMaterial({ passkey: { credentialId, prfOutput } });
  try {
    validatePasskeyFields({ credentialId, label });
    const known = internals(db).container.header.keyslots.some((s) => s.passkey && bytesEqual(s.passkey.credentialId, credentialId));
    if (known) invalidArgument('this passkey already has a keyslot');
    return await appendSlot(db, current, secret, undefined, { credentialId, salt, label });
  } finally {
    wipe(secret.bytes);
  }
}

export { passkeyChallenges, type PasskeyChallenge } from './passkey-challenges.js';
export { PRF_OUTPUT_SIZE };
