/**
 * Secrets on the page, for as short as possible: a bare string is a password, and a passkey
 * unlock runs the browser's ceremony here and hands the PRF output to the worker by transfer,
 * which leaves nothing of it on this thread. The ceremony itself is in the passkey chunk
 * (`passkeys.ts`), loaded on the first passkey call (`passkey-loader.ts`).
 */
import type { KeyMaterial, PasskeyUnlock, UnlockSecret } from '@cipherlite/core';
import * as Comlink from 'comlink';

/** A bare string means a password. */
export function asKey(secret: string | KeyMaterial): KeyMaterial {
  return typeof secret === 'string' ? { password: secret } : secret;
}

export function isPasskeyUnlock(secret: UnlockSecret): secret is PasskeyUnlock {
  if (typeof secret !== 'object' || secret === null || secret.passkey === undefined) return false;
  return secret.passkey === true || !(secret.passkey as { prfOutput?: unknown }).prfOutput;
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
