/**
 * The passkey chunk (`passkeys.ts`: the WebAuthn ceremonies and core's header reader with its
 * SHA-256), loaded on the first passkey call — and `passkeySlots()`, which is one. A page that
 * opens with a password never downloads it (docs/PACKAGING.md, "Sizes of a built app").
 */
import { CipherliteError } from '@cipherlite/core/errors';
import type { KeyslotInfo } from '@cipherlite/core/keys';
import type { StorageBackend } from '../shared/protocol.js';

/**
 * Loads the passkey chunk. UNSUPPORTED when it does not load (e.g. offline with a service worker
 * that did not precache it): passkeys are unavailable here, the password keeps working.
 */
export function loadPasskeys(): Promise<typeof import('./passkeys.js')> {
  return import('./passkeys.js').catch((e: unknown) => {
    throw new CipherliteError(
      'UNSUPPORTED',
      `the passkey code did not load (${e instanceof Error ? e.message : String(e)}); use the password. Offline, a service worker must precache every file the build emits`,
      {},
      { cause: e },
    );
  });
}

/**
 * `passkeySlots()`: which passkeys can unlock database `name` (label only), read on the main
 * thread before it is opened (an unlock screen shows "Unlock with passkey" only when there is
 * one); `[]` when it has none or does not exist. The header is public by design; this reads it
 * (`shared/file-start.ts`: OPFS `getFile()` or the IndexedDB records) and never needs a key.
 * `storage` names the backend; without it OPFS is tried, then IndexedDB.
 */
export async function passkeySlots(o: { name: string; directory?: string; storage?: StorageBackend }): Promise<Pick<KeyslotInfo, 'label'>[]> {
  return (await loadPasskeys()).passkeySlots(o);
}
