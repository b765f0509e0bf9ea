/**
 * The handle every backend's `open()` returns: a view of a file the storage shares between
 * opens. `close()` ends this view only (the storage contract, sync-file.ts: the VFS may open,
 * inspect and close a file SQLite holds open); a call on a closed view is the caller's mistake
 * and fails with CLOSED. One class for every backend (memory, IndexedDB, OPFS's pooled handles).
 */
import { CipherliteError } from '../errors.js';
import type { AtOption, SyncFile } from './sync-file.js';

/** What a view forwards to: the shared file, without `close` (which ends only the view). */
export type SharedFile = Omit<SyncFile, 'close'>;

export class FileView implements SyncFile {
  #file: SharedFile | null;
  readonly #name: string;

  constructor(file: SharedFile, name: string) {
    this.#file = file;
    this.#name = name;
  }

  #f(): SharedFile {
    if (!this.#file) throw new CipherliteError('CLOSED', `file "${this.#name}" is closed`);
    return this.#file;
  }

  read(buf: Uint8Array, opts: AtOption): number {
    return this.#f().read(buf, opts);
  }

  write(buf: Uint8Array, opts: AtOption): number {
    return this.#f().write(buf, opts);
  }

  truncate(size: number): void {
    this.#f().truncate(size);
  }

  getSize(): number {
    return this.#f().getSize();
  }

  flush(): void {
    this.#f().flush();
  }

  close(): void {
    this.#file = null;
  }
}
