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
 * Failures (DESIGN.md "Error policy"):
 * - main database: a block that does not authenticate → CORRUPT naming the page. Never garbage.
 * - journal/WAL/temp: the last physical slot failing at open is a torn tail → dropped (the file
 *   ends before it); block 0 failing is a torn journal-header rewrite → zeros (SQLite then sees
 *   no valid journal header, exactly what it expects of a garbled header sector); any other
 *   block → CORRUPT. Underlying I/O errors are never turned into success.
 */
import { CipherliteError } from '../errors.js';
import type { SyncFile } from '../storage/sync-file.js';
import { fileKindName, FILE_KIND, SLOT_OVERHEAD, slotSize } from '../format/constants.js';
import { BlockCodec, type BlockKeySource } from './block-codec.js';
import type { EpochSource } from './key-ring.js';

/** Dirty blocks held before they are flushed early (bounds memory for huge journals). */
const MAX_DIRTY_BLOCKS = 256;

export interface EncryptedFileOptions {
  file: SyncFile;
  kind: number;
  headerSize: number;
  blockSize: number;
  fileId: Uint8Array;
  keys: BlockKeySource;
  epochs: EpochSource;
}

export class EncryptedFile {
  readonly kind: number;
  readonly blockSize: number;
  readonly headerSize: number;
  readonly file: SyncFile;
  readonly #codec: BlockCodec;
  readonly #epochs: EpochSource;
  readonly #slot: Uint8Array;
  readonly #block: Uint8Array;
  /** Logical size in bytes, as SQLite sees it. */
  #size = 0;
  /** Number of complete slots physically present (or about to be, for the main file's torn tail). */
  #physBlocks = 0;
  readonly #dirty = new Map<number, Uint8Array>();
  /** One decrypted block kept for small reads (SQLite reads 16 bytes at offset 24 every transaction). */
  #cachedIndex = -1;
  readonly #cached: Uint8Array;

  constructor(o: EncryptedFileOptions) {
    this.kind = o.kind;
    this.blockSize = o.blockSize;
    this.headerSize = o.headerSize;
    this.file = o.file;
    this.#epochs = o.epochs;
    this.#codec = new BlockCodec(o.kind, o.fileId, o.blockSize, o.keys);
    this.#slot = new Uint8Array(slotSize(o.blockSize));
    this.#block = new Uint8Array(o.blockSize);
    this.#cached = new Uint8Array(o.blockSize);
    this.#loadSize();
  }

  get size(): number {
    return this.#size;
  }

  get #isMain(): boolean {
    return this.kind === FILE_KIND.main;
  }

  #slotAt(index: number): number {
    return this.headerSize + index * (this.blockSize + SLOT_OVERHEAD);
  }

  #loadSize(): void {
    const B = this.blockSize;
    const S = slotSize(B);
    const data = Math.max(0, this.file.getSize() - this.headerSize);
    const full = Math.floor(data / S);
    if (this.#isMain) {
      // A partial trailing slot still counts: reading it fails authentication (CORRUPT), and a
      // hot-journal rollback truncates it away. Never silently shorten the database.
      this.#physBlocks = full + (data % S > 0 ? 1 : 0);
      this.#size = this.#physBlocks * B;
      return;
    }
    // Journals: the last complete slot says how much of its block is file content.
    let blocks = full;
    while (blocks > 0) {
      const len = this.#readSlot(blocks - 1, this.#block);
      if (len >= 0) {
        this.#physBlocks = blocks;
        this.#size = (blocks - 1) * B + len;
        return;
      }
      if (blocks - 1 === 0) break; // block 0 unreadable: a torn header write → empty journal
      // Torn tail: the file ends before this slot. Only the last slot may be dropped.
      if (blocks === full) {
        blocks--;
        continue;
      }
      throw this.#corrupt(blocks - 1);
    }
    this.#physBlocks = 0;
    this.#size = 0;
  }

  #corrupt(index: number): CipherliteError {
    const kind = fileKindName(this.kind);
    const where = this.#isMain ? `page ${index + 1}` : `block ${index}`;
    return new CipherliteError('CORRUPT', `${kind} file: ${where} failed authentication (tampered, damaged, or from another database)`, {
      fileKind: kind,
      block: index,
      ...(this.#isMain ? { page: index + 1 } : {}),
    });
  }

  /** Reads and opens slot `index` into `out`; returns its length or -1 if it does not authenticate. */
  #readSlot(index: number, out: Uint8Array): number {
    const slot = this.#slot;
    const n = this.file.read(slot, { at: this.#slotAt(index) });
    if (n < slot.length) {
      slot.fill(0, n);
      out.fill(0);
      return -1;
    }
    return this.#codec.open(index, slot, out);
  }

  /** Decrypts block `index` into `out`, applying the failure policy. */
  #loadBlock(index: number, out: Uint8Array): void {
    const dirty = this.#dirty.get(index);
    if (dirty) {
      out.set(dirty);
      return;
    }
    if (index === this.#cachedIndex) {
      out.set(this.#cached);
      return;
    }
    if (index >= this.#physBlocks) {
      out.fill(0); // inside the logical size but not yet materialized (a gap before a dirty block)
      return;
    }
    const len = this.#readSlot(index, out);
    if (len < 0) {
      if (!this.#isMain && index === 0) return; // torn journal-header rewrite: zeros (see top)
      throw this.#corrupt(index);
    }
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
          this.#loadBlock(index, this.#cached);
          if (!this.#dirty.has(index)) this.#cachedIndex = index;
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
        if (index === this.#cachedIndex) this.#cached.set(src);
        this.#dirty.delete(index);
        this.#writeBlock(index, src, B);
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
        this.#dirty.delete(gap);
        this.#sealAndWrite(gap, pending, this.blockSize);
      } else {
        this.#block.fill(0);
        this.#sealAndWrite(gap, this.#block, this.blockSize);
      }
    }
    this.#sealAndWrite(index, plaintext, length);
  }

  #sealAndWrite(index: number, plaintext: Uint8Array, length: number): void {
    this.#codec.seal(index, length, this.#epochs.nextWriteEpoch(), plaintext, this.#slot);
    const at = this.#slotAt(index);
    const n = this.file.write(this.#slot, { at });
    if (n !== this.#slot.length) throw new CipherliteError('IO', `short write (${n} of ${this.#slot.length} bytes)`);
    if (index >= this.#physBlocks) this.#physBlocks = index + 1;
  }

  #flushDirty(): void {
    if (this.#dirty.size === 0) return;
    const indices = [...this.#dirty.keys()].sort((a, b) => a - b);
    const lastBlock = Math.ceil(this.#size / this.blockSize) - 1;
    for (const index of indices) {
      const buf = this.#dirty.get(index);
      if (!buf) continue; // already written as a gap filler
      this.#dirty.delete(index);
      if (index > lastBlock) continue; // truncated away
      this.#writeBlock(index, buf, this.#lengthOf(index, this.#size));
    }
    // The last block's slot must carry the exact length even when only an earlier block changed.
    if (lastBlock >= 0 && lastBlock >= this.#physBlocks) {
      this.#block.fill(0);
      this.#writeBlock(lastBlock, this.#block, this.#lengthOf(lastBlock, this.#size));
    }
  }

  truncate(size: number): void {
    const B = this.blockSize;
    if (size >= this.#size) {
      if (size > this.#size) this.write(new Uint8Array(0), size); // extend with zeros
      this.#size = Math.max(this.#size, size);
      return;
    }
    const blocks = Math.ceil(size / B);
    for (const index of [...this.#dirty.keys()]) if (index >= blocks) this.#dirty.delete(index);
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
      this.file.truncate(this.#slotAt(this.#physBlocks));
      this.#writeBlock(index, buf, size - index * B);
      return;
    }
    this.#size = size;
    this.#physBlocks = Math.min(this.#physBlocks, blocks);
    this.file.truncate(this.#slotAt(this.#physBlocks));
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
    this.#cachedIndex = -1;
    this.#size = 0;
    this.#physBlocks = 0;
    this.#codec.reset(fileId, keys);
  }

  sync(): void {
    this.#flushDirty();
    this.file.flush();
  }

  /** Flushes buffered blocks without forcing them to durable storage. */
  flushBuffers(): void {
    this.#flushDirty();
  }

  /** Drops buffered plaintext (called on close after a failed flush, and on lock). */
  discard(): void {
    for (const b of this.#dirty.values()) b.fill(0);
    this.#dirty.clear();
    this.#cached.fill(0);
    this.#cachedIndex = -1;
    this.#block.fill(0);
  }

  /** For verify(): authenticates every physical slot; returns failing block indices. */
  verifyAllBlocks(onProgress?: (done: number, total: number) => void): number[] {
    const failed: number[] = [];
    const total = this.#physBlocks;
    for (let i = 0; i < total; i++) {
      if (this.#dirty.has(i)) continue;
      if (this.#readSlot(i, this.#block) < 0) failed.push(i);
      if (onProgress && (i % 256 === 0 || i === total - 1)) onProgress(i + 1, total);
    }
    this.#block.fill(0);
    return failed;
  }

  get physicalBlocks(): number {
    return this.#physBlocks;
  }
}

