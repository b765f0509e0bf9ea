/**
 * EncryptedFile: SQLite's logical bytes ↔ encrypted slots in a `SyncFile`.
 *
 * Logical block i (bytes [i·B, (i+1)·B) of what SQLite sees) is slot i of the container
 * (format/constants.ts). This class knows nothing of SQLite or WASM pointers; the VFS glue
 * (sqlite-vfs.ts) turns pointers into `Uint8Array`s and calls it.
 *
 * Writes:
 * - a write that covers a whole block is encrypted and written at once (database pages);
 * - a partial write (journal records are 4 + B + 4 bytes, so they straddle blocks) goes into a
 *   decrypted dirty-block buffer and is encrypted once, at `sync` (or when the buffer is full),
 *   instead of once per record fragment.
 * Slots are always materialized in ascending order with gaps filled, so the physical file never
 * has a hole that would later read as a damaged block.
 *
 * Failures (docs/DESIGN.md "Error policy"):
 * - main database: a block that does not authenticate → CORRUPT naming the page. Never garbage.
 * - journals: the last physical slot failing at open is a torn tail → dropped (the file ends
 *   before it); any other block → CORRUPT, unless the rescue slot (below) holds it.
 * Underlying I/O errors are never turned into success.
 *
 * Stored slots — their layout, the rescue area of journals, the main file's read-ahead and long
 * passes over many slots — are slot-store.ts.
 */
import type { SyncFile } from '../storage/sync-file.js';
import type { BlockKeySource, EpochSource } from '../container/key-ring.js';
import { FILE_KIND } from '../format/constants.js';
import { SlotStore, type EncryptedFileOptions } from './slot-store.js';
import { RecentBlocks } from './recent-blocks.js';

export type { EncryptedFileOptions, RescueGuard } from './slot-store.js';

/** SQLite's file change counter: offset 24 of the database header (fileformat2.html §1.3.5). */
const CHANGE_COUNTER_OFFSET = 24;
/** Dirty blocks held before they are flushed early (bounds memory for huge journals). */
const MAX_DIRTY_BLOCKS = 256;

export class EncryptedFile {
  readonly kind: number;
  readonly blockSize: number;
  readonly headerSize: number;
  readonly file: SyncFile;
  readonly #slots: SlotStore;
  readonly #epochs: EpochSource;
  readonly #block: Uint8Array;
  /** Logical size in bytes, as SQLite sees it. */
  #size = 0;
  /** Number of complete slots physically present (or about to be, for the main file's torn tail). */
  #physBlocks = 0;
  readonly #dirty = new Map<number, Uint8Array>();
  /** One decrypted block kept for small reads (SQLite reads 16 bytes at offset 24 every transaction). */
  #cachedIndex = -1;
  readonly #cached: Uint8Array;
  /** Plaintext of recently flushed blocks, see `recentBlocks`. */
  readonly #recent: RecentBlocks;
  /** Blocks below this index were durable at the last sync (rewrites of them are rescued first). */
  #syncedBlocks = 0;
  /** While `withReadTracking` runs: one byte per block, set when a read authenticated it from storage. */
  #authenticated: Uint8Array | null = null;

  constructor(o: EncryptedFileOptions) {
    this.kind = o.kind;
    this.blockSize = o.blockSize;
    this.headerSize = o.headerSize;
    this.file = o.file;
    this.#epochs = o.epochs;
    this.#slots = new SlotStore(o);
    this.#block = new Uint8Array(o.blockSize);
    this.#cached = new Uint8Array(o.blockSize);
    this.#recent = new RecentBlocks(o.recentBlocks ?? 0);
    this.#loadSize();
    this.#syncedBlocks = this.#physBlocks;
  }

  get size(): number {
    return this.#size;
  }

  get #isMain(): boolean {
    return this.kind === FILE_KIND.main;
  }

  #loadSize(): void {
    const { blocks, size } = this.#slots.storedSize();
    this.#physBlocks = blocks;
    this.#size = size;
  }

  /** Decrypts block `index` into `out`, applying the failure policy. */
  #loadBlock(index: number, out: Uint8Array): void {
    const buffered = this.#dirty.get(index) ?? (index === this.#cachedIndex ? this.#cached : this.#recent.get(index));
    if (buffered) {
      out.set(buffered);
      return;
    }
    if (index >= this.#physBlocks) {
      out.fill(0); // inside the logical size but not yet materialized (a gap before a dirty block)
      return;
    }
    if (this.#slots.readSlotOrRescue(index, out, this.#physBlocks) < 0) throw this.#slots.corrupt(index);
    if (this.#authenticated !== null && index < this.#authenticated.length) this.#authenticated[index] = 1;
  }

  /**
   * Small reads of page 1 that do not authenticate read as zeros instead of failing. SQLite
   * peeks at the 100-byte database header when it opens the file, before it takes a lock and
   * before it rolls back a hot journal — so a page 1 torn by a crash mid-commit must not fail
   * there, or the journal that repairs it could never run. It is not trusted either way: SQLite
   * only guesses the page size from it and always reads the whole page 1 (through the pager)
   * before using it, and that full read reports CORRUPT if the page is still bad.
   */
  #softReadBlock0(out: Uint8Array): boolean {
    try {
      this.#loadBlock(0, out);
      return true;
    } catch {
      out.fill(0);
      return false;
    }
  }

  /**
   * SQLite's file change counter (page 1, offset 24, big-endian) as stored, or null when page 1
   * is missing or does not authenticate (a commit torn in page 1 — the hot journal repairs it).
   */
  changeCounter(): number | null {
    if (this.#size < CHANGE_COUNTER_OFFSET + 4) return null;
    const dirty = this.#dirty.get(0);
    if (!dirty && this.#cachedIndex !== 0) {
      this.#cachedIndex = -1; // the buffer is reused: never leave it labelled with another block
      if (!this.#softReadBlock0(this.#cached)) return null;
      this.#cachedIndex = 0;
    }
    const src = dirty ?? this.#cached;
    return ((src[CHANGE_COUNTER_OFFSET]! << 24) | (src[CHANGE_COUNTER_OFFSET + 1]! << 16) | (src[CHANGE_COUNTER_OFFSET + 2]! << 8) | src[CHANGE_COUNTER_OFFSET + 3]!) >>> 0;
  }

  /** Reads `out.length` bytes at `offset`; returns how many were inside the file (the rest is zero-filled). */
  read(out: Uint8Array, offset: number): number {
    const B = this.blockSize;
    const avail = Math.max(0, Math.min(out.length, this.#size - offset));
    let done = 0;
    while (done < avail) {
      const pos = offset + done;
      const index = Math.floor(pos / B);
      const within = pos - index * B;
      const n = Math.min(B - within, avail - done);
      const target = out.subarray(done, done + n);
      if (n === B && !this.#dirty.has(index) && index !== this.#cachedIndex) {
        this.#loadBlock(index, target); // a whole page: decrypt straight into SQLite's buffer
      } else {
        if (index !== this.#cachedIndex) {
          this.#cachedIndex = -1;
          if (this.#isMain && index === 0) {
            if (this.#softReadBlock0(this.#cached) && !this.#dirty.has(0)) this.#cachedIndex = 0;
          } else {
            this.#loadBlock(index, this.#cached);
            if (!this.#dirty.has(index)) this.#cachedIndex = index;
          }
        }
        const src = this.#dirty.get(index) ?? this.#cached;
        target.set(src.subarray(within, within + n));
      }
      done += n;
    }
    out.fill(0, avail);
    return avail;
  }

  write(data: Uint8Array, offset: number): void {
    const B = this.blockSize;
    const end = offset + data.length;
    if (offset > this.#size) {
      // Zero the tail of the current last block so bytes in the gap read as zeros.
      this.#zeroTail(this.#size);
    }
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const index = Math.floor(pos / B);
      const within = pos - index * B;
      const n = Math.min(B - within, data.length - done);
      const src = data.subarray(done, done + n);
      if (n === B) {
        // Keep the small-read cache current instead of dropping it: page 1 is rewritten by every
        // commit and its change counter is read again at the start of the next transaction.
        this.#recent.forget(index);
        this.#writeBlock(index, src, B);
        // Only after the write succeeded: if it throws, bytes SQLite wrote earlier stay readable.
        this.#dirty.delete(index);
        if (index === this.#cachedIndex) this.#cached.set(src);
      } else {
        if (index === this.#cachedIndex) this.#cachedIndex = -1;
        let buf = this.#dirty.get(index);
        if (!buf) {
          buf = new Uint8Array(B);
          if (index * B < this.#size) this.#loadBlock(index, buf);
          this.#dirty.set(index, buf);
        }
        buf.set(src, within);
      }
      done += n;
    }
    if (end > this.#size) this.#size = end;
    if (this.#dirty.size > MAX_DIRTY_BLOCKS) this.#flushDirty();
  }

  /** Zeroes bytes [from, end of that block) so a later extension reads zeros there. */
  #zeroTail(from: number): void {
    const B = this.blockSize;
    if (from % B === 0) return;
    const index = Math.floor(from / B);
    let buf = this.#dirty.get(index);
    if (!buf) {
      buf = new Uint8Array(B);
      this.#loadBlock(index, buf);
      this.#dirty.set(index, buf);
    }
    buf.fill(0, from - index * B);
    if (index === this.#cachedIndex) this.#cachedIndex = -1;
  }

  /** Length of block `index` as recorded in its slot, given the current logical size. */
  #lengthOf(index: number, size: number): number {
    return Math.max(1, Math.min(this.blockSize, size - index * this.blockSize));
  }

  /** Encrypts and writes block `index`; first materializes every slot below it (no holes). */
  #writeBlock(index: number, plaintext: Uint8Array, length: number): void {
    while (this.#physBlocks < index) {
      const gap = this.#physBlocks;
      const pending = this.#dirty.get(gap);
      if (pending) {
        this.#sealAndWrite(gap, pending, this.blockSize);
        this.#dirty.delete(gap);
      } else {
        this.#block.fill(0);
        this.#sealAndWrite(gap, this.#block, this.blockSize);
      }
    }
    this.#sealAndWrite(index, plaintext, length);
  }

  #sealAndWrite(index: number, plaintext: Uint8Array, length: number): void {
    this.#slots.writeSlot(index, plaintext, length, this.#epochs.nextWriteEpoch(), index < this.#syncedBlocks);
    if (index >= this.#physBlocks) this.#physBlocks = index + 1;
  }

  #flushDirty(): void {
    const indices = [...this.#dirty.keys()].sort((a, b) => a - b);
    const lastBlock = Math.ceil(this.#size / this.blockSize) - 1;
    for (const index of indices) {
      const buf = this.#dirty.get(index);
      if (!buf) continue; // already written as a gap filler
      if (index <= lastBlock) this.#writeBlock(index, buf, this.#lengthOf(index, this.#size));
      // Dropped only once written: a failed flush (full disk) must not lose bytes that SQLite
      // already wrote successfully — its rollback reads the journal back from here.
      this.#dirty.delete(index);
      if (index <= lastBlock) this.#recent.remember(index, buf);
      else buf.fill(0);
    }
    // The last block's slot must carry the exact length even when only an earlier block changed.
    if (lastBlock >= 0 && lastBlock >= this.#physBlocks) {
      this.#block.fill(0);
      this.#writeBlock(lastBlock, this.#block, this.#lengthOf(lastBlock, this.#size));
    }
  }

  truncate(size: number): void {
    this.#slots.dropReadAhead();
    const B = this.blockSize;
    if (size >= this.#size) {
      if (size > this.#size) {
        // Extend with zeros: clear the old last block's tail, and mark the new last block dirty
        // so its slot is written with the new length at the next flush.
        this.#zeroTail(this.#size);
        this.#size = size;
        const last = Math.ceil(size / B) - 1;
        if (!this.#dirty.has(last)) {
          const buf = new Uint8Array(B);
          if (last < this.#physBlocks) this.#loadBlock(last, buf);
          this.#dirty.set(last, buf);
          if (last === this.#cachedIndex) this.#cachedIndex = -1;
        }
      }
      return;
    }
    const blocks = Math.ceil(size / B);
    for (const index of [...this.#dirty.keys()]) if (index >= blocks) this.#dirty.delete(index);
    this.#recent.forgetFrom(blocks - 1);
    if (this.#cachedIndex >= blocks) this.#cachedIndex = -1;
    if (size % B !== 0) {
      // The new last block keeps only `size % B` bytes: rewrite it with its new length.
      const index = blocks - 1;
      const buf = this.#dirty.get(index) ?? new Uint8Array(B);
      if (!this.#dirty.has(index)) this.#loadBlock(index, buf);
      buf.fill(0, size - index * B);
      this.#dirty.delete(index);
      if (index === this.#cachedIndex) this.#cachedIndex = -1;
      this.#size = size;
      this.#physBlocks = Math.min(this.#physBlocks, blocks);
      this.#syncedBlocks = Math.min(this.#syncedBlocks, this.#physBlocks);
      this.file.truncate(this.#slots.slotAt(this.#physBlocks));
      this.#writeBlock(index, buf, size - index * B);
      return;
    }
    this.#size = size;
    this.#physBlocks = Math.min(this.#physBlocks, blocks);
    this.#syncedBlocks = Math.min(this.#syncedBlocks, this.#physBlocks);
    this.file.truncate(this.#slots.slotAt(this.#physBlocks));
    if (!this.#isMain && blocks > 0) {
      // Re-seal the new last block so its slot records a full length (it may have said less).
      const index = blocks - 1;
      if (!this.#dirty.has(index)) {
        const buf = new Uint8Array(B);
        this.#loadBlock(index, buf);
        this.#writeBlock(index, buf, B);
      }
    }
  }

  /** Empties the file and restarts it under a new file id and keys (journals truncated to 0). */
  resetEmpty(fileId: Uint8Array, keys: BlockKeySource): void {
    this.#dirty.clear();
    this.#recent.forgetFrom(0);
    this.#cachedIndex = -1;
    this.#size = 0;
    this.#physBlocks = 0;
    this.#syncedBlocks = 0;
    this.#slots.reset(fileId, keys);
  }

  sync(): void {
    this.#flushDirty();
    this.file.flush();
    this.#syncedBlocks = this.#physBlocks;
  }

  /**
   * From now on, treats every stored block as durable: rewriting one saves it to the rescue area
   * first (a journal's seal counts on the blocks it covers, synced or not).
   */
  markDurable(): void {
    this.#syncedBlocks = this.#physBlocks;
  }

  /** Flushes buffered blocks without forcing them to durable storage. */
  flushBuffers(): void {
    this.#flushDirty();
  }

  /** Drops buffered plaintext (called on close after a failed flush, and on lock). */
  discard(): void {
    for (const b of this.#dirty.values()) b.fill(0);
    this.#dirty.clear();
    this.#recent.forgetFrom(0);
    this.#cached.fill(0);
    this.#cachedIndex = -1;
    this.#block.fill(0);
  }

  /**
   * Forgets the read-ahead slots, so the next read of any block goes to storage. Called when
   * SQLite ends a transaction (storage may change between two) and before every pass that must
   * see what is stored now (verify, exports): a slot read before the storage changed must never
   * be taken for the stored one.
   */
  dropReadAhead(): void {
    this.#slots.dropReadAhead();
  }

  /**
   * Runs `fn` (e.g. SQLite's integrity_check) and records which blocks its reads authenticated
   * from storage — exactly the check `verifyBlocks` makes, so verify() can skip them there
   * instead of decrypting every page twice. Reads served from a buffer (dirty, cached, recent)
   * are not recorded: those blocks are still read from storage by `verifyBlocks`.
   */
  withReadTracking<T>(fn: () => T): { result: T; authenticated: Uint8Array } {
    this.dropReadAhead(); // filled before `fn`: storage may have changed since
    const authenticated = new Uint8Array(this.#physBlocks);
    this.#authenticated = authenticated;
    try {
      return { result: fn(), authenticated };
    } finally {
      this.#authenticated = null;
    }
  }

  /**
   * For verify(): authenticates physical slots `from` ≤ i < `to` not marked in `skip` (blocks
   * already authenticated by a tracked read), appending the failing indexes to `failed`. A range,
   * so a large file is verified in slices with pauses between them (SlotStore.pass).
   */
  verifyBlocks(from: number, to: number, failed: number[], skip?: Uint8Array): void {
    const needs = (i: number): boolean => !this.#dirty.has(i) && !(skip !== undefined && i < skip.length && skip[i] === 1);
    const visit = (i: number, opened: boolean): void => void (opened || failed.push(i));
    try {
      this.#slots.pass(from, Math.min(to, this.#physBlocks), this.#physBlocks, needs, () => this.#block, visit);
    } finally {
      this.#block.fill(0);
    }
  }

  /**
   * Decrypts the whole blocks `from` ≤ i < `from + count` into `out` (`count` × blockSize bytes)
   * for a long sequential pass (exportPlaintext): consecutive stored slots are read in one call,
   * from the first block on and without `read`'s per-call overhead. What it returns is what
   * `read` returns: a buffered (dirty) block wins over storage, a slot that does not authenticate
   * goes the single-slot way (a journal's rescue copy), and a block that still fails throws
   * CORRUPT naming it.
   */
  readBlocks(from: number, count: number, out: Uint8Array): void {
    const B = this.blockSize;
    const target = (index: number) => out.subarray((index - from) * B, (index - from + 1) * B);
    const stored = (i: number) => i < this.#physBlocks && !this.#dirty.has(i);
    for (let i = from; i < from + count; i++) if (!stored(i)) this.#loadBlock(i, target(i)); // buffered, or not stored yet
    this.#slots.pass(from, from + count, this.#physBlocks, stored, target, (i, opened) => {
      if (!opened) throw this.#slots.corrupt(i);
    });
  }

  get physicalBlocks(): number {
    return this.#physBlocks;
  }

  /** True when the stored file ends inside a slot (a torn append, or a truncated/extended file). */
  get hasPartialTail(): boolean {
    return this.#slots.storedSlots().partial;
  }
}
