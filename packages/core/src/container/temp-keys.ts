/**
 * Keys for SQLite's temporary files (sort spills, statement journals, temp databases).
 *
 * Temp files live only for the life of one connection, so they need no persistent key: a random
 * data key is drawn per VFS install and never stored. Their containers are kept in memory (see
 * sqlite-vfs.ts), so even a `temp_store=FILE` spill never reaches storage, and if it did, it
 * would be ciphertext under a key that no longer exists.
 */
import type { AeadKeyFactory } from '../crypto/aead.js';
import { randomBytes } from '../crypto/random.js';
import { DEFAULT_EPOCH_WRITE_LIMIT, FIRST_EPOCH } from '../format/constants.js';
import { FileKeyRing, type EpochSource } from './key-ring.js';

export class TempKeys implements EpochSource {
  readonly #dek = randomBytes(32);
  readonly #aead: AeadKeyFactory;
  #epoch = FIRST_EPOCH;
  #writes = 0;

  constructor(aead: AeadKeyFactory) {
    this.#aead = aead;
  }

  nextWriteEpoch(): number {
    if (++this.#writes > DEFAULT_EPOCH_WRITE_LIMIT) {
      this.#epoch++;
      this.#writes = 1;
    }
    return this.#epoch;
  }

  ringFor(fileId: Uint8Array, kind: number): FileKeyRing {
    return new FileKeyRing(this.#dek, fileId, kind, this.#aead);
  }
}
