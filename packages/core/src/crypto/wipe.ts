/**
 * Best-effort wiping of key material.
 *
 * JavaScript gives no guarantee that a secret has no other copy (the engine may have moved or
 * copied the buffer, and strings cannot be wiped at all), so this is hygiene, not a proof:
 * every buffer this library allocates for a key is zeroed as soon as it is no longer needed, and
 * when the database locks or closes. The README's Security section states the limit.
 */
export function wipe(...buffers: (Uint8Array | undefined | null)[]): void {
  for (const b of buffers) b?.fill(0);
}

/** Constant-time equality for equal-length byte arrays (tags, commitments). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
