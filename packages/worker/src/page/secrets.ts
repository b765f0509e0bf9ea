/**
 * Secrets on the page, for as short as possible: a bare string is a password, and a passkey
 * unlock runs the browser's ceremony here and hands the PRF output to the worker by transfer,
 * which leaves nothing of it on this thread.
 */
import type { KeyMaterial, PasskeyUnlock, UnlockSecret } from '@cipherlite/core';
import { CipherliteError } from '@cipherlite/core/errors';
import { format, passkeyChallenges } from '@cipherlite/core/header';
import * as Comlink from 'comlink';
import { assertPasskey, base64url } from './passkey-ceremony.js';
import type { PasskeyChallengeSource, WorkerApi } from '../shared/protocol.js';

/** A bare string means a password. */
export function asKey(secret: string | KeyMaterial): KeyMaterial {
  return typeof secret === 'string' ? { password: secret } : secret;
}

export function isPasskeyUnlock(secret: UnlockSecret): secret is PasskeyUnlock {
  if (typeof secret !== 'object' || secret === null || secret.passkey === undefined) return false;
  return secret.passkey === true || !(secret.passkey as { prfOutput?: unknown }).prfOutput;
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

/** Marks `value` so posting it moves the given PRF outputs' buffers (default: `value.passkey`'s). */
export function transferKey<T extends object>(value: T, ...prfOutputs: (Uint8Array | undefined)[]): T {
  const outs = (prfOutputs.length > 0 ? prfOutputs : [(value as KeyMaterial).passkey?.prfOutput]).filter((o): o is Uint8Array => o !== undefined);
  return outs.length > 0
    ? Comlink.transfer(
        value,
        outs.map((o) => o.buffer),
      )
    : value;
}
