/**
 * In-memory `SyncStorage`: the backend for tests, temp files and the Node demo.
 *
 * `snapshot()` / `MemoryStorage.from()` copy every file's bytes, which is how the crash tests
 * model "the process died after this write": take a snapshot after each write call, reopen it.
 * `onWrite` observes every write (crash tests hook it).
 */
import { CipherliteError } from '../errors.js';
import { FileView } from './file-view.js';
import type { AtOption, SyncFile, SyncStorage } from './sync-file.js';

export class MemoryFile implements SyncFile {
  #data: Uint8Array;
  #size: number;
  onWrite: ((file: MemoryFile, bytes: Uint8Array, at: number) => void) | null = null;
  /** Called after every write and truncate. */
  onMutate: (() => void) | null = null;
  readonly name: string;

  constructor(name: string, initial?: Uint8Array) {
    this.name = name;
    // new Uint8Array(x) always copies (a Node Buffer's slice() would share memory).
    this.#data = initial ? new Uint8Array(initial) : new Uint8Array(0);
    this.#size = this.#data.length;
  }

  #ensure(capacity: number): void {
    if (capacity <= this.#data.length) return;
    const next = new Uint8Array(Math.max(capacity, this.#data.length * 2, 4096));
    next.set(this.#data.subarray(0, this.#size));
    this.#data = next;
  }

  read(buf: Uint8Array, { at }: AtOption): number {
    if (at >= this.#size) return 0;
    const n = Math.min(buf.length, this.#size - at);
    buf.set(this.#data.subarray(at, at + n));
    return n;
  }

  write(buf: Uint8Array, { at }: AtOption): number {
    this.#ensure(at + buf.length);
    if (at > this.#size) this.#data.fill(0, this.#size, at);
    this.#data.set(buf, at);
    this.#size = Math.max(this.#size, at + buf.length);
    this.onWrite?.(this, buf, at);
    this.onMutate?.();
    return buf.length;
  }

  truncate(size: number): void {
    if (size > this.#size) {
      this.#ensure(size);
      this.#data.fill(0, this.#size, size);
    } else {
      this.#data.fill(0, size, this.#size);
    }
    this.#size = size;
    this.onMutate?.();
  }

  getSize(): number {
    return this.#size;
  }

  flush(): void {}
  close(): void {}

  /** A copy of the current contents. */
  bytes(): Uint8Array {
    return this.#data.slice(0, this.#size);
  }
}

export class MemoryStorage implements SyncStorage {
  readonly files = new Map<string, MemoryFile>();
  /** Called after every write to any file of this storage. */
  onWrite: ((file: MemoryFile, bytes: Uint8Array, at: number) => void) | null = null;
  /** Called after every write, truncate or delete: crash tests snapshot here. */
  onMutate: (() => void) | null = null;

  static from(snapshot: ReadonlyMap<string, Uint8Array>): MemoryStorage {
    const s = new MemoryStorage();
    for (const [name, bytes] of snapshot) s.#add(new MemoryFile(name, bytes));
    return s;
  }

  #add(f: MemoryFile): MemoryFile {
    f.onWrite = (file, bytes, at) => this.onWrite?.(file, bytes, at);
    f.onMutate = () => this.onMutate?.();
    this.files.set(f.name, f);
    return f;
  }

  /** A new handle (view) per call, as the contract says; the bytes live in `files`. */
  open(name: string, { create }: { create: boolean }): SyncFile {
    let f = this.files.get(name);
    if (!f) {
      if (!create) throw new CipherliteError('IO', `no such file: ${name}`);
      f = this.#add(new MemoryFile(name));
    }
    return new FileView(f, f.name);
  }

  exists(name: string): boolean {
    return this.files.has(name);
  }

  delete(name: string): void {
    if (this.files.delete(name)) this.onMutate?.();
  }

  list(): string[] {
    return [...this.files.keys()];
  }

  snapshot(): Map<string, Uint8Array> {
    const m = new Map<string, Uint8Array>();
    for (const [name, f] of this.files) m.set(name, f.bytes());
    return m;
  }
}
