/**
 * `passkeySlots()`: which passkeys can unlock a database, read on the main thread before it is
 * opened (an unlock screen shows "Unlock with passkey" only when there is one). The header is
 * public by design; this reads it with `getFile()` (shared/opfs-read.ts: in Chromium 156 also
 * while another tab's worker holds the file), and never needs a key.
 */
import { CipherliteError } from '@cipherlite/core/errors';
import { format, passkeyChallenges } from '@cipherlite/core/header';
import type { KeyslotInfo } from '@cipherlite/core/keys';
import { readOpfsFileStart } from '../shared/opfs-read.js';
import { DEFAULT_DIRECTORY } from '../shared/protocol.js';

/** The passkey slots of database `name` (label only); `[]` when it has none or does not exist. */
export async function passkeySlots(o: { name: string; directory?: string }): Promise<Pick<KeyslotInfo, 'label'>[]> {
  const head = await readOpfsFileStart({ name: o.name, directory: o.directory ?? DEFAULT_DIRECTORY }, format.MAIN_HEADER_SIZE);
  if (!head) return [];
  try {
    return passkeyChallenges(head).map((c) => ({ label: c.label }));
  } catch (e) {
    if (e instanceof CipherliteError && e.code === 'NO_PASSKEY') return [];
    throw e;
  }
}
