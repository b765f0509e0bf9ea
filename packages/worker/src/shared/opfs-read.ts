/**
 * Reads the start of an OPFS file with `getFile()`: usable on the main thread and in workers,
 * creates nothing, and takes no lock. Chromium (156) answers it while another tab's worker holds
 * the file's sync access handle (what reading a database's public header before unlocking needs);
 * older Chromium refused it then with `NoModificationAllowedError`, which this passes on.
 */
import { CipherliteError } from '@cipherlite/core/errors';

/** The first `length` bytes of `directory/name` (fewer if shorter), or `null` if it does not exist. */
export async function readOpfsFileStart(where: { directory: string; name: string }, length: number): Promise<Uint8Array | null> {
  const storage = (globalThis.navigator as { storage?: StorageManager } | undefined)?.storage;
  if (typeof storage?.getDirectory !== 'function') throw new CipherliteError('UNSUPPORTED', 'the Origin Private File System is not available here');
  try {
    let dir = await storage.getDirectory();
    for (const part of where.directory.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part);
    const file = await (await dir.getFileHandle(where.name)).getFile();
    return new Uint8Array(await file.slice(0, length).arrayBuffer());
  } catch (e) {
    if (e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError')) return null;
    throw e;
  }
}
