/**
 * Node.js filesystem `SyncStorage`: one directory, one real file per name. Used by the CLI, the
 * Node demo and tests that want real files. Node-only (imports `node:fs`); exported from
 * `@cipherlite/core/node`, never from the browser entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CipherliteError } from '../errors.js';
import { acquireDatabaseLock, LOCK_SUFFIX, removeStaleLock } from './node-lock.js';
import type { AtOption, SyncFile, SyncStorage } from './sync-file.js';

/**
 * Read-write, never through a symbolic link. A side file (`-journal`, `-wal`, `~new`, …) that is a
 * link planted in the database's directory would otherwise have the database write its journal
 * into whatever the link names — overwriting that file, or creating it where the link points —
 * and a database path that is a link would have its side files next to the link (node-lock.ts).
 */
const OPEN_FLAGS = fs.constants.O_RDWR | (fs.constants.O_NOFOLLOW ?? 0);

/** One open file descriptor, shared by every handle on the same name (reference-counted). */
interface SharedFd {
  fd: number;
  refs: number;
}

/** One handle: closing it ends this handle only; the descriptor closes with its last handle. */
class NodeFile implements SyncFile {
  #shared: SharedFd | null;
  readonly #name: string;
  readonly #onClose: (last: boolean) => void;
  constructor(shared: SharedFd, name: string, onClose: (last: boolean) => void) {
    this.#shared = shared;
    this.#name = name;
    this.#onClose = onClose;
    shared.refs++;
  }
  get #handle(): number {
    if (!this.#shared) throw new CipherliteError('CLOSED', `file "${this.#name}" is closed`);
    return this.#shared.fd;
  }
  read(buf: Uint8Array, { at }: AtOption): number {
    const fd = this.#handle;
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, at + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  write(buf: Uint8Array, { at }: AtOption): number {
    const fd = this.#handle;
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, at + done);
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
    const shared = this.#shared;
    if (!shared) return;
    this.#shared = null;
    const last = --shared.refs === 0;
    if (last) fs.closeSync(shared.fd);
    this.#onClose(last);
  }
}

export class NodeFsStorage implements SyncStorage {
  readonly dir: string;
  readonly #open = new Map<string, SharedFd>();
  /** Every handle handed out and not yet closed (closeAll). */
  readonly #handles = new Set<NodeFile>();

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  #path(name: string): string {
    if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') throw new Error(`invalid file name: ${name}`);
    return path.join(this.dir, name);
  }

  /** A new handle per call, sharing one descriptor per name (sync-file.ts contract). */
  open(name: string, { create }: { create: boolean }): SyncFile {
    let shared = this.#open.get(name);
    if (!shared) {
      const p = this.#path(name);
      let fd: number;
      try {
        fd = fs.openSync(p, OPEN_FLAGS | (create ? fs.constants.O_CREAT : 0), 0o666);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new CipherliteError('IO', `no such file: ${name}`, {}, { cause: e });
        if (code === 'ELOOP') throw new CipherliteError('IO', `"${name}" is a symbolic link; cipherlite does not write through links (remove it)`, {}, { cause: e });
        throw e;
      }
      shared = { fd, refs: 0 };
      this.#open.set(name, shared);
    }
    const entry = shared;
    const f: NodeFile = new NodeFile(entry, name, (last) => {
      this.#handles.delete(f);
      if (last && this.#open.get(name) === entry) this.#open.delete(name);
    });
    this.#handles.add(f);
    return f;
  }

  exists(name: string): boolean {
    return fs.existsSync(this.#path(name));
  }

  /**
   * Removes the file, and its lock file if a crashed holder left one. Handles still open keep
   * working on the removed file (POSIX unlink).
   */
  delete(name: string): void {
    this.#open.delete(name);
    fs.rmSync(this.#path(name), { force: true });
    removeStaleLock(this.#path(name));
  }

  /**
   * rename(2) replaces `to` atomically (POSIX); the directory is then flushed so the new entry
   * survives a power cut. A missing `from` changes nothing.
   */
  async rename(from: string, to: string): Promise<void> {
    const src = this.#path(from);
    const dst = this.#path(to);
    if (!fs.existsSync(src)) throw new CipherliteError('IO', `no such file: ${from}`);
    this.#open.delete(from);
    this.#open.delete(to);
    fs.renameSync(src, dst);
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
    removeStaleLock(src);
  }

  list(): string[] {
    return fs.readdirSync(this.dir).filter((n) => !n.endsWith(LOCK_SUFFIX) && !n.includes(`${LOCK_SUFFIX}.stale-`));
  }

  /** Exclusive across processes and storages (node-lock.ts); a crashed holder's lock is broken. */
  lock(name: string): () => void {
    return acquireDatabaseLock(this.#path(name));
  }

  /** Closes every handle this storage handed out (and so every file descriptor). */
  closeAll(): void {
    for (const f of [...this.#handles]) f.close();
  }
}
