/**
 * Node.js filesystem `SyncStorage`: one directory, one real file per name. Used by the CLI, the
 * Node demo and tests that want real files. Node-only (imports `node:fs`); exported from
 * `@cipherlite/core/node`, never from the browser entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireDatabaseLock, LOCK_SUFFIX } from './node-lock.js';
import type { AtOption, SyncFile, SyncStorage } from './sync-file.js';

class NodeFile implements SyncFile {
  #fd: number | null;
  readonly #onClose: () => void;
  constructor(fd: number, onClose: () => void) {
    this.#fd = fd;
    this.#onClose = onClose;
  }
  get #handle(): number {
    if (this.#fd === null) throw new Error('file is closed');
    return this.#fd;
  }
  read(buf: Uint8Array, { at }: AtOption): number {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.#handle, buf, done, buf.length - done, at + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  write(buf: Uint8Array, { at }: AtOption): number {
    let done = 0;
    while (done < buf.length) done += fs.writeSync(this.#handle, buf, done, buf.length - done, at + done);
    return done;
  }
  truncate(size: number): void {
    fs.ftruncateSync(this.#handle, size);
  }
  getSize(): number {
    return fs.fstatSync(this.#handle).size;
  }
  flush(): void {
    fs.fsyncSync(this.#handle);
  }
  close(): void {
    if (this.#fd !== null) fs.closeSync(this.#fd);
    this.#fd = null;
    this.#onClose();
  }
}

export class NodeFsStorage implements SyncStorage {
  readonly dir: string;
  readonly #open = new Map<string, NodeFile>();

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  #path(name: string): string {
    if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') throw new Error(`invalid file name: ${name}`);
    return path.join(this.dir, name);
  }

  open(name: string, { create }: { create: boolean }): SyncFile {
    const existing = this.#open.get(name);
    if (existing) return existing;
    const p = this.#path(name);
    const fd = fs.openSync(p, create ? (fs.existsSync(p) ? 'r+' : 'w+') : 'r+');
    const f: NodeFile = new NodeFile(fd, () => {
      if (this.#open.get(name) === f) this.#open.delete(name);
    });
    this.#open.set(name, f);
    return f;
  }

  exists(name: string): boolean {
    return fs.existsSync(this.#path(name));
  }

  delete(name: string): void {
    const f = this.#open.get(name);
    if (f) {
      f.close();
      this.#open.delete(name);
    }
    fs.rmSync(this.#path(name), { force: true });
  }

  list(): string[] {
    return fs.readdirSync(this.dir).filter((n) => !n.endsWith(LOCK_SUFFIX) && !n.includes(`${LOCK_SUFFIX}.stale-`));
  }

  /** Exclusive across processes and storages (node-lock.ts); a crashed holder's lock is broken. */
  lock(name: string): () => void {
    return acquireDatabaseLock(this.#path(name));
  }

  /** Closes every open file descriptor. */
  closeAll(): void {
    for (const f of [...this.#open.values()]) f.close();
  }
}
