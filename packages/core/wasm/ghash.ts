/**
 * GHASH (NIST SP 800-38D §6.4) with per-key 4-bit tables, one table per nibble position.
 *
 * GHASH multiplies by the fixed hash subkey H in GF(2^128). Multiplication by H is GF(2)-linear,
 * so X·H = ⊕_j (nibble_j(X) · x^{4j})·H: for each of the 32 nibble positions j we precompute the
 * 16 possible products T_j[n] (8 KiB per key, built once in `initTable`). One block then costs 32
 * table loads and XORs, with no shifting and no reduction at run time.
 *
 * NOT constant-time: the table index is Y ⊕ C, which depends on H, so cache timing can leak
 * information about H. This is the same class of leak as the table-based GHASH in
 * @noble/ciphers; DESIGN.md accepts table timing because it only matters while the database is
 * unlocked (an attacker who can time our worker then already has code next to the key).
 *
 * Bit order (SP 800-38D §6.3): bit 0 of a block is the MSB of byte 0 and is the coefficient of
 * x^0. Held as two big-endian u64 halves (hi = bytes 0..7), "multiply by x" is a right shift
 * with reduction R = 0xe1 ‖ 0^120 (Algorithm 1, step 3).
 */
import { PAD_PTR } from './layout';

const R_HI: u64 = 0xe100000000000000;

/**
 * Builds the 32 × 16 table for H (16 bytes at `h`) at `tbl`.
 * T_j[n] (at tbl + 256j + 16n) = ⊕ over set bits of n of H·x^{4j+b}, where bit (3 - b) of n
 * is the coefficient of x^{4j+b} — the high nibble of byte i is position j = 2i.
 */
export function initTable(tbl: u32, h: u32): void {
  let hi = bswap<u64>(load<u64>(h, 0)), lo = bswap<u64>(load<u64>(h, 8));
  for (let j: u32 = 0; j < 32; j++) {
    const row = tbl + j * 256;
    // Basis entries: n = 8, 4, 2, 1 ↔ H·x^{4j}, H·x^{4j+1}, H·x^{4j+2}, H·x^{4j+3}.
    for (let b: u32 = 0; b < 4; b++) {
      const e = row + (8 >> b) * 16;
      store<u64>(e, bswap<u64>(hi), 0);
      store<u64>(e, bswap<u64>(lo), 8);
      // V ← V·x (Algorithm 1: shift right; if the dropped bit was 1, XOR R). Branch-free.
      const carry = lo & 1;
      lo = (lo >> 1) | (hi << 63);
      hi = (hi >> 1) ^ (R_HI & (0 - carry));
    }
    // Other entries are XORs of the basis (linearity).
    v128.store(row, i64x2.splat(0));
    for (let n: u32 = 3; n < 16; n++) {
      if ((n & (n - 1)) == 0) continue; // a basis entry
      const low = n & (0 - n); // lowest set bit
      v128.store(row + n * 16, v128.xor(v128.load(row + low * 16), v128.load(row + (n ^ low) * 16)));
    }
  }
}

/** XOR of the two table entries addressed by byte `i` (0..7) of `w` (bytes i of one half). */
// @ts-ignore: decorator
@inline function lookupByte(acc: v128, tbl: u32, w: u64, i: u32): v128 {
  const byte = <u32>(w >> (i * 8)) & 0xff;
  const base = tbl + i * 512;
  acc = v128.xor(acc, v128.load(base + (byte & 0xf0))); // high nibble: position 2i
  return v128.xor(acc, v128.load(base + 256 + ((byte & 0x0f) << 4))); // low nibble: 2i + 1
}

/** Y·H for one block held in a v128 (byte 0 of the block in lane byte 0). */
// @ts-ignore: decorator
@inline function mulH(tbl: u32, y: v128): v128 {
  const w0 = <u64>i64x2.extract_lane(y, 0); // block bytes 0..7 (little-endian lane)
  const w1 = <u64>i64x2.extract_lane(y, 1); // block bytes 8..15
  let a = i64x2.splat(0);
  a = lookupByte(a, tbl, w0, 0); a = lookupByte(a, tbl, w0, 1);
  a = lookupByte(a, tbl, w0, 2); a = lookupByte(a, tbl, w0, 3);
  a = lookupByte(a, tbl, w0, 4); a = lookupByte(a, tbl, w0, 5);
  a = lookupByte(a, tbl, w0, 6); a = lookupByte(a, tbl, w0, 7);
  const t1 = tbl + 4096;
  a = lookupByte(a, t1, w1, 0); a = lookupByte(a, t1, w1, 1);
  a = lookupByte(a, t1, w1, 2); a = lookupByte(a, t1, w1, 3);
  a = lookupByte(a, t1, w1, 4); a = lookupByte(a, t1, w1, 5);
  a = lookupByte(a, t1, w1, 6); a = lookupByte(a, t1, w1, 7);
  return a;
}

/**
 * Absorbs `len` bytes at `p` into the GHASH state `y` (§6.4: Y_i = (Y_{i-1} ⊕ X_i)·H). A final
 * partial block is zero-padded, as GCM pads A and C to whole blocks (§7.1 step 5).
 */
export function ghashUpdate(tbl: u32, y: v128, p: u32, len: u32): v128 {
  const end = p + (len & ~15);
  for (; p < end; p += 16) y = mulH(tbl, v128.xor(y, v128.load(p)));
  const rest = len & 15;
  if (rest != 0) {
    v128.store(PAD_PTR, i64x2.splat(0));
    memory.copy(PAD_PTR, p, rest);
    y = mulH(tbl, v128.xor(y, v128.load(PAD_PTR)));
  }
  return y;
}

/** Final GHASH block: [len(A)]_64 ‖ [len(C)]_64 in bits, big-endian (§7.1 step 5). */
export function ghashLengths(tbl: u32, y: v128, aadLen: u32, len: u32): v128 {
  const l = i64x2.replace_lane(i64x2.splat(bswap<u64>(<u64>aadLen << 3)), 1, bswap<u64>(<u64>len << 3));
  return mulH(tbl, v128.xor(y, l));
}
