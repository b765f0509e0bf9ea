/**
 * Opening the container of a database file: create or unlock it, then finish a file replacement
 * that a crash interrupted.
 *
 * Nothing is written before the key is proven (unlock), so a wrong secret changes no byte. Only
 * then is an interrupted replacement (rekey; storage/file-replacement.ts) finished or discarded —
 * and only with a marker this database's key authenticates — and the unlock runs again on the
 * file that is now in place.
 */
import type { SlotSecret } from '../container/keyslots.js';
import { MainContainer } from '../container/main-container.js';
import { wipe } from '../crypto/wipe.js';
import { CipherliteError } from '../errors.js';
import { hasPendingReplace, recoverPendingReplace, replaceAuthority, replaceMarkerName, replaceSourceName } from '../storage/file-replacement.js';
import type { SyncFile, SyncStorage } from '../storage/sync-file.js';
import type { ResolvedOptions } from './open-options.js';

export interface UnlockedFile {
  file: SyncFile;
  container: MainContainer;
}

/** Creates or unlocks `o.name`. On failure, whatever it opened is closed again. */
export async function unlockDatabaseFile(o: ResolvedOptions, secret: SlotSecret): Promise<UnlockedFile> {
  const containerOptions = { aead: o.aead, ...(o.epochWriteLimit ? { epochWriteLimit: o.epochWriteLimit } : {}) };
  for (let attempt = 0; ; attempt++) {
    const existed = o.storage.exists(o.name);
    if (!existed && !o.create) throw new CipherliteError('NOT_A_DATABASE', `database "${o.name}" does not exist`);
    const file = o.storage.open(o.name, { create: o.create });
    let container: MainContainer;
    try {
      const isNew = file.getSize() === 0;
      if (isNew && !o.create) throw new CipherliteError('NOT_A_DATABASE', `database "${o.name}" is empty`);
      // A replacement's files next to a database that is not there: not ours to create over.
      if (isNew && hasPendingReplace(o.storage, o.name)) throw strayReplacement(o.storage, o.name);
      container = isNew
        ? await MainContainer.create(file, secret, { ...containerOptions, blockSize: o.pageSize, kdf: o.kdf, ...(o.passkeySlot ? { passkey: o.passkeySlot } : {}) })
        : await MainContainer.unlock(file, secret, containerOptions);
    } catch (e) {
      file.close();
      // Only the empty file this call created goes; nothing that was there is touched.
      if (!existed && o.storage.exists(o.name)) o.storage.delete(o.name);
      throw e;
    }
    if (attempt > 0 || !hasPendingReplace(o.storage, o.name)) return { file, container };
    const authority = replaceAuthority(container);
    container.close();
    file.close();
    try {
      await recoverPendingReplace(o.storage, o.name, authority);
    } finally {
      wipe(authority.macKey);
    }
  }
}

function strayReplacement(storage: SyncStorage, name: string): CipherliteError {
  const files = [replaceMarkerName(name), replaceSourceName(name)].filter((n) => storage.exists(n));
  return new CipherliteError('CORRUPT', `"${name}" is missing or empty but a replacement of it is pending (${files.join(', ')}); files left untouched`, { fileKind: 'main', files: [name, ...files] });
}
