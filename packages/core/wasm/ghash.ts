/**
 * GHASH (NIST SP 800-38D §6.4), constant-time: carry-less multiplication built from integer
 * multiplication "with holes", Karatsuba, and a shift-based reduction. No table, no branch and
 * no memory address depends on H or on the data.
 *
 * Carry-less 32×32 → 64 product: split a and b into 4 parts that keep every 4th bit
 * (a & 0x11111111, a & 0x22222222, ...). An integer product of two such parts has, at each bit
 * position, a count of at most 8 partial products, which fits in the 4-bit gap before the next
 * used position — so no carry ever reaches a bit we read. XORing the 4 products that land on the
 * same position class (mod 4) and masking gives the carry-less result (16 i64.mul). WebAssembly
 * has no carry-less multiply instruction, and i64.mul runs in fixed time on current CPUs.
 * 128×128 uses two Karatsuba levels (9 such products); H's 9 operands are split once per key
 * (initGhashKey: 9 × 4 parts × 8 bytes = layout.GHASH_KEY_SIZE).
 *
 * Representation (§6.3): bit 0 of a block (MSB of byte 0) is the coefficient of x^0. A block read
 * as a big-endian 128-bit integer V is the bit-reversal of its polynomial, so the integer
 * carry-less product of two such values, shifted left by 1, is the reversed 256-bit product:
 * its high 128 bits hold coefficients 0..127, its low 128 bits (D) coefficients 128..255.
 * Reduction by x^128 = x^7 + x^2 + x + 1: in reversed form "multiply by x^k" is a right shift by
 * k, so R = High ⊕ D ⊕ D>>1 ⊕ D>>2 ⊕ D>>7, plus the few bits shifted out below position 0
 * (F = D<<127 ⊕ D<<126 ⊕ D<<121), folded the same way once more.
 */

const M0: u64 = 0x1111111111111111;
const M1: u64 = 0x2222222222222222;
const M2: u64 = 0x4444444444444444;
const M3: u64 = 0x8888888888888888;

/** GHASH state Y as big-endian halves (Y1 = block bytes 0..7). */
let Y1: u64 = 0;
let Y0: u64 = 0;

/**
 * Precomputes, for H (16 bytes at `h`), the 9 Karatsuba operands of 32 bits — for each of
 * H1 (bytes 0..7), H0 (bytes 8..15) and H1 ⊕ H0: its high half, low half and their XOR — each
 * stored as its 4 hole-masked parts.
 */
export function initGhashKey(tbl: u32, h: u32): void {
  const h1 = bswap<u64>(load<u64>(h, 0)), h0 = bswap<u64>(load<u64>(h, 8));
  splitOperands(tbl, h1);
  splitOperands(tbl + 96, h0);
  splitOperands(tbl + 192, h1 ^ h0);
}

function splitOperands(p: u32, v: u64): void {
  const hi = v >> 32, lo = v & 0xffffffff;
  splitOperand(p, hi);
  splitOperand(p + 32, lo);
  splitOperand(p + 64, hi ^ lo);
}

function splitOperand(p: u32, b: u64): void {
  store<u64>(p, b & 0x11111111, 0);
  store<u64>(p, b & 0x22222222, 8);
  store<u64>(p, b & 0x44444444, 16);
  store<u64>(p, b & 0x88888888, 24);
}

/** Carry-less product of the 32-bit `a` and the pre-split operand at `t` (64-bit result). */
// @ts-ignore: decorator
@inline function clmul32(a: u64, t: u32): u64 {
  const a0 = a & 0x11111111, a1 = a & 0x22222222, a2 = a & 0x44444444, a3 = a & 0x88888888;
  const b0 = load<u64>(t, 0), b1 = load<u64>(t, 8), b2 = load<u64>(t, 16), b3 = load<u64>(t, 24);
  const z0 = (a0 * b0) ^ (a1 * b3) ^ (a2 * b2) ^ (a3 * b1); // bit positions ≡ 0 (mod 4)
  const z1 = (a0 * b1) ^ (a1 * b0) ^ (a2 * b3) ^ (a3 * b2); // ≡ 1
  const z2 = (a0 * b2) ^ (a1 * b1) ^ (a2 * b0) ^ (a3 * b3); // ≡ 2
  const z3 = (a0 * b3) ^ (a1 * b2) ^ (a2 * b1) ^ (a3 * b0); // ≡ 3
  return (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3);
}

/**
 * Y ← (Y ⊕ X_i)·H for `n` whole blocks at `p` (§6.4 step 4: Y_i = (Y_{i-1} ⊕ X_i)·H).
 */
function absorbBlocks(tbl: u32, p: u32, n: u32): void {
  let y1 = Y1, y0 = Y0;
  const tH1 = tbl, tH0 = tbl + 96, tHM = tbl + 192;
  for (let i: u32 = 0; i < n; i++, p += 16) {
    const x1 = y1 ^ bswap<u64>(load<u64>(p, 0));
    const x0 = y0 ^ bswap<u64>(load<u64>(p, 8));
    const xm = x1 ^ x0;
    // Karatsuba, 64-bit level: A = X1·H1, B = X0·H0, C = (X1⊕X0)·(H1⊕H0); each 64×64 product is
    // itself Karatsuba over 32-bit halves: hi, lo, (hi⊕lo) products.
    let u1 = x1 >> 32, u0 = x1 & 0xffffffff;
    let hh = clmul32(u1, tH1), ll = clmul32(u0, tH1 + 32);
    let mm = clmul32(u1 ^ u0, tH1 + 64) ^ hh ^ ll;
    const a1 = hh ^ (mm >> 32), a0 = ll ^ (mm << 32);
    u1 = x0 >> 32; u0 = x0 & 0xffffffff;
    hh = clmul32(u1, tH0); ll = clmul32(u0, tH0 + 32);
    mm = clmul32(u1 ^ u0, tH0 + 64) ^ hh ^ ll;
    const b1 = hh ^ (mm >> 32), b0 = ll ^ (mm << 32);
    u1 = xm >> 32; u0 = xm & 0xffffffff;
    hh = clmul32(u1, tHM); ll = clmul32(u0, tHM + 32);
    mm = clmul32(u1 ^ u0, tHM + 64) ^ hh ^ ll;
    const m1 = hh ^ (mm >> 32) ^ a1 ^ b1, m0 = ll ^ (mm << 32) ^ a0 ^ b0;
    // 255-bit product P = A·2^128 ⊕ M·2^64 ⊕ B, then Q = P << 1 (reversed 256-bit product).
    const p3 = a1, p2 = a0 ^ m1, p1 = b1 ^ m0, p0 = b0;
    const q3 = (p3 << 1) | (p2 >> 63), q2 = (p2 << 1) | (p1 >> 63);
    const d1 = (p1 << 1) | (p0 >> 63), d0 = p0 << 1;
    // Reduction (see the file comment): bits of D that fall below position 0 when shifted.
    const f1 = (d0 << 63) ^ (d0 << 62) ^ (d0 << 57);
    y1 = q3 ^ d1 ^ (d1 >> 1) ^ (d1 >> 2) ^ (d1 >> 7) ^ f1 ^ (f1 >> 1) ^ (f1 >> 2) ^ (f1 >> 7);
    y0 = q2 ^ d0 ^ ((d0 >> 1) | (d1 << 63)) ^ ((d0 >> 2) | (d1 << 62)) ^ ((d0 >> 7) | (d1 << 57));
  }
  Y1 = y1;
  Y0 = y0;
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
