/**
 * Linear-memory layout of the AES-256-GCM module (AssemblyScript, compiled to WebAssembly).
 *
 * Nothing is allocated at run time (`--runtime stub`, no `new`): every buffer sits at a fixed
 * offset, so the JS wrapper can copy into and out of the I/O area without pointers changing.
 * Page 0 is left to the compiler's static data. Key slots follow the I/O area; the JS side grows
 * memory when it needs more slots (`SLOTS_PTR + slot * SLOT_SIZE` must fit in memory).
 */

// ---- I/O area (written and read by the JS wrapper) ----
/** 12-byte nonce (IV). SP 800-38D §8.2.1 (deterministic) / §8.2.2 (random) — 96 bits. */
export const NONCE_PTR: u32 = 0x10000;
/** 16-byte tag: output of seal, input (expected tag) of open. */
export const TAG_PTR: u32 = 0x10010;
/** 32-byte raw key, read by setKey and zeroed right after. */
export const KEY_PTR: u32 = 0x10020;
/** Additional authenticated data, up to AAD_MAX bytes. */
export const AAD_PTR: u32 = 0x10100;
export const AAD_MAX: u32 = 256;
/** Plaintext/ciphertext, processed in place, up to DATA_MAX bytes. */
export const DATA_PTR: u32 = 0x11000;
export const DATA_MAX: u32 = 65536;

// ---- internal scratch (never read by JS) ----
/** 8 counter blocks (128 bytes; as round-1 outputs, see gcm.ts) fed to the 8-way AES. */
export const CTR_PTR: u32 = 0x10400;
/** 8 keystream blocks (128 bytes) produced by the 8-way AES. */
export const KS_PTR: u32 = 0x10480;
/** 8 bit-planes (128 bytes) used while (un)bitslicing (key schedule), and the round-1 base
 * block of the current counter range (gcm.ts). */
export const WORK_PTR: u32 = 0x10500;
/** One zero-padded 16-byte block for a partial GHASH input block. */
export const PAD_PTR: u32 = 0x10580;
/** Length of the scratch area above (wiped by wipeScratch). */
export const SCRATCH_PTR: u32 = 0x10400;
export const SCRATCH_LEN: u32 = 0x190;

// ---- key slots ----
/** 15 bitsliced round keys × 8 planes × 16 bytes (FIPS-197 §5.2: AES-256 has Nr = 14). */
export const RK_SIZE: u32 = 15 * 128;
/** GHASH key operands: H..H⁴ × 6 operands × 4 hole-masked parts × 8 bytes (see ghash.ts). */
export const GHASH_KEY_SIZE: u32 = 4 * 6 * 32;
/**
 * Round-1 cache for CTR (see gcm.ts): 256 little-endian u32, entry b = bytes 0..3 of
 * round1(0¹⁵ ‖ b) ⊕ round1(0¹⁶), i.e. the part of the round-1 output that the low counter byte
 * contributes. Key-dependent; indexed only by the public counter.
 */
export const CTR1_OFF: u32 = RK_SIZE + GHASH_KEY_SIZE;
export const CTR1_SIZE: u32 = 256 * 4;
export const SLOT_SIZE: u32 = 3712; // ≥ RK_SIZE + GHASH_KEY_SIZE + CTR1_SIZE, rounded to 128
export const SLOTS_PTR: u32 = 0x22000; // after DATA_PTR + DATA_MAX + padding

// @ts-ignore: decorator
@inline export function slotPtr(slot: u32): u32 {
  return SLOTS_PTR + slot * SLOT_SIZE;
}
