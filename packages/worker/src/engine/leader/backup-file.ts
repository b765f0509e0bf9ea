/**
 * Reading an automatic backup (`<name>.bak-<time>`, made before each restore) for the client to
 * download or restore. Only names `listBackups` reports are read: this call must not become a way
 * to read any file of the directory (the live database, its journal, another database).
 */
import { CipherliteError } from '@cipherlite/core';
import * as keys from '@cipherlite/core/keys';
import type { SyncStorage } from '@cipherlite/core';

export async function readBackup(storage: SyncStorage, dbName: string, name: string): Promise<Uint8Array> {
  const entry = (await keys.listBackups(storage, dbName)).find((b) => b.name === name);
  if (!entry) throw new CipherliteError('INVALID_ARGUMENT', `no automatic backup named ${JSON.stringify(String(name))}`);
  await storage.prepare?.([name]);
  const file = storage.open(name, { create: false });
  try {
    const bytes = new Uint8Array(file.getSize());
    let at = 0;
    // A storage may return fewer bytes than asked; read until the file is in.
    while (at < bytes.length) {
      const n = file.read(bytes.subarray(at), { at });
      if (n <= 0) throw new CipherliteError('CORRUPT', `backup ${name} ended after ${at} of ${bytes.length} bytes`);
      at += n;
    }
    return bytes;
  } finally {
    file.close();
  }
}
