/**
 * A SyncFile that writes a pending journal/WAL header just before its first write or truncate
 * (vfs/aux-file.ts): opening a side file — SQLite does so to look at a hot journal during an open
 * that may still fail — writes nothing, and until the header is written the file holds nothing.
 */
import { CipherliteError } from '../errors.js';
import type { AtOption, SyncFile } from '../storage/sync-file.js';

/** A SyncFile that writes a pending header just before its first write or truncate. */
export class HeaderOnFirstWrite implements SyncFile {
  readonly #inner: SyncFile;
  #pending: Uint8Array | null;
  constructor(inner: SyncFile, pending: Uint8Array | null) {
    this.#inner = inner;
    this.#pending = pending;
  }
  #materialize(): void {
    if (!this.#pending) return;
    // Whatever is there holds nothing (a torn creation, or a spent journal of the previous layout).
    if (this.#inner.getSize() > 0) this.#inner.truncate(0);
    const n = this.#inner.write(this.#pending, { at: 0 });
    if (n !== this.#pending.length) throw new CipherliteError('IO', `short write of a journal header (${n} of ${this.#pending.length} bytes)`);
    this.#pending = null;
  }
  /** Writes `header` now, after cutting the file to zero (so a torn header never fronts a body). */
  writeHeaderNow(header: Uint8Array): void {
    this.#pending = header;
    this.#materialize();
  }
  read(buf: Uint8Array, opts: AtOption): number {
    if (this.#pending) return 0; // holds nothing until the new header is written
    return this.#inner.read(buf, opts);
  }
  write(buf: Uint8Array, opts: AtOption): number {
    this.#materialize();
    return this.#inner.write(buf, opts);
  }
  truncate(size: number): void {
    this.#materialize();
    this.#inner.truncate(size);
  }
  getSize(): number {
    return this.#pending ? 0 : this.#inner.getSize();
  }
  flush(): void {
    this.#inner.flush();
  }
  close(): void {
    this.#inner.close();
  }
}
