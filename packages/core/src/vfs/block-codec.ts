/**
 * Seals and opens single slots. This is the per-block hot path, so it allocates nothing per
 * call: the AAD buffer, the nonce pool and the per-epoch keys are built once per file.
 *
 * AAD = magic ‖ version ‖ kind ‖ file id ‖ block index (u64) ‖ length (u32) ‖ epoch (u32)
 * (format/constants.ts). Binding the index and file id means a slot copied to another position,
 * another file, or another database fails authentication; binding the length means a journal's
 * size cannot be edited; binding kind keeps a journal block from passing as a database block.
 */
import type { BlockKeySource } from '../container/key-ring.js';
import { NonceSource } from '../crypto/random.js';
import { view } from '../format/bytes.js';
import {
  AAD_EPOCH_OFFSET,
  AAD_INDEX_OFFSET,
  AAD_LENGTH_OFFSET,
  AAD_SIZE,
  FIRST_EPOCH,
  FORMAT_VERSION,
  MAGIC,
  NONCE_SIZE,
  SLOT_CIPHERTEXT_OFFSET,
  SLOT_EPOCH_OFFSET,
  SLOT_LENGTH_OFFSET,
  SLOT_NONCE_OFFSET,
  TAG_SIZE,
} from '../format/constants.js';

/** Source of fresh nonce bytes; injectable only so known-answer tests can fix the nonce. */
export interface NonceFiller {
  fill(out: Uint8Array): void;
}

const sharedNonces: NonceFiller = new NonceSource();

export class BlockCodec {
  readonly blockSize: number;
  readonly #aad = new Uint8Array(AAD_SIZE);
  readonly #aadView = view(this.#aad);
  #keys: BlockKeySource;
  readonly #nonces: NonceFiller;

  constructor(kind: number, fileId: Uint8Array, blockSize: number, keys: BlockKeySource, nonces: NonceFiller = sharedNonces) {
    this.blockSize = blockSize;
    this.#keys = keys;
    this.#nonces = nonces;
    this.#aad.set(MAGIC, 0);
    this.#aadView.setUint16(8, FORMAT_VERSION);
    this.#aad[10] = kind;
    this.#aad.set(fileId, 11);
  }

  /** A journal that is truncated to zero gets a new file id (and with it new keys). */
  reset(fileId: Uint8Array, keys: BlockKeySource): void {
    this.#aad.set(fileId, 11);
    this.#keys = keys;
  }

  #setAad(index: number, length: number, epoch: number): void {
    // u64 big-endian without a BigInt allocation per block (indices stay far below 2^53).
    this.#aadView.setUint32(AAD_INDEX_OFFSET, Math.floor(index / 0x1_0000_0000));
    this.#aadView.setUint32(AAD_INDEX_OFFSET + 4, index >>> 0);
    this.#aadView.setUint32(AAD_LENGTH_OFFSET, length);
    this.#aadView.setUint32(AAD_EPOCH_OFFSET, epoch);
  }

  /** Encrypts `plaintext` (exactly one block) as slot `index` into `slot`. */
  seal(index: number, length: number, epoch: number, plaintext: Uint8Array, slot: Uint8Array): void {
    const B = this.blockSize;
    const dv = view(slot);
    dv.setUint32(SLOT_EPOCH_OFFSET, epoch);
    dv.setUint32(SLOT_LENGTH_OFFSET, length);
    const nonce = slot.subarray(SLOT_NONCE_OFFSET, SLOT_NONCE_OFFSET + NONCE_SIZE);
    this.#nonces.fill(nonce);
    this.#setAad(index, length, epoch);
    this.#keys
      .keyFor(epoch)
      .seal(nonce, this.#aad, plaintext, slot.subarray(SLOT_CIPHERTEXT_OFFSET, SLOT_CIPHERTEXT_OFFSET + B), slot.subarray(SLOT_CIPHERTEXT_OFFSET + B, SLOT_CIPHERTEXT_OFFSET + B + TAG_SIZE));
  }

  /**
   * Authenticates and decrypts `slot` (as slot `index`) into `out`. Returns the block's logical
   * length, or -1 if it does not authenticate (out is then zero-filled).
   */
  open(index: number, slot: Uint8Array, out: Uint8Array): number {
    const B = this.blockSize;
    const dv = view(slot);
    const epoch = dv.getUint32(SLOT_EPOCH_OFFSET);
    const length = dv.getUint32(SLOT_LENGTH_OFFSET);
    // Epoch 0 is never written, so an all-zero slot (a hole, a zeroed page) is rejected here,
    // before any key is derived for it.
    if (epoch < FIRST_EPOCH || length === 0 || length > B) {
      out.fill(0);
      return -1;
    }
    this.#setAad(index, length, epoch);
    const ok = this.#keys
      .keyFor(epoch)
      .open(
        slot.subarray(SLOT_NONCE_OFFSET, SLOT_NONCE_OFFSET + NONCE_SIZE),
        this.#aad,
        slot.subarray(SLOT_CIPHERTEXT_OFFSET, SLOT_CIPHERTEXT_OFFSET + B),
        slot.subarray(SLOT_CIPHERTEXT_OFFSET + B, SLOT_CIPHERTEXT_OFFSET + B + TAG_SIZE),
        out,
      );
    return ok ? length : -1;
  }
}
