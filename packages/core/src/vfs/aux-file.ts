/**
 * Opening journal/WAL files of a database: header handling around an EncryptedFile.
 *
 * A journal gets a fresh random file id when it is created and whenever it is truncated to zero
 * (TRUNCATE journal mode commits that way), so blocks of an old journal instance can never
 * authenticate in a new one. A header that is missing, torn or not authentic means "no journal
 * content": it can only be damaged while the journal is being (re)started, when it holds nothing
 * SQLite needs. The block-level policy is in encrypted-file.ts.
 */
import { randomBytes } from '../crypto/random.js';
import { AUX_HEADER_SIZE, FILE_ID_SIZE, FILE_KIND } from '../format/constants.js';
import { decodeAuxHeader, encodeAuxHeader } from '../format/aux-header.js';
import type { SyncFile } from '../storage/sync-file.js';
import { EncryptedFile, rescueAreaSize } from './encrypted-file.js';
import type { FileKeyRing } from './key-ring.js';
import type { MainContainer } from './main-container.js';

export class AuxFile {
  readonly ef: EncryptedFile;
  #ring: FileKeyRing;
  readonly #container: MainContainer;
  readonly #kind: number;

  constructor(file: SyncFile, kind: number, container: MainContainer) {
    this.#container = container;
    this.#kind = kind;
    const raw = new Uint8Array(AUX_HEADER_SIZE);
    const n = file.read(raw, { at: 0 });
    const header =
      n === AUX_HEADER_SIZE
        ? decodeAuxHeader(raw, container.auxMacKey, { kind, blockSize: container.blockSize, mainFileId: container.fileId })
        : null;
    let fileId: Uint8Array;
    if (header) {
      fileId = header.fileId;
    } else {
      fileId = this.#writeFreshHeader(file);
    }
    this.#ring = container.ringFor(fileId, kind);
    this.ef = new EncryptedFile({
      file,
      kind,
      // Layout: header ‖ rescue area ‖ slots (see encrypted-file.ts "Rescue slot").
      headerSize: AUX_HEADER_SIZE + rescueAreaSize(container.blockSize),
      rescueOffset: AUX_HEADER_SIZE,
      blockSize: container.blockSize,
      fileId,
      keys: this.#ring,
      epochs: container,
      // WAL checkpoints read back what was just written; keep up to 8 MiB of it decrypted.
      recentBlocks: kind === FILE_KIND.wal ? Math.floor((8 << 20) / container.blockSize) : 0,
    });
  }

  #writeFreshHeader(file: SyncFile): Uint8Array {
    const fileId = randomBytes(FILE_ID_SIZE);
    // Cut the body first, then write the new header: a crash in between leaves the old header
    // with no blocks (an empty journal). The other order would leave old blocks under a new
    // file id, which would read as damage.
    if (file.getSize() > AUX_HEADER_SIZE) file.truncate(AUX_HEADER_SIZE);
    file.write(encodeAuxHeader({ kind: this.#kind, blockSize: this.#container.blockSize, fileId, mainFileId: this.#container.fileId }, this.#container.auxMacKey), { at: 0 });
    return fileId;
  }

  truncate(size: number): void {
    if (size === 0) {
      const fileId = this.#writeFreshHeader(this.ef.file);
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
