/**
 * Opening journal/WAL files of a database: header and seal handling around an EncryptedFile.
 *
 * Layout (format/constants.ts): header ‖ seal records ‖ rescue area ‖ slots.
 *
 * A journal gets a fresh random file id when it is created and whenever it is truncated to zero
 * (TRUNCATE journal mode commits that way), so blocks of an old journal instance can never
 * authenticate in a new one.
 *
 * Torn versus damaged header (docs/FORMAT.md "Journal header"): a header (with its first seal) is
 * only ever written into an empty file — a new one, or one cut to zero first. So a header or seal
 * area that is missing, short or not authentic in a file of at most AUX_PREFIX_SIZE bytes is a
 * creation whose write did not finish: the journal holds nothing. The same in front of a body is
 * never a crash outcome: it is tampering or damage, and opening fails with CORRUPT naming the
 * file — nothing is truncated or rewritten, so the evidence (and the journal SQLite may need)
 * stays as it was.
 *
 * Seals (format/aux-seal.ts): at each sync, and before the database file is written while the
 * journal has grown since its last seal, the journal's size (and, for a rollback journal, the
 * database's change counter) is sealed. A live journal (one SQLite would play back) shorter than
 * its seal, or sealed for a database state it cannot belong to, fails closed with CORRUPT.
 *
 * A new header is written lazily, just before the first write or truncate: opening a journal
 * (SQLite does so to look at a hot journal during an open that may still fail) writes nothing.
 * The block-level policy is in encrypted-file.ts.
 */
import { randomBytes } from '../crypto/random.js';
import { CipherliteError } from '../errors.js';
import {
  AUX_FORMAT_VERSION,
  AUX_HEADER_SIZE,
  AUX_PREFIX_SIZE,
  auxSlotsOffset,
  FILE_ID_SIZE,
  FILE_KIND,
  fileKindName,
  RESCUE_MAC_OFFSET,
  RESCUE_MAC_SIZE,
  RESCUE_OFFSET,
  RESCUE_SEQUENCE_OFFSET,
  SEAL_COPIES,
  SEAL_OFFSET,
  SEAL_RECORD_SIZE,
  sealRecordOffset,
  slotSize,
  unsealedAuxSlotsOffset,
} from '../format/constants.js';
import { decodeAuxHeader, encodeAuxHeader, type AuxHeader } from '../format/aux-header.js';
import { encodeSeal, latestSeal, type AuxSeal } from '../format/aux-seal.js';
import type { SyncFile, SyncStorage } from '../storage/sync-file.js';
import { HeaderOnFirstWrite } from './header-on-first-write.js';
import { EncryptedFile, type EncryptedFileOptions, type RescueGuard } from './encrypted-file.js';
import { hmacSha256 } from '../crypto/subkeys.js';
import { constantTimeEqual } from '../crypto/wipe.js';
import type { FileKeyRing } from '../container/key-ring.js';
import type { MainContainer } from '../container/main-container.js';
import { beforeCheckpointWrite, beforeWalGone, beforeWalHeaderWrite, checkWalBinding } from './wal-guard.js';
import { beforeJournalClosed, checkJournalCoverage, corruptJournal, journalApplies } from './journal-guard.js';

/** WAL checkpoints read back what was just written; keep up to 8 MiB of it decrypted. */
const WAL_RECENT_BYTES = 8 << 20;

/**
 * The authentic header of a journal or WAL, or null when the file holds neither a header nor
 * content. Throws CORRUPT when content follows a header that does not authenticate, or one of the
 * previous layout (no seal records: how far it was complete cannot be told). Writes nothing.
 */
export function readAuxHeader(file: SyncFile, kind: number, container: MainContainer): AuxHeader | null {
  const raw = new Uint8Array(AUX_HEADER_SIZE);
  const n = file.read(raw, { at: 0 });
  const header = n === AUX_HEADER_SIZE ? decodeAuxHeader(raw, container.auxMacKey, { kind, blockSize: container.blockSize, mainFileId: container.fileId }) : null;
  if (header?.version === AUX_FORMAT_VERSION) return header;
  const size = file.getSize();
  if (size <= AUX_PREFIX_SIZE && header === null) return null;
  const name = fileKindName(kind);
  if (header && !previousLayoutIsLive(file, kind, container, header)) return null;
  if (header) {
    throw new CipherliteError(
      'CORRUPT',
      `${name} file: written in the previous layout (version ${header.version}, no seal records), so whether it is complete cannot be told; the ${name} was left as it is (open it with the version that wrote it)`,
      { fileKind: name },
    );
  }
  throw new CipherliteError(
    'CORRUPT',
    `${name} file: its header failed authentication but ${size - AUX_HEADER_SIZE} bytes follow it (tampered, damaged, or from another database); the ${name} was left as it is`,
    { fileKind: name },
  );
}

/**
 * Whether a journal or WAL of the previous layout (no seals) holds something SQLite would apply.
 * One that does is refused (CORRUPT): without a seal, a cut one cannot be told from a whole one.
 * One that does not — no complete block, or a committed PERSIST journal with its header zeroed —
 * holds nothing and is rewritten in the current layout at its first write (never at open).
 */
function previousLayoutIsLive(file: SyncFile, kind: number, container: MainContainer, header: AuxHeader): boolean {
  return storedIsLive(file, kind, container, header, unsealedAuxSlotsOffset(container.blockSize));
}

/** Whether the stored file (slots from `headerSize` on) starts the way a file SQLite applies does; a first block that fails counts as live (cannot be told apart). Writes nothing. */
function storedIsLive(file: SyncFile, kind: number, container: MainContainer, header: AuxHeader, headerSize: number): boolean {
  const B = container.blockSize;
  if (file.getSize() < headerSize + slotSize(B)) return false;
  const ring = container.ringFor(header.fileId, kind);
  try {
    const ef = new EncryptedFile({ file, kind, headerSize, blockSize: B, fileId: header.fileId, keys: ring, epochs: container });
    try {
      return ef.size >= JOURNAL_MAGIC.length && isLive(ef, kind);
    } finally {
      ef.discard();
    }
  } catch (e) {
    if (e instanceof CipherliteError && e.code === 'CORRUPT') return true; // damaged: cannot be told apart
    throw e;
  } finally {
    ring.destroy();
  }
}

/** The latest authentic seal of a journal or WAL whose header is `header`, or null. Writes nothing. */
export function readAuxSeal(file: SyncFile, kind: number, container: MainContainer, header: AuxHeader): AuxSeal | null {
  const area = new Uint8Array(SEAL_COPIES * SEAL_RECORD_SIZE);
  file.read(area, { at: SEAL_OFFSET });
  return latestSeal(area, kind, header.fileId, container.auxMacKey);
}

/** SQLite's first bytes of a journal that it would play back (pager.c aJournalMagic) and of a WAL (wal.c WAL_MAGIC, either byte order). */
const JOURNAL_MAGIC = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
const WAL_MAGIC = [0x377f0682, 0x377f0683];

/** True when SQLite's bytes `data` (written at offset 0 of a rollback journal) start a hot journal. */
function startsHot(data: Uint8Array): boolean {
  return data.length >= JOURNAL_MAGIC.length && JOURNAL_MAGIC.every((b, i) => data[i] === b);
}

/** True when `ef` starts the way a file SQLite would apply does (a PERSIST journal that was committed has its header zeroed: never applied). */
function isLive(ef: EncryptedFile, kind: number): boolean {
  const head = new Uint8Array(JOURNAL_MAGIC.length);
  ef.read(head, 0);
  if (kind === FILE_KIND.wal) return WAL_MAGIC.includes(new DataView(head.buffer).getUint32(0));
  return JOURNAL_MAGIC.every((b, i) => head[i] === b);
}

function corruptSide(kind: number, what: string): CipherliteError {
  const name = fileKindName(kind);
  return new CipherliteError('CORRUPT', `${name} file: ${what}; the ${name} was left as it is`, { fileKind: name });
}

/**
 * Fails closed (CORRUPT, nothing written) before SQLite applies a journal or WAL that is not
 * exactly what was sealed:
 * - shorter than its seal (cut, or its last blocks damaged) — unless what is left starts with a
 *   zeroed journal header, which SQLite never plays back;
 * - no authentic seal in front of content SQLite would apply;
 * - a rollback journal with a block that does not authenticate anywhere (checked before SQLite
 *   writes the first page back: a rollback stopped half way would leave a state never committed);
 * - a rollback journal sealed for a database state it cannot belong to: SQLite's change counter
 *   moves by one per committed transaction, so a hot journal sealed at counter N can only meet a
 *   database at N (crash before page 1 was written) or N + 1 (after).
 */
function checkSeal(ef: EncryptedFile, kind: number, seal: AuxSeal | null, mainCounter: number | null): void {
  const whole = ef.size >= JOURNAL_MAGIC.length;
  const live = whole && isLive(ef, kind);
  if (seal !== null && ef.size < seal.size && (live || !whole)) {
    throw corruptSide(kind, `cut short — ${ef.size} bytes left of the ${seal.size} it was sealed with (truncated or damaged)`);
  }
  if (!live) return;
  if (seal === null) throw corruptSide(kind, 'none of its seal records authenticates (tampered or damaged)');
  if (kind !== FILE_KIND.journal) return;
  const failed: number[] = [];
  ef.verifyBlocks(0, ef.physicalBlocks, failed);
  if (failed.length > 0) throw corruptSide(kind, `block ${failed[0]} failed authentication (tampered, damaged, or from another database)`);
  if (seal.counter !== null && mainCounter !== null && mainCounter !== seal.counter && mainCounter !== (seal.counter + 1) >>> 0) {
    throw corruptSide(kind, `stale — sealed for database change counter ${seal.counter}, but the database is at ${mainCounter} (a journal from an earlier moment put back)`);
  }
}

const RESCUE_LABEL = new TextEncoder().encode('cipherlite/v1/aux-rescue');

/**
 * Rescue copies vouched for by a MAC over (kind, file id, block index, seal sequence, slot): a
 * copy is only used while the seal it was taken under is still the latest. Once a later seal
 * covers the rewritten block, the copy is an outdated version of sealed content and is ignored
 * (a damaged block then fails, instead of being replaced by its earlier version).
 */
export function rescueGuard(kind: number, container: MainContainer, fileId: () => Uint8Array, sequence: () => number): RescueGuard {
  const mac = (index: number, seq: bigint, slot: Uint8Array): Uint8Array => {
    const input = new Uint8Array(RESCUE_LABEL.length + 1 + FILE_ID_SIZE + 16 + slot.length);
    const dv = new DataView(input.buffer);
    input.set(RESCUE_LABEL, 0);
    input[RESCUE_LABEL.length] = kind;
    input.set(fileId(), RESCUE_LABEL.length + 1);
    dv.setBigUint64(RESCUE_LABEL.length + 1 + FILE_ID_SIZE, BigInt(index));
    dv.setBigUint64(RESCUE_LABEL.length + 1 + FILE_ID_SIZE + 8, seq);
    input.set(slot, RESCUE_LABEL.length + 1 + FILE_ID_SIZE + 16);
    return hmacSha256(container.auxMacKey, input).subarray(0, RESCUE_MAC_SIZE);
  };
  const macAt = RESCUE_MAC_OFFSET - RESCUE_SEQUENCE_OFFSET;
  return {
    tag(index, slot, tag) {
      const seq = BigInt.asUintN(64, BigInt(sequence()));
      new DataView(tag.buffer, tag.byteOffset, tag.byteLength).setBigUint64(0, seq);
      tag.set(mac(index, seq, slot), macAt);
    },
    accepts(index, slot, tag) {
      const seq = new DataView(tag.buffer, tag.byteOffset, tag.byteLength).getBigUint64(0);
      if (seq !== BigInt.asUintN(64, BigInt(sequence()))) return false;
      return constantTimeEqual(mac(index, seq, slot), tag.subarray(macAt, macAt + RESCUE_MAC_SIZE));
    },
  };
}

/** EncryptedFile options of a journal or WAL with file id `fileId`. */
export function auxFileOptions(file: SyncFile, kind: number, container: MainContainer, fileId: Uint8Array, keys: FileKeyRing, guard: RescueGuard): EncryptedFileOptions {
  return {
    file,
    kind,
    headerSize: auxSlotsOffset(container.blockSize),
    rescueOffset: RESCUE_OFFSET,
    rescueGuard: guard,
    blockSize: container.blockSize,
    fileId,
    keys,
    epochs: container,
    recentBlocks: kind === FILE_KIND.wal ? Math.floor(WAL_RECENT_BYTES / container.blockSize) : 0,
  };
}

export class AuxFile {
  readonly ef: EncryptedFile;
  #ring: FileKeyRing;
  readonly #file: HeaderOnFirstWrite;
  readonly #container: MainContainer;
  readonly #kind: number;
  /** The database file (rollback journals): its change counter is sealed with the journal. */
  readonly #main: EncryptedFile | null;
  #fileId: Uint8Array;
  /** The seal in force (read at open, or last written); null before the first. */
  #seal: AuxSeal | null;
  /** Written or truncated since `#seal`. */
  #unsealed = false;
  /** WAL: frames were written since the database file was last written from it. */
  #framesAdded = false;
  /** Rollback journal: hot (starts with SQLite's journal magic). */
  #hot = false;

  constructor(file: SyncFile, kind: number, container: MainContainer, main: EncryptedFile | null = null) {
    this.#container = container;
    this.#kind = kind;
    this.#main = kind === FILE_KIND.journal ? main : null;
    let header = readAuxHeader(file, kind, container);
    this.#seal = header ? readAuxSeal(file, kind, container, header) : null;
    if (header && kind === FILE_KIND.journal && !this.#mayApply(file, header)) {
      header = null; // spent, or it never reached the database file: it holds nothing (journal-guard.ts)
      this.#seal = null;
    }
    this.#fileId = header ? header.fileId : randomBytes(FILE_ID_SIZE);
    this.#file = new HeaderOnFirstWrite(file, header ? null : this.#encodeFresh(this.#fileId));
    this.#ring = container.ringFor(this.#fileId, kind);
    try {
      const guard = rescueGuard(
        kind,
        container,
        () => this.#fileId,
        () => this.#seal?.sequence ?? -1,
      );
      this.ef = new EncryptedFile(auxFileOptions(this.#file, kind, container, this.#fileId, this.#ring, guard));
      if (header) checkSeal(this.ef, kind, this.#seal, this.#main?.changeCounter() ?? null);
      if (kind === FILE_KIND.wal) checkWalBinding(this.ef, container);
      this.#hot = header !== null && kind === FILE_KIND.journal && this.ef.size >= JOURNAL_MAGIC.length && isLive(this.ef, kind);
      if (this.#hot && header) checkJournalCoverage(container, header.fileId, this.sealedSize);
    } catch (e) {
      this.#ring.destroy();
      throw e;
    }
  }

  /** Whether the journal with `header` may be played back over this database file (journal-guard.ts). */
  #mayApply(file: SyncFile, header: AuxHeader): boolean {
    return journalApplies(this.#container, header.fileId, () => {
      const sealed = this.#seal?.counter ?? null;
      const counter = this.#main?.changeCounter() ?? null;
      if (sealed === null || counter === null || sealed === counter) return false;
      return storedIsLive(file, this.#kind, this.#container, header, auxSlotsOffset(this.#container.blockSize));
    });
  }

  /** The journal's file id (new for each instance). */
  get fileId(): Uint8Array {
    return this.#fileId;
  }

  /** Logical bytes covered by the seal in force (0 before the first). */
  get sealedSize(): number {
    return this.#seal?.size ?? 0;
  }

  /** A rollback journal SQLite would play back now (its header holds the journal magic). */
  get hot(): boolean {
    return this.#hot;
  }

  /** Header and first seal (size 0) of a new instance, written with one call. */
  #encodeFresh(fileId: Uint8Array): Uint8Array {
    const seal: AuxSeal = { sequence: 0, size: 0, counter: this.#main?.changeCounter() ?? null };
    this.#seal = seal;
    const out = new Uint8Array(sealRecordOffset(1));
    out.set(encodeAuxHeader({ kind: this.#kind, blockSize: this.#container.blockSize, fileId, mainFileId: this.#container.fileId }, this.#container.auxMacKey), 0);
    out.set(encodeSeal(seal, this.#kind, fileId, this.#container.auxMacKey), SEAL_OFFSET);
    return out;
  }

  #writeSeal(size: number): void {
    const seal: AuxSeal = { sequence: (this.#seal?.sequence ?? -1) + 1, size, counter: this.#main?.changeCounter() ?? null };
    const bytes = encodeSeal(seal, this.#kind, this.#fileId, this.#container.auxMacKey);
    const n = this.#file.write(bytes, { at: sealRecordOffset(seal.sequence % SEAL_COPIES) });
    if (n !== bytes.length) throw new CipherliteError('IO', `short write of a journal seal (${n} of ${bytes.length} bytes)`);
    this.#seal = seal;
  }

  get isWal(): boolean {
    return this.#kind === FILE_KIND.wal;
  }

  /** True when the journal was written since its last seal. */
  get unsealed(): boolean {
    return this.#unsealed;
  }

  /**
   * Seals what was written since the last seal (its blocks are flushed first, so the seal never
   * claims more than storage holds). Called at SQLite's sync of this file and before any write to
   * the database file: from then on a journal shorter than this is damage, not a torn tail.
   */
  seal(): void {
    if (!this.#unsealed) return;
    this.ef.flushBuffers();
    this.#writeSeal(this.ef.size);
    this.ef.markDurable();
    this.#unsealed = false;
  }

  write(data: Uint8Array, offset: number): void {
    if (this.#kind === FILE_KIND.wal) {
      if (offset === 0) beforeWalHeaderWrite(this.ef, this.#container, data);
      this.#framesAdded = true;
    }
    if (this.#kind === FILE_KIND.journal && offset === 0) this.#beforeJournalHeaderWrite(data);
    this.#unsealed = true;
    this.ef.write(data, offset);
  }

  /**
   * Called before the database file is written or cut (after `seal`): for a WAL that gained
   * frames, records in the main header how far the generation being checkpointed reaches.
   */
  beforeDatabaseWrite(): void {
    if (!this.#framesAdded) return;
    beforeCheckpointWrite(this.ef, this.#container);
    this.#framesAdded = false;
  }

  sync(): void {
    this.seal();
    this.ef.sync();
  }

  /**
   * SQLite writes a journal header at offset 0: the magic starts a transaction's journal, zeros
   * end it (PERSIST, exclusive locking mode). Ending it is a commit point: the main header says
   * `closed` first. A journal reused for a new transaction gets a new instance (file id) first,
   * so the header's `open` names that transaction's journal and no other.
   */
  #beforeJournalHeaderWrite(data: Uint8Array): void {
    const hot = startsHot(data);
    if (hot && !this.#hot && this.ef.size > 0) this.#restart();
    if (!hot && this.#hot) beforeJournalClosed(this.#container, this.#fileId);
    this.#hot = hot;
  }

  truncate(size: number): void {
    this.#unsealed = true;
    if (size === 0) {
      if (this.#kind === FILE_KIND.wal) beforeWalGone(this.#container);
      if (this.#kind === FILE_KIND.journal) beforeJournalClosed(this.#container, this.#fileId);
      this.#hot = false;
      this.#restart();
      return;
    }
    // Lower the seal before the cut: a crash in between leaves a longer journal than sealed (fine).
    if (this.#seal && size < this.#seal.size) this.#writeSeal(size);
    this.ef.truncate(size);
  }

  /** Empties the file and starts a new instance: new file id, header and seal. */
  #restart(): void {
    const fileId = randomBytes(FILE_ID_SIZE);
    // Cut the file to zero first, then write the new header and seal: a crash in between
    // leaves an empty file. The other order would leave old blocks under a new file id, which
    // would read as damage.
    this.#file.writeHeaderNow(this.#encodeFresh(fileId));
    this.#fileId = fileId;
    this.#ring.destroy();
    this.#ring = this.#container.ringFor(fileId, this.#kind);
    this.ef.resetEmpty(fileId, this.#ring);
    this.#unsealed = false;
  }

  destroy(): void {
    this.ef.discard();
    this.#ring.destroy();
  }
}

/**
 * Before SQLite opens a database whose header says a transaction is in flight (`open J`): its
 * journal must be there, hot, of id J and accepted by its seal — SQLite plays it back then. Else
 * CORRUPT naming the journal, with nothing written or deleted: deleted, cut to within its header
 * and seal records, zeroed or replaced, it looks like no journal, and SQLite would open the
 * half-written database file.
 */
export function refuseUnfinishedJournal(storage: SyncStorage, name: string, container: MainContainer, main: EncryptedFile): void {
  const binding = container.journalBinding;
  if (binding.state !== 'open') return;
  const problem = unfinishedJournalProblem(storage, name, container, main);
  if (problem === null) return;
  // The other header copy is damaged and may have been one write newer: `closed` (journal-guard.ts).
  if (!container.newestCopyCertain) return container.assumeJournalClosed();
  throw corruptJournal(`${problem}, but the database file was being written under it (a transaction in flight)`);
}

/** Why journal `name` cannot be the hot journal the header's `open` names, or null when it is. Writes nothing. */
function unfinishedJournalProblem(storage: SyncStorage, name: string, container: MainContainer, main: EncryptedFile): string | null {
  if (!storage.exists(name)) return 'missing (deleted)';
  const file = storage.open(name, { create: false });
  try {
    if (file.getSize() <= AUX_PREFIX_SIZE) return `cut to ${file.getSize()} bytes, within its header and seal records`;
    const aux = new AuxFile(file, FILE_KIND.journal, container, main);
    const hot = aux.hot;
    aux.destroy();
    return hot ? null : 'not hot (its header is zeroed or gone)';
  } finally {
    file.close();
  }
}
