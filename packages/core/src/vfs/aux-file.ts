/**
 * Opening journal/WAL files of a database: header handling around an EncryptedFile.
 *
 * Layout (format/constants.ts): header ‖ rescue area ‖ slots.
 *
 * A journal gets a fresh random file id when it is created and whenever it is truncated to zero
 * (TRUNCATE journal mode commits that way), so blocks of an old journal instance can never
 * authenticate in a new one.
 *
 * Torn versus damaged header (docs/FORMAT.md "Journal header"): a header is only ever written
 * into a file that has no body — a new file, or one whose body was cut first. So a header that is
 * missing, short or not authentic in a file of at most AUX_HEADER_SIZE bytes is a fresh header
 * whose write did not finish: the journal holds nothing. The same header in front of a body is
 * never a crash outcome: it is tampering or damage, and opening fails with CORRUPT naming the
 * file — nothing is truncated or rewritten, so the evidence (and the journal SQLite may need)
 * stays as it was.
 *
 * A new header is written lazily, just before the first write or truncate: opening a journal
 * (SQLite does so to look at a hot journal during an open that may still fail) writes nothing.
 * The block-level policy is in encrypted-file.ts.
 */
import { randomBytes } from '../crypto/random.js';
import { CipherliteError } from '../errors.js';
import { auxSlotsOffset, AUX_HEADER_SIZE, FILE_ID_SIZE, FILE_KIND, fileKindName, RESCUE_OFFSET } from '../format/constants.js';
import { decodeAuxHeader, encodeAuxHeader, type AuxHeader } from '../format/aux-header.js';
import type { AtOption, SyncFile } from '../storage/sync-file.js';
import { EncryptedFile, type EncryptedFileOptions } from './encrypted-file.js';
import type { FileKeyRing } from '../container/key-ring.js';
import type { MainContainer } from '../container/main-container.js';

/** WAL checkpoints read back what was just written; keep up to 8 MiB of it decrypted. */
const WAL_RECENT_BYTES = 8 << 20;

/**
 * The authentic header of a journal or WAL, or null when the file holds neither a header nor
 * content. Throws CORRUPT when content follows a header that does not authenticate. Writes nothing.
 */
export function readAuxHeader(file: SyncFile, kind: number, container: MainContainer): AuxHeader | null {
  const raw = new Uint8Array(AUX_HEADER_SIZE);
  const n = file.read(raw, { at: 0 });
  const header = n === AUX_HEADER_SIZE ? decodeAuxHeader(raw, container.auxMacKey, { kind, blockSize: container.blockSize, mainFileId: container.fileId }) : null;
  if (header) return header;
  const size = file.getSize();
  if (size <= AUX_HEADER_SIZE) return null;
  const name = fileKindName(kind);
  throw new CipherliteError(
    'CORRUPT',
    `${name} file: its header failed authentication but ${size - AUX_HEADER_SIZE} bytes follow it (tampered, damaged, or from another database); the ${name} was left as it is`,
    { fileKind: name },
  );
}

/** EncryptedFile options of a journal or WAL with file id `fileId`. */
export function auxFileOptions(file: SyncFile, kind: number, container: MainContainer, fileId: Uint8Array, keys: FileKeyRing): EncryptedFileOptions {
  return {
    file,
    kind,
    headerSize: auxSlotsOffset(container.blockSize),
    rescueOffset: RESCUE_OFFSET,
    blockSize: container.blockSize,
    fileId,
    keys,
    epochs: container,
    recentBlocks: kind === FILE_KIND.wal ? Math.floor(WAL_RECENT_BYTES / container.blockSize) : 0,
  };
}

/** A SyncFile that writes a pending header just before its first write or truncate. */
class HeaderOnFirstWrite implements SyncFile {
  readonly #inner: SyncFile;
  #pending: Uint8Array | null;
  constructor(inner: SyncFile, pending: Uint8Array | null) {
    this.#inner = inner;
    this.#pending = pending;
  }
  #materialize(): void {
    if (!this.#pending) return;
    const n = this.#inner.write(this.#pending, { at: 0 });
    if (n !== this.#pending.length) throw new CipherliteError('IO', `short write of a journal header (${n} of ${this.#pending.length} bytes)`);
    this.#pending = null;
  }
  /** Writes `header` now, after cutting any body (so a torn header never fronts a body). */
  writeHeaderNow(header: Uint8Array): void {
    this.#pending = null;
    if (this.#inner.getSize() > AUX_HEADER_SIZE) this.#inner.truncate(AUX_HEADER_SIZE);
    this.#pending = header;
    this.#materialize();
  }
  read(buf: Uint8Array, opts: AtOption): number {
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
    return this.#inner.getSize();
  }
  flush(): void {
    this.#inner.flush();
  }
  close(): void {
    this.#inner.close();
  }
}

export class AuxFile {
  readonly ef: EncryptedFile;
  #ring: FileKeyRing;
  readonly #file: HeaderOnFirstWrite;
  readonly #container: MainContainer;
  readonly #kind: number;

  constructor(file: SyncFile, kind: number, container: MainContainer) {
    this.#container = container;
    this.#kind = kind;
    const header = readAuxHeader(file, kind, container);
    const fileId = header ? header.fileId : randomBytes(FILE_ID_SIZE);
    this.#file = new HeaderOnFirstWrite(file, header ? null : this.#encodeHeader(fileId));
    this.#ring = container.ringFor(fileId, kind);
    this.ef = new EncryptedFile(auxFileOptions(this.#file, kind, container, fileId, this.#ring));
  }

  #encodeHeader(fileId: Uint8Array): Uint8Array {
    return encodeAuxHeader({ kind: this.#kind, blockSize: this.#container.blockSize, fileId, mainFileId: this.#container.fileId }, this.#container.auxMacKey);
  }

  truncate(size: number): void {
    if (size === 0) {
      const fileId = randomBytes(FILE_ID_SIZE);
      // Cut the body first, then write the new header: a crash in between leaves the old header
      // with no blocks (an empty journal). The other order would leave old blocks under a new
      // file id, which would read as damage.
      this.#file.writeHeaderNow(this.#encodeHeader(fileId));
      this.#ring.destroy();
      this.#ring = this.#container.ringFor(fileId, this.#kind);
      this.ef.resetEmpty(fileId, this.#ring);
      return;
    }
    this.ef.truncate(size);
  }

  destroy(): void {
    this.ef.discard();
    this.#ring.destroy();
  }
}
