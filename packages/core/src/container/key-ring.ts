/**
 * Per-file block keys: HKDF(DEK, file id, kind, epoch) → an AEAD key object, cached.
 *
 * Derivation and AEAD set-up happen once per (file, epoch), not per block. The cache is small
 * because a file normally has one or two live epochs (the current write epoch and the few its
 * older blocks were written under); evicted keys are destroyed (wiped).
 */
import type { AeadKey, AeadKeyFactory } from '../crypto/aead.js';
import { deriveBlockKey } from '../crypto/subkeys.js';
import { wipe } from '../crypto/wipe.js';

const MAX_CACHED_KEYS = 16;

/** Supplies block keys for one file: one AEAD key per epoch (derived and cached by the owner). */
export interface BlockKeySource {
  keyFor(epoch: number): AeadKey;
}

export class FileKeyRing implements BlockKeySource {
  readonly #dek: Uint8Array;
  readonly #fileId: Uint8Array;
  readonly #kind: number;
  readonly #factory: AeadKeyFactory;
  readonly #cache = new Map<number, AeadKey>();
  #last = -1;

  /** `dek` is borrowed by reference: the database owns it and wipes it on close/lock. */
  constructor(dek: Uint8Array, fileId: Uint8Array, kind: number, factory: AeadKeyFactory) {
    this.#dek = dek;
    this.#fileId = fileId.slice();
    this.#kind = kind;
    this.#factory = factory;
  }

  keyFor(epoch: number): AeadKey {
    let key = this.#cache.get(epoch);
    if (key) {
      // LRU: re-insert so the most recently used key is evicted last (skipped when it already
      // is the most recent, the common case of consecutive blocks under one epoch).
      if (this.#last !== epoch) {
        this.#cache.delete(epoch);
        this.#cache.set(epoch, key);
        this.#last = epoch;
      }
      return key;
    }
    const raw = deriveBlockKey(this.#dek, this.#fileId, this.#kind, epoch);
    key = this.#factory(raw);
    wipe(raw);
    this.#cache.set(epoch, key);
    this.#last = epoch;
    if (this.#cache.size > MAX_CACHED_KEYS) {
      const [oldest, evicted] = this.#cache.entries().next().value as [number, AeadKey];
      this.#cache.delete(oldest);
      evicted.destroy();
    }
    return key;
  }

  destroy(): void {
    for (const k of this.#cache.values()) k.destroy();
    this.#cache.clear();
  }
}

/** Hands out the key epoch for each block encryption; advances it after a write budget. */
export interface EpochSource {
  /** The epoch to encrypt the next block under (counts one write against its budget). */
  nextWriteEpoch(): number;
}
