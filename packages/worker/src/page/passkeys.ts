/**
 * Passkeys on the page: the WebAuthn ceremonies (`passkey-ceremony.ts`) and the reading of a
 * database's public header (`@cipherlite/core/header`, with its SHA-256), kept in a chunk of
 * their own that a page loads on the first passkey call (`loadPasskeys` in `passkey-loader.ts`).
 * Opening with a password or a key and every SQL call never load it, which keeps about a third
 * off what a page loads when it opens (docs/PACKAGING.md, "Sizes of a built app"). The lint rules of
 * scripts/eslint-threads.mjs refuse a static import of this file, of the ceremony and of core's
 * header elsewhere on the page, which would pull the chunk back into the page's eager code.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { format, passkeyChallenges, PASSKEY_SALT_SIZE } from '@cipherlite/core/header';
import type { KeyMaterial, PasskeyAssertion, PasskeyUnlock } from '@cipherlite/core';
import type { KeyslotInfo } from '@cipherlite/core/keys';
import type * as Comlink from 'comlink';
import { readFileStart } from '../shared/file-start.js';
import { DEFAULT_DIRECTORY, type PasskeyChallengeSource, type StorageBackend, type WorkerApi } from '../shared/protocol.js';
import { assertPasskey, base64url, registerPasskey, type PasskeyRegistration } from './passkey-ceremony.js';
import { transferKey } from './secrets.js';

/** The passkey slots of database `name` (label only); `[]` when it has none or does not exist. */
export async function passkeySlots(o: { name: string; directory?: string; storage?: StorageBackend }): Promise<Pick<KeyslotInfo, 'label'>[]> {
  const head = await readFileStart({ name: o.name, directory: o.directory ?? DEFAULT_DIRECTORY }, format.MAIN_HEADER_SIZE, o.storage);
  if (!head) return [];
  try {
    return passkeyChallenges(head).map((c) => ({ label: c.label }));
  } catch (e) {
    if (e instanceof CipherliteError && e.code === 'NO_PASSKEY') return [];
    throw e;
  }
}

/** A new passkey for a new slot: the authenticator's credential and its PRF output for a fresh random salt. */
export async function createPasskey(o: PasskeyRegistration): Promise<PasskeyAssertion & { salt: Uint8Array }> {
  const salt = crypto.getRandomValues(new Uint8Array(PASSKEY_SALT_SIZE));
  return { ...(await registerPasskey(salt, o)), salt };
}

/**
 * Runs the passkey ceremony for the slots the worker reads from the file, and returns key
 * material marked for transfer: posting it moves the PRF output's buffer to the worker.
 * `exceptCredential` (base64url) is left out: the passkey whose slot is being removed.
 */
export async function passkeyKeyMaterial(remote: Comlink.Remote<WorkerApi>, where: PasskeyChallengeSource, request: PasskeyUnlock['passkey'], exceptCredential?: string): Promise<KeyMaterial> {
  let challenges = await remote.passkeyChallenges(where);
  if (exceptCredential !== undefined) {
    challenges = challenges.filter((c) => base64url(c.credentialId) !== exceptCredential);
    if (challenges.length === 0) throw new CipherliteError('NO_PASSKEY', 'no other passkey of this database can prove this (a passkey cannot prove its own removal); use the password');
  }
  const assertion = await assertPasskey(challenges, request === true ? {} : request);
  return transferKey({ passkey: assertion });
}

/**
 * The same for a backup file's own passkey slots (a backup made with a passkey as proof carries
 * that slot): its header is parsed here, since the bytes are on this page. NO_PASSKEY when it
 * has none; NOT_A_DATABASE when the bytes are no cipherlite file.
 */
export async function backupPasskeyKeyMaterial(bytes: Uint8Array, request: PasskeyUnlock['passkey']): Promise<KeyMaterial> {
  if (!(bytes instanceof Uint8Array)) throw new CipherliteError('INVALID_ARGUMENT', 'backup bytes must be a Uint8Array');
  let challenges;
  try {
    challenges = passkeyChallenges(bytes.subarray(0, format.MAIN_HEADER_SIZE));
  } catch (e) {
    if (e instanceof CipherliteError && e.code === 'NO_PASSKEY') {
      throw new CipherliteError('NO_PASSKEY', 'this backup has no passkey keyslot: it opens with the secret it was made under', {}, { cause: e });
    }
    throw e;
  }
  const assertion = await assertPasskey(challenges, request === true ? {} : request);
  return transferKey({ passkey: assertion });
}
