/**
 * Plaintext of recently written blocks, least recently used first (EncryptedFile's
 * `recentBlocks`): a WAL checkpoint reads back every frame it copies into the database, and this
 * spares decrypting a block encrypted moments before. Memory is not "at rest"; every buffer
 * dropped is zeroed.
 */
export class RecentBlocks {
  readonly #capacity: number;
  readonly #blocks = new Map<number, Uint8Array>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(index: number): Uint8Array | undefined {
    return this.#blocks.get(index);
  }

  /** Keeps `plaintext` (taken over, not copied) as block `index`; with no capacity it is zeroed at once. */
  remember(index: number, plaintext: Uint8Array): void {
    if (this.#capacity === 0) {
      plaintext.fill(0);
      return;
    }
    this.#blocks.delete(index);
    this.#blocks.set(index, plaintext);
    if (this.#blocks.size > this.#capacity) {
      const [oldest, buf] = this.#blocks.entries().next().value as [number, Uint8Array];
      this.#blocks.delete(oldest);
      buf.fill(0);
    }
  }

  forget(index: number): void {
    const buf = this.#blocks.get(index);
    if (buf) {
      buf.fill(0);
      this.#blocks.delete(index);
    }
  }

  /** Forgets blocks `from` and above (every block with 0). */
  forgetFrom(from: number): void {
    for (const index of [...this.#blocks.keys()]) if (index >= from) this.forget(index);
  }
}
