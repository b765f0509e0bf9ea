/**
 * Bitsliced AES-256 encryption (FIPS-197) over WebAssembly SIMD, 8 blocks at a time.
 *
 * Why bitsliced: a table-based AES (T-tables, as in most pure-JS ports) indexes memory with
 * secret bytes, so its timing leaks through the cache. Here the 8 blocks (128 bytes) are
 * transposed into 8 "bit-planes" of 128 bits: plane i holds bit i of every byte. The S-box then is
 * a fixed Boolean circuit of XOR/AND on whole planes (Boyar–Peralta, 128 gates, checked on all
 * 256 inputs by scripts/gen-aes-sbox.mjs), ShiftRows is folded away by fixslicing and
 * MixColumns is constant byte shuffles (i8x16.swizzle with constant indices, i.e. one pshufb)
 * and XORs, so no branch and no memory address depends on key or data: the cipher is
 * constant-time. The only branches depend on the public round number and call flags.
 * CTR mode (GCM) only ever needs the forward cipher, so there is no decryption here.
 *
 * Plane layout after `transpose8`: plane i, byte lane p, bit k = bit i of byte p of block k.
 * Byte p of a block is state byte s[r][c] with p = r + 4c (FIPS-197 §3.4).
 */
import { KEY_PTR, WORK_PTR } from './layout';

/** The S-box circuit omits the affine constant; it is folded into round keys 1..14 instead. */
const SBOX_CONST: u32 = 0x63636363;

/**
 * In-place 8×8 bit transpose of each byte position across the 8 blocks at `p` (128 bytes):
 * afterwards block k bit i ↔ plane i bit k. Three SWAPMOVE layers exchange the off-diagonal
 * 1×1, 2×2 and 4×4 sub-blocks; a transpose is its own inverse, so this also un-bitslices.
 */
export function transpose8(p: u32): void {
  let r0 = v128.load(p, 0), r1 = v128.load(p, 16), r2 = v128.load(p, 32), r3 = v128.load(p, 48);
  let r4 = v128.load(p, 64), r5 = v128.load(p, 80), r6 = v128.load(p, 96), r7 = v128.load(p, 112);
  const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
  let t: v128;
  // SWAPMOVE(a, b, n, m): t = ((a >> n) ^ b) & m; b ^= t; a ^= t << n.
  // Shifts are per 64-bit lane; the masks drop the bits that crossed a byte boundary.
  t = v128.and(v128.xor(i64x2.shr_u(r0, 1), r1), m1); r1 = v128.xor(r1, t); r0 = v128.xor(r0, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(r2, 1), r3), m1); r3 = v128.xor(r3, t); r2 = v128.xor(r2, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(r4, 1), r5), m1); r5 = v128.xor(r5, t); r4 = v128.xor(r4, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(r6, 1), r7), m1); r7 = v128.xor(r7, t); r6 = v128.xor(r6, i64x2.shl(t, 1));
  t = v128.and(v128.xor(i64x2.shr_u(r0, 2), r2), m2); r2 = v128.xor(r2, t); r0 = v128.xor(r0, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(r1, 2), r3), m2); r3 = v128.xor(r3, t); r1 = v128.xor(r1, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(r4, 2), r6), m2); r6 = v128.xor(r6, t); r4 = v128.xor(r4, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(r5, 2), r7), m2); r7 = v128.xor(r7, t); r5 = v128.xor(r5, i64x2.shl(t, 2));
  t = v128.and(v128.xor(i64x2.shr_u(r0, 4), r4), m4); r4 = v128.xor(r4, t); r0 = v128.xor(r0, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(r1, 4), r5), m4); r5 = v128.xor(r5, t); r1 = v128.xor(r1, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(r2, 4), r6), m4); r6 = v128.xor(r6, t); r2 = v128.xor(r2, i64x2.shl(t, 4));
  t = v128.and(v128.xor(i64x2.shr_u(r3, 4), r7), m4); r7 = v128.xor(r7, t); r3 = v128.xor(r3, i64x2.shl(t, 4));
  v128.store(p, r0, 0); v128.store(p, r1, 16); v128.store(p, r2, 32); v128.store(p, r3, 48);
  v128.store(p, r4, 64); v128.store(p, r5, 80); v128.store(p, r6, 96); v128.store(p, r7, 112);
}

/** SubBytes without the affine constant on the 8 planes at `p` (key schedule only). */
function subBytesPlanes(p: u32): void {
  let s0 = v128.load(p, 0), s1 = v128.load(p, 16), s2 = v128.load(p, 32), s3 = v128.load(p, 48);
  let s4 = v128.load(p, 64), s5 = v128.load(p, 80), s6 = v128.load(p, 96), s7 = v128.load(p, 112);
  {
    // BEGIN GENERATED S-BOX (scripts/gen-aes-sbox.mjs)
      // 128 gates (34 AND, 94 XOR): Boyar–Peralta depth-16 circuit, XNORs as XOR.
      // Computes s ← S(s) ⊕ 0x63 on the 8 bit-planes s0..s7 (bit i of every byte in plane i).
      const t0 = v128.xor(s7, s4);
      const t1 = v128.xor(s7, s2);
      const t2 = v128.xor(s7, s1);
      const t3 = v128.xor(s4, s2);
      const t4 = v128.xor(s3, s1);
      const t5 = v128.xor(t0, t4);
      const t6 = v128.xor(s6, s5);
      const t7 = v128.xor(s0, t5);
      const t8 = v128.xor(s0, t6);
      const t9 = v128.xor(t5, t6);
      const t10 = v128.xor(s6, s2);
      const t11 = v128.xor(s5, s2);
      const t12 = v128.xor(t2, t3);
      const t13 = v128.xor(t5, t10);
      const t14 = v128.xor(t4, t10);
      const t15 = v128.xor(t4, t11);
      const t16 = v128.xor(t8, t15);
      const t17 = v128.xor(s4, s0);
      const t18 = v128.xor(t6, t17);
      const t19 = v128.xor(t0, t18);
      const t20 = v128.xor(s1, s0);
      const t21 = v128.xor(t6, t20);
      const t22 = v128.xor(t1, t21);
      const t23 = v128.xor(t1, t9);
      const t24 = v128.xor(t19, t16);
      const t25 = v128.xor(t2, t15);
      const t26 = v128.xor(t0, t11);
      const t27 = v128.and(t12, t5);
      const t28 = v128.and(t22, t7);
      const t29 = v128.xor(t13, t27);
      const t30 = v128.and(t18, s0);
      const t31 = v128.xor(t30, t27);
      const t32 = v128.and(t2, t15);
      const t33 = v128.and(t21, t8);
      const t34 = v128.xor(t25, t32);
      const t35 = v128.and(t19, t16);
      const t36 = v128.xor(t35, t32);
      const t37 = v128.and(t0, t14);
      const t38 = v128.and(t3, t26);
      const t39 = v128.xor(t38, t37);
      const t40 = v128.and(t1, t9);
      const t41 = v128.xor(t40, t37);
      const t42 = v128.xor(t29, t28);
      const t43 = v128.xor(t31, t23);
      const t44 = v128.xor(t34, t33);
      const t45 = v128.xor(t36, t41);
      const t46 = v128.xor(t42, t39);
      const t47 = v128.xor(t43, t41);
      const t48 = v128.xor(t44, t39);
      const t49 = v128.xor(t45, t24);
      const t50 = v128.xor(t48, t49);
      const t51 = v128.and(t48, t46);
      const t52 = v128.xor(t47, t51);
      const t53 = v128.xor(t46, t47);
      const t54 = v128.xor(t49, t51);
      const t55 = v128.and(t54, t53);
      const t56 = v128.and(t52, t50);
      const t57 = v128.and(t46, t49);
      const t58 = v128.and(t53, t57);
      const t59 = v128.xor(t53, t51);
      const t60 = v128.and(t47, t48);
      const t61 = v128.and(t50, t60);
      const t62 = v128.xor(t50, t51);
      const t63 = v128.xor(t47, t55);
      const t64 = v128.xor(t58, t59);
      const t65 = v128.xor(t49, t56);
      const t66 = v128.xor(t61, t62);
      const t67 = v128.xor(t64, t66);
      const t68 = v128.xor(t63, t65);
      const t69 = v128.xor(t63, t64);
      const t70 = v128.xor(t65, t66);
      const t71 = v128.xor(t68, t67);
      const t72 = v128.and(t70, t5);
      const t73 = v128.and(t66, t7);
      const t74 = v128.and(t65, s0);
      const t75 = v128.and(t69, t15);
      const t76 = v128.and(t64, t8);
      const t77 = v128.and(t63, t16);
      const t78 = v128.and(t68, t14);
      const t79 = v128.and(t71, t26);
      const t80 = v128.and(t67, t9);
      const t81 = v128.and(t70, t12);
      const t82 = v128.and(t66, t22);
      const t83 = v128.and(t65, t18);
      const t84 = v128.and(t69, t2);
      const t85 = v128.and(t64, t21);
      const t86 = v128.and(t63, t19);
      const t87 = v128.and(t68, t0);
      const t88 = v128.and(t71, t3);
      const t89 = v128.and(t67, t1);
      const t90 = v128.xor(t87, t88);
      const t91 = v128.xor(t76, t82);
      const t92 = v128.xor(t72, t74);
      const t93 = v128.xor(t73, t81);
      const t94 = v128.xor(t80, t84);
      const t95 = v128.xor(t75, t87);
      const t96 = v128.xor(t88, t95);
      const t97 = v128.xor(t72, t93);
      const t98 = v128.xor(t77, t85);
      const t99 = v128.xor(t78, t79);
      const t100 = v128.xor(t79, t94);
      const t101 = v128.xor(t86, t92);
      const t102 = v128.xor(t74, t77);
      const t103 = v128.xor(t76, t90);
      const t104 = v128.xor(t78, t87);
      const t105 = v128.xor(t81, t91);
      const t106 = v128.xor(t82, t90);
      const t107 = v128.xor(t83, t91);
      const t108 = v128.xor(t84, t98);
      const t109 = v128.xor(t89, t94);
      const t110 = v128.xor(t90, t91);
      const t111 = v128.xor(t91, t97);
      const t112 = v128.xor(t93, t102);
      const t113 = v128.xor(t108, t92);
      const t114 = v128.xor(t105, t99);
      const t115 = v128.xor(t96, t100);
      const t116 = v128.xor(t97, t99);
      const t117 = v128.xor(t98, t100);
      const t118 = v128.xor(t101, t104);
      const t119 = v128.xor(t101, t107);
      const t120 = v128.xor(t96, t114);
      const t121 = v128.xor(t106, t116);
      const t122 = v128.xor(t109, t118);
      const t123 = v128.xor(t96, t111);
      const t124 = v128.xor(t110, t112);
      const t125 = v128.xor(t115, t119);
      const t126 = v128.xor(t103, t117);
      const t127 = v128.xor(t96, t113);
      s0 = t127;
      s1 = t126;
      s2 = t125;
      s3 = t124;
      s4 = t123;
      s5 = t122;
      s6 = t121;
      s7 = t120;
    // END GENERATED S-BOX
  }
  v128.store(p, s0, 0); v128.store(p, s1, 16); v128.store(p, s2, 32); v128.store(p, s3, 48);
  v128.store(p, s4, 64); v128.store(p, s5, 80); v128.store(p, s6, 96); v128.store(p, s7, 112);
}

/** SubWord (FIPS-197 §5.2), constant-time: the word is pushed through the bitsliced circuit. */
function subWord(w: u32): u32 {
  memory.fill(WORK_PTR, 0, 128);
  store<u32>(WORK_PTR, w);
  transpose8(WORK_PTR);
  subBytesPlanes(WORK_PTR);
  transpose8(WORK_PTR);
  const r = load<u32>(WORK_PTR) ^ SBOX_CONST;
  memory.fill(WORK_PTR, 0, 128);
  return r;
}

/**
 * AES-256 key expansion (FIPS-197 §5.2, Nk = 8, Nr = 14) of the 32 bytes at KEY_PTR into 15
 * bitsliced round keys at `rk` (8 planes × 16 bytes each), each stored with its bytes permuted into
 * the fixsliced representation G[r] in which aesRounds adds it. Words are little-endian u32 of the
 * key bytes, so RotWord([a0,a1,a2,a3]) = rotr(w, 8) and Rcon XORs into the low byte.
 * Round keys 1..14 also carry the S-box constant 0x63 (see SBOX_CONST): MixColumns maps a
 * column of equal bytes c to c (2⊕3⊕1⊕1 = 1), so adding 0x63 after each S-box equals adding
 * it to the next round key.
 */
export function expandKey(rk: u32): void {
  let rcon: u32 = 1;
  // w0..w7 is a sliding window over w[8j .. 8j+7]; each round key is bitsliced as soon as it
  // is known, so the plain schedule never sits in memory.
  let w0 = load<u32>(KEY_PTR, 0), w1 = load<u32>(KEY_PTR, 4), w2 = load<u32>(KEY_PTR, 8), w3 = load<u32>(KEY_PTR, 12);
  let w4 = load<u32>(KEY_PTR, 16), w5 = load<u32>(KEY_PTR, 20), w6 = load<u32>(KEY_PTR, 24), w7 = load<u32>(KEY_PTR, 28);
  for (let r: u32 = 0; r < 15; r++) {
    // Round key r = w[4r .. 4r+3]; even rounds take the first half of the 8-word window.
    let k0: u32, k1: u32, k2: u32, k3: u32;
    if ((r & 1) == 0) {
      k0 = w0; k1 = w1; k2 = w2; k3 = w3;
    } else {
      k0 = w4; k1 = w5; k2 = w6; k3 = w7;
      // Advance the window by 8 words (i = 8j .. 8j+7).
      if (r < 14) {
        w0 ^= rotr<u32>(subWord(w7), 8) ^ rcon; // i ≡ 0 mod Nk: SubWord(RotWord(temp)) ⊕ Rcon
        rcon <<= 1;
        w1 ^= w0; w2 ^= w1; w3 ^= w2;
        w4 ^= subWord(w3); // i ≡ 4 mod Nk (Nk > 6): SubWord(temp)
        w5 ^= w4; w6 ^= w5; w7 ^= w6;
      }
    }
    const c: u32 = r == 0 ? 0 : SBOX_CONST;
    // Replicate the round key into all 8 blocks, then bitslice.
    const dst = rk + r * 128;
    for (let b: u32 = 0; b < 8; b++) {
      store<u32>(dst + b * 16, k0 ^ c, 0); store<u32>(dst + b * 16, k1 ^ c, 4);
      store<u32>(dst + b * 16, k2 ^ c, 8); store<u32>(dst + b * 16, k3 ^ c, 12);
    }
    transpose8(dst);
    // Fixslicing: round key r is added to a state held in byte order G[r] (see aesRounds):
    // F[3] for r = 0, F[(r - 1) mod 4] after.
    permutePlanes(dst, (r + 3) & 3);
  }
}

/** Reorders the bytes of the 8 planes at `p` into representation F[v] (v public: round number). */
function permutePlanes(p: u32, v: u32): void {
  for (let i: u32 = 0; i < 128; i += 16) {
    const a = v128.load(p + i);
    let b = a;
    if (v == 1) b = i8x16.shuffle(a, a, 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3);
    else if (v == 2) b = i8x16.shuffle(a, a, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 5, 14, 7);
    else if (v == 3) b = i8x16.shuffle(a, a, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
    v128.store(p + i, b);
  }
}

/**
 * AES-256 rounds `from`..`to` (FIPS-197 §5.1 Cipher()) on the 8 blocks at `src`; the 8 output
 * blocks go to `dst`, or, if `xorInto` is set, are XORed into the 128 bytes at `dst` (CTR
 * keystream applied straight from registers). `src` and `dst` may alias. The state stays in
 * registers from load to store: no scratch memory is touched. Uses, all with public flags:
 *   from = 1, to = 14: the whole cipher (AddRoundKey, 13 × (SubBytes, ShiftRows, MixColumns,
 *                      AddRoundKey), then SubBytes, ShiftRows, AddRoundKey);
 *   from = 1, to = 1:  AddRoundKey 0 and round 1 only (round-1 caching for CTR, see gcm.ts);
 *   from = 2, to = 14: rounds 2..14 on blocks that already are round-1 outputs.
 *
 * Fixslicing (Adomnicai & Peyrin, TCHES 2021), byte-shuffle flavour: ShiftRows is never
 * computed. After round r ≥ 1 the registers hold the state with its bytes permuted by
 * G[r] = F[(r - 1) mod 4] (held byte p = true byte F[j][p]; F[j] = ShiftRows⁻ʲ, see the maps
 * below), and before round 1 by G[0] = F[3]: SubBytes followed by "ShiftRows" is then just a
 * relabelling from G[r - 1] to G[r]. MixColumns' row rotations are conjugated by G[r] (still
 * one constant byte shuffle each, mcRot*), the round keys are stored pre-permuted by expandKey,
 * and the state enters (round 0) and leaves (round 14, G[14] = F[1]) with one constant shuffle
 * per plane. Round 1 output is in natural byte order (G[1] = F[0]), which is what makes round-1
 * caching cheap. Every shuffle index is a compile-time constant and the only branches depend on
 * the public round number and flags, so the code stays constant-time.
 */
export function aesRounds(rk: u32, src: u32, dst: u32, xorInto: bool, from: u32, to: u32): void {
  let s0 = v128.load(src, 0), s1 = v128.load(src, 16), s2 = v128.load(src, 32), s3 = v128.load(src, 48);
  let s4 = v128.load(src, 64), s5 = v128.load(src, 80), s6 = v128.load(src, 96), s7 = v128.load(src, 112);
  {
    // Bitslice (same SWAPMOVE network as transpose8, in registers).
    const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
    let t: v128;
    t = v128.and(v128.xor(i64x2.shr_u(s0, 1), s1), m1); s1 = v128.xor(s1, t); s0 = v128.xor(s0, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s2, 1), s3), m1); s3 = v128.xor(s3, t); s2 = v128.xor(s2, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s4, 1), s5), m1); s5 = v128.xor(s5, t); s4 = v128.xor(s4, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s6, 1), s7), m1); s7 = v128.xor(s7, t); s6 = v128.xor(s6, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s0, 2), s2), m2); s2 = v128.xor(s2, t); s0 = v128.xor(s0, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s1, 2), s3), m2); s3 = v128.xor(s3, t); s1 = v128.xor(s1, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s4, 2), s6), m2); s6 = v128.xor(s6, t); s4 = v128.xor(s4, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s5, 2), s7), m2); s7 = v128.xor(s7, t); s5 = v128.xor(s5, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s0, 4), s4), m4); s4 = v128.xor(s4, t); s0 = v128.xor(s0, i64x2.shl(t, 4));
    t = v128.and(v128.xor(i64x2.shr_u(s1, 4), s5), m4); s5 = v128.xor(s5, t); s1 = v128.xor(s1, i64x2.shl(t, 4));
    t = v128.and(v128.xor(i64x2.shr_u(s2, 4), s6), m4); s6 = v128.xor(s6, t); s2 = v128.xor(s2, i64x2.shl(t, 4));
    t = v128.and(v128.xor(i64x2.shr_u(s3, 4), s7), m4); s7 = v128.xor(s7, t); s3 = v128.xor(s3, i64x2.shl(t, 4));
  }
  if (from == 1) {
    // Into representation G[0] = F[3], then AddRoundKey with round key 0.
    s0 = permSR(s0); s1 = permSR(s1); s2 = permSR(s2); s3 = permSR(s3);
    s4 = permSR(s4); s5 = permSR(s5); s6 = permSR(s6); s7 = permSR(s7);
    s0 = v128.xor(s0, v128.load(rk, 0)); s1 = v128.xor(s1, v128.load(rk, 16));
    s2 = v128.xor(s2, v128.load(rk, 32)); s3 = v128.xor(s3, v128.load(rk, 48));
    s4 = v128.xor(s4, v128.load(rk, 64)); s5 = v128.xor(s5, v128.load(rk, 80));
    s6 = v128.xor(s6, v128.load(rk, 96)); s7 = v128.xor(s7, v128.load(rk, 112));
  }
  for (let r: u32 = from; r <= to; r++) {
    {
      // BEGIN GENERATED S-BOX (scripts/gen-aes-sbox.mjs)
      // 128 gates (34 AND, 94 XOR): Boyar–Peralta depth-16 circuit, XNORs as XOR.
      // Computes s ← S(s) ⊕ 0x63 on the 8 bit-planes s0..s7 (bit i of every byte in plane i).
      const t0 = v128.xor(s7, s4);
      const t1 = v128.xor(s7, s2);
      const t2 = v128.xor(s7, s1);
      const t3 = v128.xor(s4, s2);
      const t4 = v128.xor(s3, s1);
      const t5 = v128.xor(t0, t4);
      const t6 = v128.xor(s6, s5);
      const t7 = v128.xor(s0, t5);
      const t8 = v128.xor(s0, t6);
      const t9 = v128.xor(t5, t6);
      const t10 = v128.xor(s6, s2);
      const t11 = v128.xor(s5, s2);
      const t12 = v128.xor(t2, t3);
      const t13 = v128.xor(t5, t10);
      const t14 = v128.xor(t4, t10);
      const t15 = v128.xor(t4, t11);
      const t16 = v128.xor(t8, t15);
      const t17 = v128.xor(s4, s0);
      const t18 = v128.xor(t6, t17);
      const t19 = v128.xor(t0, t18);
      const t20 = v128.xor(s1, s0);
      const t21 = v128.xor(t6, t20);
      const t22 = v128.xor(t1, t21);
      const t23 = v128.xor(t1, t9);
      const t24 = v128.xor(t19, t16);
      const t25 = v128.xor(t2, t15);
      const t26 = v128.xor(t0, t11);
      const t27 = v128.and(t12, t5);
      const t28 = v128.and(t22, t7);
      const t29 = v128.xor(t13, t27);
      const t30 = v128.and(t18, s0);
      const t31 = v128.xor(t30, t27);
      const t32 = v128.and(t2, t15);
      const t33 = v128.and(t21, t8);
      const t34 = v128.xor(t25, t32);
      const t35 = v128.and(t19, t16);
      const t36 = v128.xor(t35, t32);
      const t37 = v128.and(t0, t14);
      const t38 = v128.and(t3, t26);
      const t39 = v128.xor(t38, t37);
      const t40 = v128.and(t1, t9);
      const t41 = v128.xor(t40, t37);
      const t42 = v128.xor(t29, t28);
      const t43 = v128.xor(t31, t23);
      const t44 = v128.xor(t34, t33);
      const t45 = v128.xor(t36, t41);
      const t46 = v128.xor(t42, t39);
      const t47 = v128.xor(t43, t41);
      const t48 = v128.xor(t44, t39);
      const t49 = v128.xor(t45, t24);
      const t50 = v128.xor(t48, t49);
      const t51 = v128.and(t48, t46);
      const t52 = v128.xor(t47, t51);
      const t53 = v128.xor(t46, t47);
      const t54 = v128.xor(t49, t51);
      const t55 = v128.and(t54, t53);
      const t56 = v128.and(t52, t50);
      const t57 = v128.and(t46, t49);
      const t58 = v128.and(t53, t57);
      const t59 = v128.xor(t53, t51);
      const t60 = v128.and(t47, t48);
      const t61 = v128.and(t50, t60);
      const t62 = v128.xor(t50, t51);
      const t63 = v128.xor(t47, t55);
      const t64 = v128.xor(t58, t59);
      const t65 = v128.xor(t49, t56);
      const t66 = v128.xor(t61, t62);
      const t67 = v128.xor(t64, t66);
      const t68 = v128.xor(t63, t65);
      const t69 = v128.xor(t63, t64);
      const t70 = v128.xor(t65, t66);
      const t71 = v128.xor(t68, t67);
      const t72 = v128.and(t70, t5);
      const t73 = v128.and(t66, t7);
      const t74 = v128.and(t65, s0);
      const t75 = v128.and(t69, t15);
      const t76 = v128.and(t64, t8);
      const t77 = v128.and(t63, t16);
      const t78 = v128.and(t68, t14);
      const t79 = v128.and(t71, t26);
      const t80 = v128.and(t67, t9);
      const t81 = v128.and(t70, t12);
      const t82 = v128.and(t66, t22);
      const t83 = v128.and(t65, t18);
      const t84 = v128.and(t69, t2);
      const t85 = v128.and(t64, t21);
      const t86 = v128.and(t63, t19);
      const t87 = v128.and(t68, t0);
      const t88 = v128.and(t71, t3);
      const t89 = v128.and(t67, t1);
      const t90 = v128.xor(t87, t88);
      const t91 = v128.xor(t76, t82);
      const t92 = v128.xor(t72, t74);
      const t93 = v128.xor(t73, t81);
      const t94 = v128.xor(t80, t84);
      const t95 = v128.xor(t75, t87);
      const t96 = v128.xor(t88, t95);
      const t97 = v128.xor(t72, t93);
      const t98 = v128.xor(t77, t85);
      const t99 = v128.xor(t78, t79);
      const t100 = v128.xor(t79, t94);
      const t101 = v128.xor(t86, t92);
      const t102 = v128.xor(t74, t77);
      const t103 = v128.xor(t76, t90);
      const t104 = v128.xor(t78, t87);
      const t105 = v128.xor(t81, t91);
      const t106 = v128.xor(t82, t90);
      const t107 = v128.xor(t83, t91);
      const t108 = v128.xor(t84, t98);
      const t109 = v128.xor(t89, t94);
      const t110 = v128.xor(t90, t91);
      const t111 = v128.xor(t91, t97);
      const t112 = v128.xor(t93, t102);
      const t113 = v128.xor(t108, t92);
      const t114 = v128.xor(t105, t99);
      const t115 = v128.xor(t96, t100);
      const t116 = v128.xor(t97, t99);
      const t117 = v128.xor(t98, t100);
      const t118 = v128.xor(t101, t104);
      const t119 = v128.xor(t101, t107);
      const t120 = v128.xor(t96, t114);
      const t121 = v128.xor(t106, t116);
      const t122 = v128.xor(t109, t118);
      const t123 = v128.xor(t96, t111);
      const t124 = v128.xor(t110, t112);
      const t125 = v128.xor(t115, t119);
      const t126 = v128.xor(t103, t117);
      const t127 = v128.xor(t96, t113);
      s0 = t127;
      s1 = t126;
      s2 = t125;
      s3 = t124;
      s4 = t123;
      s5 = t122;
      s6 = t121;
      s7 = t120;
      // END GENERATED S-BOX
    }
    const k = rk + r * 128;
    if (r == 14) {
      // Final round: ShiftRows is the relabelling to G[14]; no MixColumns (§5.1).
      s0 = v128.xor(s0, v128.load(k, 0)); s1 = v128.xor(s1, v128.load(k, 16));
      s2 = v128.xor(s2, v128.load(k, 32)); s3 = v128.xor(s3, v128.load(k, 48));
      s4 = v128.xor(s4, v128.load(k, 64)); s5 = v128.xor(s5, v128.load(k, 80));
      s6 = v128.xor(s6, v128.load(k, 96)); s7 = v128.xor(s7, v128.load(k, 112));
      // Back from G[14] = F[1] to the natural byte order: true q ← held F[1]⁻¹[q] = SR[q].
      s0 = permSR(s0); s1 = permSR(s1); s2 = permSR(s2); s3 = permSR(s3);
      s4 = permSR(s4); s5 = permSR(s5); s6 = permSR(s6); s7 = permSR(s7);
      break;
    }
    // MixColumns (§5.1.3) on a = ShiftRows(SubBytes(s)), held in representation G[r]:
    // MixColumns(a) = xtime(t) ⊕ rot1(a) ⊕ rot2(t), t = a ⊕ rot1(a), rotN rotating each column
    // up by N rows; xtime on bit-planes (§4.2.1) feeds bit 7 back into bits 0, 1, 3 and 4.
    const v = (r - 1) & 3;
    if (v == 0) {
      const b0 = mcRot1F0(s0), b1 = mcRot1F0(s1), b2 = mcRot1F0(s2), b3 = mcRot1F0(s3);
      const b4 = mcRot1F0(s4), b5 = mcRot1F0(s5), b6 = mcRot1F0(s6), b7 = mcRot1F0(s7);
      const t0 = v128.xor(s0, b0), t1 = v128.xor(s1, b1), t2 = v128.xor(s2, b2), t3 = v128.xor(s3, b3);
      const t4 = v128.xor(s4, b4), t5 = v128.xor(s5, b5), t6 = v128.xor(s6, b6), t7 = v128.xor(s7, b7);
      s0 = v128.xor(v128.xor(t7, b0), v128.xor(mcRot2F0(t0), v128.load(k, 0)));
      s1 = v128.xor(v128.xor(v128.xor(t0, t7), b1), v128.xor(mcRot2F0(t1), v128.load(k, 16)));
      s2 = v128.xor(v128.xor(t1, b2), v128.xor(mcRot2F0(t2), v128.load(k, 32)));
      s3 = v128.xor(v128.xor(v128.xor(t2, t7), b3), v128.xor(mcRot2F0(t3), v128.load(k, 48)));
      s4 = v128.xor(v128.xor(v128.xor(t3, t7), b4), v128.xor(mcRot2F0(t4), v128.load(k, 64)));
      s5 = v128.xor(v128.xor(t4, b5), v128.xor(mcRot2F0(t5), v128.load(k, 80)));
      s6 = v128.xor(v128.xor(t5, b6), v128.xor(mcRot2F0(t6), v128.load(k, 96)));
      s7 = v128.xor(v128.xor(t6, b7), v128.xor(mcRot2F0(t7), v128.load(k, 112)));
    } else if (v == 1) {
      const b0 = mcRot1F1(s0), b1 = mcRot1F1(s1), b2 = mcRot1F1(s2), b3 = mcRot1F1(s3);
      const b4 = mcRot1F1(s4), b5 = mcRot1F1(s5), b6 = mcRot1F1(s6), b7 = mcRot1F1(s7);
      const t0 = v128.xor(s0, b0), t1 = v128.xor(s1, b1), t2 = v128.xor(s2, b2), t3 = v128.xor(s3, b3);
      const t4 = v128.xor(s4, b4), t5 = v128.xor(s5, b5), t6 = v128.xor(s6, b6), t7 = v128.xor(s7, b7);
      s0 = v128.xor(v128.xor(t7, b0), v128.xor(mcRot2F1(t0), v128.load(k, 0)));
      s1 = v128.xor(v128.xor(v128.xor(t0, t7), b1), v128.xor(mcRot2F1(t1), v128.load(k, 16)));
      s2 = v128.xor(v128.xor(t1, b2), v128.xor(mcRot2F1(t2), v128.load(k, 32)));
      s3 = v128.xor(v128.xor(v128.xor(t2, t7), b3), v128.xor(mcRot2F1(t3), v128.load(k, 48)));
      s4 = v128.xor(v128.xor(v128.xor(t3, t7), b4), v128.xor(mcRot2F1(t4), v128.load(k, 64)));
      s5 = v128.xor(v128.xor(t4, b5), v128.xor(mcRot2F1(t5), v128.load(k, 80)));
      s6 = v128.xor(v128.xor(t5, b6), v128.xor(mcRot2F1(t6), v128.load(k, 96)));
      s7 = v128.xor(v128.xor(t6, b7), v128.xor(mcRot2F1(t7), v128.load(k, 112)));
    } else if (v == 2) {
      const b0 = mcRot1F2(s0), b1 = mcRot1F2(s1), b2 = mcRot1F2(s2), b3 = mcRot1F2(s3);
      const b4 = mcRot1F2(s4), b5 = mcRot1F2(s5), b6 = mcRot1F2(s6), b7 = mcRot1F2(s7);
      const t0 = v128.xor(s0, b0), t1 = v128.xor(s1, b1), t2 = v128.xor(s2, b2), t3 = v128.xor(s3, b3);
      const t4 = v128.xor(s4, b4), t5 = v128.xor(s5, b5), t6 = v128.xor(s6, b6), t7 = v128.xor(s7, b7);
      s0 = v128.xor(v128.xor(t7, b0), v128.xor(mcRot2F0(t0), v128.load(k, 0)));
      s1 = v128.xor(v128.xor(v128.xor(t0, t7), b1), v128.xor(mcRot2F0(t1), v128.load(k, 16)));
      s2 = v128.xor(v128.xor(t1, b2), v128.xor(mcRot2F0(t2), v128.load(k, 32)));
      s3 = v128.xor(v128.xor(v128.xor(t2, t7), b3), v128.xor(mcRot2F0(t3), v128.load(k, 48)));
      s4 = v128.xor(v128.xor(v128.xor(t3, t7), b4), v128.xor(mcRot2F0(t4), v128.load(k, 64)));
      s5 = v128.xor(v128.xor(t4, b5), v128.xor(mcRot2F0(t5), v128.load(k, 80)));
      s6 = v128.xor(v128.xor(t5, b6), v128.xor(mcRot2F0(t6), v128.load(k, 96)));
      s7 = v128.xor(v128.xor(t6, b7), v128.xor(mcRot2F0(t7), v128.load(k, 112)));
    } else {
      const b0 = mcRot1F3(s0), b1 = mcRot1F3(s1), b2 = mcRot1F3(s2), b3 = mcRot1F3(s3);
      const b4 = mcRot1F3(s4), b5 = mcRot1F3(s5), b6 = mcRot1F3(s6), b7 = mcRot1F3(s7);
      const t0 = v128.xor(s0, b0), t1 = v128.xor(s1, b1), t2 = v128.xor(s2, b2), t3 = v128.xor(s3, b3);
      const t4 = v128.xor(s4, b4), t5 = v128.xor(s5, b5), t6 = v128.xor(s6, b6), t7 = v128.xor(s7, b7);
      s0 = v128.xor(v128.xor(t7, b0), v128.xor(mcRot2F1(t0), v128.load(k, 0)));
      s1 = v128.xor(v128.xor(v128.xor(t0, t7), b1), v128.xor(mcRot2F1(t1), v128.load(k, 16)));
      s2 = v128.xor(v128.xor(t1, b2), v128.xor(mcRot2F1(t2), v128.load(k, 32)));
      s3 = v128.xor(v128.xor(v128.xor(t2, t7), b3), v128.xor(mcRot2F1(t3), v128.load(k, 48)));
      s4 = v128.xor(v128.xor(v128.xor(t3, t7), b4), v128.xor(mcRot2F1(t4), v128.load(k, 64)));
      s5 = v128.xor(v128.xor(t4, b5), v128.xor(mcRot2F1(t5), v128.load(k, 80)));
      s6 = v128.xor(v128.xor(t5, b6), v128.xor(mcRot2F1(t6), v128.load(k, 96)));
      s7 = v128.xor(v128.xor(t6, b7), v128.xor(mcRot2F1(t7), v128.load(k, 112)));
    }
  }
  {
    // Un-bitslice.
    const m1 = i8x16.splat(0x55), m2 = i8x16.splat(0x33), m4 = i8x16.splat(0x0f);
    let t: v128;
    t = v128.and(v128.xor(i64x2.shr_u(s0, 1), s1), m1); s1 = v128.xor(s1, t); s0 = v128.xor(s0, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s2, 1), s3), m1); s3 = v128.xor(s3, t); s2 = v128.xor(s2, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s4, 1), s5), m1); s5 = v128.xor(s5, t); s4 = v128.xor(s4, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s6, 1), s7), m1); s7 = v128.xor(s7, t); s6 = v128.xor(s6, i64x2.shl(t, 1));
    t = v128.and(v128.xor(i64x2.shr_u(s0, 2), s2), m2); s2 = v128.xor(s2, t); s0 = v128.xor(s0, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s1, 2), s3), m2); s3 = v128.xor(s3, t); s1 = v128.xor(s1, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s4, 2), s6), m2); s6 = v128.xor(s6, t); s4 = v128.xor(s4, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s5, 2), s7), m2); s7 = v128.xor(s7, t); s5 = v128.xor(s5, i64x2.shl(t, 2));
    t = v128.and(v128.xor(i64x2.shr_u(s0, 4), s4), m4); s4 = v128.xor(s4, t); s0 = v128.xor(s0, i64x2.shl(t, 4));
    t = v128.and(v128.xor(i64x2.shr_u(s1, 4), s5), m4); s5 = v128.xor(s5, t); s1 = v128.xor(s1, i64x2.shl(t, 4));
    t = v128.and(v128.xor(i64x2.shr_u(s2, 4), s6), m4); s6 = v128.xor(s6, t); s2 = v128.xor(s2, i64x2.shl(t, 4));
    t = v128.and(v128.xor(i64x2.shr_u(s3, 4), s7), m4); s7 = v128.xor(s7, t); s3 = v128.xor(s3, i64x2.shl(t, 4));
  }
  if (xorInto) {
    s0 = v128.xor(s0, v128.load(dst, 0)); s1 = v128.xor(s1, v128.load(dst, 16));
    s2 = v128.xor(s2, v128.load(dst, 32)); s3 = v128.xor(s3, v128.load(dst, 48));
    s4 = v128.xor(s4, v128.load(dst, 64)); s5 = v128.xor(s5, v128.load(dst, 80));
    s6 = v128.xor(s6, v128.load(dst, 96)); s7 = v128.xor(s7, v128.load(dst, 112));
  }
  v128.store(dst, s0, 0); v128.store(dst, s1, 16); v128.store(dst, s2, 32); v128.store(dst, s3, 48);
  v128.store(dst, s4, 64); v128.store(dst, s5, 80); v128.store(dst, s6, 96); v128.store(dst, s7, 112);
}

/** Encrypts the 8 blocks at `src` into `dst` (may alias): the whole AES-256 cipher. */
export function encrypt8(rk: u32, src: u32, dst: u32): void {
  aesRounds(rk, src, dst, false, 1, 14);
}

// ---- Fixsliced byte permutations (see aesRounds) ----
// Index maps (held byte p = true byte F[p]), with SR the ShiftRows index map
// (SR[r + 4c] = r + 4((c + r) mod 4)) and F[j] = SR⁻¹ applied j times:
//   F[0] = identity
//   F[1] = 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3
//   F[2] = 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, 5, 14, 7   (an involution)
//   F[3] = 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11   (= SR = F[1]⁻¹)
// mcRotNFj is rotN conjugated into representation F[j]: held p ← held F[j]⁻¹[rotN(F[j][p])].
// Written as i8x16.swizzle with a constant index vector: V8 then emits a single pshufb with the
// mask materialised once, where i8x16.shuffle re-materialises its mask at every use.
// @ts-ignore: decorator
@inline function mcRot1F0(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12));
}
// @ts-ignore: decorator
@inline function mcRot1F1(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0));
}
// @ts-ignore: decorator
@inline function mcRot1F2(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4));
}
// @ts-ignore: decorator
@inline function mcRot1F3(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8));
}
/** rot2 in representations F[0] and F[2]. */
// @ts-ignore: decorator
@inline function mcRot2F0(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}
/** rot2 in representations F[1] and F[3]. */
// @ts-ignore: decorator
@inline function mcRot2F1(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5));
}
/** Shuffle by the index map SR = F[3] = F[1]⁻¹: natural → G[0], and G[14] → natural. */
// @ts-ignore: decorator
@inline function permSR(a: v128): v128 {
  return i8x16.swizzle(a, i8x16(0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11));
}
