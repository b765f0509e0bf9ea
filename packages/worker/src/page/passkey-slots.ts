/**
 * `passkeySlots()`: which passkeys can unlock a database, read on the main thread before it is
 * opened (an unlock screen shows "Unlock with passkey" only when there is one). The header is
 * public by design; this reads it (`shared/file-start.ts`: OPFS `getFile()` or the IndexedDB records)
 * and never needs a key. `storage` names the backend; without it OPFS is tried, then IndexedDB.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { format, passkeyChallenges } from '@cipherlite/core/header';
import type { KeyslotInfo } from '@cipherlite/core/keys';
import { readFileStart } from '../shared/file-start.js';
import { DEFAULT_DIRECTORY, type StorageBackend } from '../shared/protocol.js';

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
