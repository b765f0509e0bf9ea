/**
 * SlotStore: the stored slots of one container file — where slot i is, reading and sealing one,
 * the rescue area of a journal, the main file's read-ahead, and long passes over many slots
 * (verify, exports). It knows nothing of SQLite's logical bytes: EncryptedFile (encrypted-file.ts)
 * keeps the logical size, the dirty and cached blocks, and tells it how many slots are stored.
 *
 * Rescue area (journals only): SQLite rewrites a few journal sectors in place *after* they were
 * synced — PERSIST mode's header zeroing, an append into a partly filled block — and is built to
 * survive such a write being torn. A torn slot, though, fails authentication, which must not be
 * confused with tampering. So before a block that was durable at the last sync is overwritten,
 * its current slot is copied into the rescue area (index ‖ seal sequence ‖ MAC ‖ slot). A block
 * that fails authentication is replaced by the rescue copy when that copy is for this index and
 * the guard vouches for it — exactly the "old or new sector" outcome SQLite expects. The copy is
 * authenticated like any block, so it can only ever supply an earlier genuine version of it.
 */
import { CipherliteError } from '../errors.js';
import type { SyncFile } from '../storage/sync-file.js';
import { fileKindName, FILE_KIND, RESCUE_SEQUENCE_OFFSET, RESCUE_SLOT_OFFSET, rescueAreaSize, SLOT_OVERHEAD, slotSize } from '../format/constants.js';
import type { BlockKeySource, EpochSource } from '../container/key-ring.js';
import { BlockCodec } from './block-codec.js';

/** Slots a long sequential pass (verifyBlocks, readBlocks) reads from storage per call (fewer, larger reads; ~260 KB at 4 KiB). */
const SLOTS_PER_READ = 64;

export interface EncryptedFileOptions {
  file: SyncFile;
  kind: number;
  headerSize: number;
  blockSize: number;
  fileId: Uint8Array;
  keys: BlockKeySource;
  epochs: EpochSource;
  /** Byte offset of the rescue area (journals); slots then start after it. Omit for no rescue. */
  rescueOffset?: number;
  /** Vouches for rescue copies (required with `rescueOffset`): only a copy taken since the journal's last seal is ever used. */
  rescueGuard?: RescueGuard;
  /**
   * Keep this many recently *written* blocks decrypted in memory (default 0). For the WAL: a
   * checkpoint reads back every frame it copies into the database, and without this each of
   * those reads would decrypt a block we encrypted moments before.
   */
  recentBlocks?: number;
}

/** Authenticates the rescue area's copy beyond its slot's own tag (vfs/aux-file.ts). */
export interface RescueGuard {
  /** Writes seal sequence ‖ MAC for a copy of slot `index` into `tag` (the rescue area's bytes between index and slot). */
  tag(index: number, slot: Uint8Array, tag: Uint8Array): void;
  /** True when `tag` vouches for `slot` as the copy of block `index` taken since the seal now in force. */
  accepts(index: number, slot: Uint8Array, tag: Uint8Array): boolean;
}

export class SlotStore {
  readonly file: SyncFile;
  readonly kind: number;
  readonly blockSize: number;
  readonly headerSize: number;
  readonly #codec: BlockCodec;
  readonly #slot: Uint8Array;
  readonly #rescueOffset: number | null;
  readonly #rescueGuard: RescueGuard | null;
  /**
   * Read-ahead (main file): stored slots `#aheadFirst` ≤ i < `#aheadFirst + #aheadCount`, still
   * encrypted, read in one storage call when SQLite reads pages in order (a scan, integrity_check).
   * Each block is decrypted and authenticated only when it is read, so nothing is decrypted in
   * vain and no extra plaintext is held; any write or truncate drops the buffer.
   */
  #ahead: Uint8Array | null = null;
  #aheadFirst = 0;
  #aheadCount = 0;
  /** The block last read from storage (to spot sequential reads). */
  #lastStored = -2;

  constructor(o: EncryptedFileOptions) {
    this.file = o.file;
    this.kind = o.kind;
    this.blockSize = o.blockSize;
    this.headerSize = o.headerSize;
    this.#codec = new BlockCodec(o.kind, o.fileId, o.blockSize, o.keys);
    this.#slot = new Uint8Array(slotSize(o.blockSize));
    this.#rescueOffset = o.rescueGuard ? (o.rescueOffset ?? null) : null;
    this.#rescueGuard = o.rescueGuard ?? null;
  }

  get isMain(): boolean {
    return this.kind === FILE_KIND.main;
  }

  get hasRescue(): boolean {
    return this.#rescueOffset !== null;
  }

  slotAt(index: number): number {
    return this.headerSize + index * (this.blockSize + SLOT_OVERHEAD);
  }

  /** Complete slots and whether a partial one follows, from the stored file's size. */
  storedSlots(): { full: number; partial: boolean } {
    const data = Math.max(0, this.file.getSize() - this.headerSize);
    const S = slotSize(this.blockSize);
    return { full: Math.floor(data / S), partial: data % S > 0 };
  }

  /**
   * Stored blocks and logical size. The main file: every slot, a partial trailing one included
   * (reading it fails authentication, and a hot-journal rollback truncates it away; the database
   * is never silently shortened). A journal: its last complete slot says how much of its block is
   * content; a last slot that fails is a torn tail (the file ends before it), any other → CORRUPT.
   */
  storedSize(): { blocks: number; size: number } {
    const B = this.blockSize;
    const { full, partial } = this.storedSlots();
    if (this.isMain) {
      const blocks = full + (partial ? 1 : 0);
      return { blocks, size: blocks * B };
    }
    const block = new Uint8Array(B);
    try {
      for (let blocks = full; blocks > 0; blocks--) {
        const len = this.readSlotOrRescue(blocks - 1, block, blocks);
        if (len >= 0) return { blocks, size: (blocks - 1) * B + len };
        if (blocks !== full) throw this.corrupt(blocks - 1); // only the last slot may be torn
      }
      return { blocks: 0, size: 0 };
    } finally {
      block.fill(0);
    }
  }

  /** A new file id and keys (a journal cut to zero starts a new instance). */
  reset(fileId: Uint8Array, keys: BlockKeySource): void {
    this.dropReadAhead();
    this.#codec.reset(fileId, keys);
  }

  corrupt(index: number): CipherliteError {
    const kind = fileKindName(this.kind);
    const where = this.isMain ? `page ${index + 1}` : `block ${index}`;
    return new CipherliteError('CORRUPT', `${kind} file: ${where} failed authentication (tampered, damaged, or from another database)`, {
      fileKind: kind,
      block: index,
      ...(this.isMain ? { page: index + 1 } : {}),
    });
  }

  /** Reads and opens slot `index` into `out` (of `stored` slots); returns its length or -1 if it does not authenticate. */
  readSlot(index: number, out: Uint8Array, stored: number): number {
    if (this.isMain) {
      const sequential = index === this.#lastStored + 1;
      this.#lastStored = index;
      const S = this.#slot.length;
      let k = index - this.#aheadFirst;
      if ((k < 0 || k >= this.#aheadCount) && sequential && index + 1 < stored) {
        // The second page in a row: read this one and the next ones together.
        this.#ahead ??= new Uint8Array(S * SLOTS_PER_READ);
        const want = Math.min(SLOTS_PER_READ, stored - index);
        this.#aheadFirst = index;
        this.#aheadCount = Math.floor(this.file.read(this.#ahead.subarray(0, want * S), { at: this.slotAt(index) }) / S);
        k = 0;
      }
      if (k >= 0 && k < this.#aheadCount) return this.#codec.open(index, this.#ahead!.subarray(k * S, (k + 1) * S), out);
    }
    const slot = this.#slot;
    const n = this.file.read(slot, { at: this.slotAt(index) });
    if (n < slot.length) {
      slot.fill(0, n);
      out.fill(0);
      return -1;
    }
    return this.#codec.open(index, slot, out);
  }

  /** Opens slot `index`, falling back to the rescue copy of it (journals). */
  readSlotOrRescue(index: number, out: Uint8Array, stored: number): number {
    const len = this.readSlot(index, out, stored);
    if (len >= 0 || this.#rescueOffset === null) return len;
    const rescue = new Uint8Array(rescueAreaSize(this.blockSize));
    if (this.file.read(rescue, { at: this.#rescueOffset }) !== rescue.length) return -1;
    const rescuedIndex = new DataView(rescue.buffer).getBigUint64(0);
    if (rescuedIndex !== BigInt(index)) return -1;
    const slot = rescue.subarray(RESCUE_SLOT_OFFSET);
    if (!this.#rescueGuard!.accepts(index, slot, rescue.subarray(RESCUE_SEQUENCE_OFFSET, RESCUE_SLOT_OFFSET))) return -1;
    return this.#codec.open(index, slot, out);
  }

  /** Seals block `index` under `epoch` and writes its slot; `durable`: save the stored slot to the rescue area first. */
  writeSlot(index: number, plaintext: Uint8Array, length: number, epoch: number, durable: boolean): void {
    this.#aheadCount = 0;
    const at = this.slotAt(index);
    if (this.#rescueOffset !== null && durable) this.#saveRescue(index, at);
    this.#codec.seal(index, length, epoch, plaintext, this.#slot);
    const n = this.file.write(this.#slot, { at });
    if (n !== this.#slot.length) throw new CipherliteError('IO', `short write (${n} of ${this.#slot.length} bytes)`);
  }

  /** Copies the current slot of a durable block into the rescue area before it is overwritten. */
  #saveRescue(index: number, at: number): void {
    const rescue = new Uint8Array(rescueAreaSize(this.blockSize));
    new DataView(rescue.buffer).setBigUint64(0, BigInt(index));
    const slot = rescue.subarray(RESCUE_SLOT_OFFSET);
    if (this.file.read(slot, { at }) !== slot.length) return; // nothing durable there
    this.#rescueGuard!.tag(index, slot, rescue.subarray(RESCUE_SEQUENCE_OFFSET, RESCUE_SLOT_OFFSET));
    const n = this.file.write(rescue, { at: this.#rescueOffset! });
    if (n !== rescue.length) throw new CipherliteError('IO', `short write (${n} of ${rescue.length} bytes)`);
  }

  /** Forgets the read-ahead slots: the next read of any block goes to storage. */
  dropReadAhead(): void {
    this.#aheadCount = 0;
    this.#lastStored = -2;
  }

  /**
   * Passes over stored slots `from` ≤ i < `end` that `needs`, reading consecutive ones from
   * storage in one call (`SLOTS_PER_READ` at a time). `visit(i, opened)` gets each such index and
   * whether it opened into `target(i)`; a slot that failed, or is cut short by the end of the
   * file (a torn tail), was retried the single-slot way, which also tries a journal's rescue copy.
   */
  pass(from: number, end: number, stored: number, needs: (i: number) => boolean, target: (i: number) => Uint8Array, visit: (i: number, opened: boolean) => void): void {
    this.dropReadAhead();
    const S = slotSize(this.blockSize);
    let chunk: Uint8Array | null = null;
    try {
      for (let i = Math.max(0, from); i < end;) {
        if (!needs(i)) {
          i++;
          continue;
        }
        let run = 1;
        while (run < SLOTS_PER_READ && i + run < end && needs(i + run)) run++;
        chunk ??= new Uint8Array(S * Math.min(SLOTS_PER_READ, end - i));
        const got = this.file.read(chunk.subarray(0, run * S), { at: this.slotAt(i) });
        for (let k = 0; k < run; k++) {
          const index = i + k;
          const whole = (k + 1) * S <= got;
          const out = target(index);
          visit(index, (whole && this.#codec.open(index, chunk.subarray(k * S, (k + 1) * S), out) >= 0) || this.readSlotOrRescue(index, out, stored) >= 0);
        }
        i += run;
      }
    } finally {
      chunk?.fill(0);
    }
  }
}
