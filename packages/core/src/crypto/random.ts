/**
 * Secure randomness. All key material, salts, file ids and GCM nonces come from here.
 *
 * Uses the platform CSPRNG (`crypto.getRandomValues`, present in browsers, workers and Node ≥ 19).
 * Nonces are drawn per block write, so `NonceSource` amortizes the call over a 4 KiB pool: one
 * `getRandomValues` per ~340 nonces instead of one per block. Pool bytes are handed out exactly
 * once and the pool is wiped as it is consumed, so no two encryptions ever get the same bytes
 * from it.
 */

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues caps one call at 65536 bytes.
  for (let off = 0; off < length; off += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(length, off + 65536)));
  }
  return out;
}

const POOL_SIZE = 4096;

export class NonceSource {
  readonly #pool = new Uint8Array(POOL_SIZE);
  #pos = POOL_SIZE;

  /** Fills `out` with fresh random bytes (at most POOL_SIZE per call). */
  fill(out: Uint8Array): void {
    const n = out.length;
    if (this.#pos + n > POOL_SIZE) {
      globalThis.crypto.getRandomValues(this.#pool);
      this.#pos = 0;
    }
    const slice = this.#pool.subarray(this.#pos, this.#pos + n);
    out.set(slice);
    slice.fill(0); // never hand the same bytes out twice
    this.#pos += n;
  }
}
