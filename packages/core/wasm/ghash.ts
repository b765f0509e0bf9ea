/**
 * GHASH (NIST SP 800-38D §6.4), constant-time: carry-less multiplication built from integer
 * multiplication "with holes", Karatsuba, a bit-reversal trick for the high halves, 4-block
 * aggregation and a shift-based reduction. No table lookup, no branch and no memory address
 * depends on H or on the data (loops and addresses depend only on public lengths).
 *
 * Carry-less 64×64 → low 64 bits (`bmul`): split x and y into 4 parts that keep every 4th bit
 * (x & 0x1111…, x & 0x2222…, …). In the integer product of two parts, bit position k (< 64)
 * receives at most ⌊k/4⌋ + 1 ≤ 16 partial products, and 16 only for k ≥ 60, whose carry would
 * land at k + 4 ≥ 64, outside the word. Every other count fits in the 4-bit gap before the next
 * used position, so XORing the 4 products of one position class (mod 4) and masking gives the
 * carry-less low half (16 i64.mul). WebAssembly has no carry-less multiply; i64.mul runs in
 * fixed time on current CPUs.
 *
 * High half: for 64-bit polynomials rev64(a)·rev64(b) = rev127(a·b), so the low half of the
 * product of the bit-reversed operands, bit-reversed again and shifted right by 1, is the high
 * half of a·b. A 128×128 product is one Karatsuba level: 3 low + 3 "reversed" products = 96
 * i64.mul per block (was 144 with 32-bit products).
 *
 * Aggregation: Y ← (((Y ⊕ X1)·H ⊕ X2)·H ⊕ X3)·H ⊕ X4)·H = (Y ⊕ X1)·H⁴ ⊕ X2·H³ ⊕ X3·H² ⊕ X4·H.
 * The 4 unreduced 256-bit products are summed (all steps up to the reduction are linear over
 * GF(2)), so the output bit-reversals, the Karatsuba recombination and the reduction run once
 * per 4 blocks. H, H², H³, H⁴ are split once per key (initGhashKey).
 *
 * Representation (§6.3): bit 0 of a block (MSB of byte 0) is the coefficient of x^0. A block read
 * as a big-endian 128-bit integer V is the bit-reversal of its polynomial, so the integer
 * carry-less product of two such values, shifted left by 1, is the reversed 256-bit product:
 * its high 128 bits hold coefficients 0..127, its low 128 bits (D) coefficients 128..255.
 * Reduction by x^128 = x^7 + x^2 + x + 1: in reversed form "multiply by x^k" is a right shift by
 * k, so R = High ⊕ D ⊕ D>>1 ⊕ D>>2 ⊕ D>>7, plus the few bits shifted out below position 0
 * (F = D<<127 ⊕ D<<126 ⊕ D<<121), folded the same way once more.
 *
 * Key table (layout.GHASH_KEY_SIZE = 4 powers × 6 operands × 4 parts × 8 bytes): power k at
 * offset (k − 1)·192; operands H1, H0, H1⊕H0, rev(H1), rev(H0), rev(H1)⊕rev(H0) (H1 = bytes
 * 0..7 as a big-endian integer), 32 bytes each.
 */

const M0: u64 = 0x1111111111111111;
const M1: u64 = 0x2222222222222222;
const M2: u64 = 0x4444444444444444;
const M3: u64 = 0x8888888888888888;
const POW_SIZE: u32 = 192;

/** GHASH state Y as big-endian halves (Y1 = block bytes 0..7). */
let Y1: u64 = 0;
let Y0: u64 = 0;

/** Bit-reversal of a 64-bit word (fixed sequence of shifts and masks). */
// @ts-ignore: decorator
@inline function rev64(x: u64): u64 {
  x = ((x >> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
  x = ((x >> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
  x = ((x >> 4) & 0x0f0f0f0f0f0f0f0f) | ((x & 0x0f0f0f0f0f0f0f0f) << 4);
  return bswap<u64>(x);
}

/** Reverses the bits inside every byte of `v` (byte order unchanged). */
// @ts-ignore: decorator
@inline function revBitsInBytes(v: v128): v128 {
  const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
  v = v128.or(v128.and(i64x2.shr_u(v, 1), m1), i64x2.shl(v128.and(v, m1), 1));
  v = v128.or(v128.and(i64x2.shr_u(v, 2), m2), i64x2.shl(v128.and(v, m2), 2));
  return v128.or(v128.and(i64x2.shr_u(v, 4), m4), i64x2.shl(v128.and(v, m4), 4));
}

/** Byte-swaps each 64-bit lane (block bytes ↔ big-endian halves). */
// @ts-ignore: decorator
@inline function bswapLanes(v: v128): v128 {
  return i8x16.shuffle(v, v, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
}

function splitOperand(p: u32, b: u64): void {
  store<u64>(p, b & M0, 0);
  store<u64>(p, b & M1, 8);
  store<u64>(p, b & M2, 16);
  store<u64>(p, b & M3, 24);
}

/** Stores the 6 split operands of one power of H (big-endian halves h1, h0) at `p`. */
function splitPower(p: u32, h1: u64, h0: u64): void {
  const r1 = rev64(h1), r0 = rev64(h0);
  splitOperand(p, h1);
  splitOperand(p + 32, h0);
  splitOperand(p + 64, h1 ^ h0);
  splitOperand(p + 96, r1);
  splitOperand(p + 128, r0);
  splitOperand(p + 160, r1 ^ r0);
}

/**
 * Precomputes the split operands of H, H², H³, H⁴ for H (16 bytes at `h`). Uses the GHASH
 * state and 16 bytes of scratch at `pad` (H^k is not secret beyond the key slot itself; the
 * caller wipes scratch).
 */
export function initGhashKey(tbl: u32, h: u32, pad: u32): void {
  splitPower(tbl, bswap<u64>(load<u64>(h, 0)), bswap<u64>(load<u64>(h, 8)));
  v128.store(pad, v128.load(h));
  for (let k: u32 = 1; k < 4; k++) {
    // H^(k+1) = (0 ⊕ H^k)·H
    Y1 = 0;
    Y0 = 0;
    absorbGroup(tbl, pad, 1);
    splitPower(tbl + k * POW_SIZE, Y1, Y0);
    store<u64>(pad, bswap<u64>(Y1), 0);
    store<u64>(pad, bswap<u64>(Y0), 8);
  }
  Y1 = 0;
  Y0 = 0;
  v128.store(pad, i64x2.splat(0));
}

/** Carry-less product of `x` and the pre-split operand at `t`, low 64 bits. */
// @ts-ignore: decorator
@inline function bmul(x: u64, t: u32): u64 {
  const x0 = x & M0, x1 = x & M1, x2 = x & M2, x3 = x & M3;
  const y0 = load<u64>(t, 0), y1 = load<u64>(t, 8), y2 = load<u64>(t, 16), y3 = load<u64>(t, 24);
  const z0 = (x0 * y0) ^ (x1 * y3) ^ (x2 * y2) ^ (x3 * y1); // bit positions ≡ 0 (mod 4)
  const z1 = (x0 * y1) ^ (x1 * y0) ^ (x2 * y3) ^ (x3 * y2); // ≡ 1
  const z2 = (x0 * y2) ^ (x1 * y1) ^ (x2 * y0) ^ (x3 * y3); // ≡ 2
  const z3 = (x0 * y3) ^ (x1 * y2) ^ (x2 * y1) ^ (x3 * y0); // ≡ 3
  return (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3);
}

/**
 * Y ← (…((Y ⊕ X_1)·H ⊕ X_2)·H … ⊕ X_g)·H for the `g` (1..4) blocks at `p`, computed as
 * Σ X'_j·H^(g−j) with X'_1 = Y ⊕ X_1, and a single reduction.
 */
function absorbGroup(tbl: u32, p: u32, g: u32): void {
  // Unreduced Karatsuba sums: low halves (aL, bL, cL) and reversed products (aR, bR, cR) of
  // A = X1·H1, B = X0·H0, C = (X1⊕X0)·(H1⊕H0).
  let aL: u64 = 0, bL: u64 = 0, cL: u64 = 0, aR: u64 = 0, bR: u64 = 0, cR: u64 = 0;
  // Y in block byte order, folded into the first block.
  let y = bswapLanes(i64x2.replace_lane(i64x2.splat(Y1), 1, Y0));
  let t = tbl + (g - 1) * POW_SIZE;
  for (let j: u32 = 0; j < g; j++, p += 16, t -= POW_SIZE) {
    const raw = v128.xor(v128.load(p), y);
    y = i64x2.splat(0);
    const f = bswapLanes(raw); // big-endian halves
    const r = revBitsInBytes(raw); // = rev64 of each big-endian half
    const x1 = i64x2.extract_lane(f, 0), x0 = i64x2.extract_lane(f, 1);
    const r1 = i64x2.extract_lane(r, 0), r0 = i64x2.extract_lane(r, 1);
    aL ^= bmul(x1, t);
    bL ^= bmul(x0, t + 32);
    cL ^= bmul(x1 ^ x0, t + 64);
    aR ^= bmul(r1, t + 96);
    bR ^= bmul(r0, t + 128);
    cR ^= bmul(r1 ^ r0, t + 160);
  }
  // High halves of A, B and M = C ⊕ A ⊕ B via the reversal trick.
  const mL = cL ^ aL ^ bL;
  const aH = rev64(aR) >> 1, bH = rev64(bR) >> 1, mH = rev64(cR ^ aR ^ bR) >> 1;
  // 255-bit product P = A·2^128 ⊕ M·2^64 ⊕ B, then Q = P << 1 (reversed 256-bit product).
  const p3 = aH, p2 = aL ^ mH, p1 = bH ^ mL, p0 = bL;
  const q3 = (p3 << 1) | (p2 >> 63), q2 = (p2 << 1) | (p1 >> 63);
  const d1 = (p1 << 1) | (p0 >> 63), d0 = p0 << 1;
  // Reduction (see the file comment): bits of D that fall below position 0 when shifted.
  const f1 = (d0 << 63) ^ (d0 << 62) ^ (d0 << 57);
  Y1 = q3 ^ d1 ^ (d1 >> 1) ^ (d1 >> 2) ^ (d1 >> 7) ^ f1 ^ (f1 >> 1) ^ (f1 >> 2) ^ (f1 >> 7);
  Y0 = q2 ^ d0 ^ ((d0 >> 1) | (d1 << 63)) ^ ((d0 >> 2) | (d1 << 62)) ^ ((d0 >> 7) | (d1 << 57));
}

/** Y ← (Y ⊕ X_i)·H for `n` whole blocks at `p` (§6.4 step 4: Y_i = (Y_{i-1} ⊕ X_i)·H). */
function absorbBlocks(tbl: u32, p: u32, n: u32): void {
  for (; n >= 4; n -= 4, p += 64) absorbGroup(tbl, p, 4);
  if (n != 0) absorbGroup(tbl, p, n);
}

/** Starts a new GHASH computation (Y_0 = 0^128). */
export function ghashReset(): void {
  Y1 = 0;
  Y0 = 0;
}

/**
 * Absorbs `len` bytes at `p`. A final partial block is zero-padded, as GCM pads A and C to whole
 * blocks (§7.1 step 5); the padding block is built at `pad` (16 bytes of scratch).
 */
export function ghashUpdate(tbl: u32, p: u32, len: u32, pad: u32): void {
  absorbBlocks(tbl, p, len >> 4);
  const rest = len & 15;
  if (rest != 0) {
    v128.store(pad, i64x2.splat(0));
    memory.copy(pad, p + (len & ~15), rest);
    absorbBlocks(tbl, pad, 1);
    v128.store(pad, i64x2.splat(0));
  }
}

/** Absorbs [len(A)]_64 ‖ [len(C)]_64 in bits (§7.1 step 5) and returns S as block bytes. */
export function ghashFinish(tbl: u32, aadLen: u32, len: u32, pad: u32): v128 {
  store<u64>(pad, bswap<u64>(<u64>aadLen << 3), 0);
  store<u64>(pad, bswap<u64>(<u64>len << 3), 8);
  absorbBlocks(tbl, pad, 1);
  const s = i64x2.replace_lane(i64x2.splat(bswap<u64>(Y1)), 1, bswap<u64>(Y0));
  Y1 = 0;
  Y0 = 0;
  return s;
}
