/**
 * Bitsliced AES-256 encryption (FIPS-197) over WebAssembly SIMD, 8 blocks at a time.
 *
 * Why bitsliced: a table-based AES (T-tables, as in most pure-JS ports) indexes memory with
 * secret bytes, so its timing leaks through the cache. Here the 8 blocks (128 bytes) are
 * transposed into 8 "bit-planes" of 128 bits: plane i holds bit i of every byte. The S-box then is
 * a fixed Boolean circuit of XOR/AND on whole planes (derived and verified by
 * scripts/gen-aes-sbox.mjs), ShiftRows and MixColumns are constant byte shuffles and XORs, so
 * no branch and no memory address depends on key or data: the cipher is constant-time.
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
      // 168 gates (58 AND, 110 XOR); λ = 8, φ(x) = 0x20.
      // Computes s ← S(s) ⊕ 0x63 on the 8 bit-planes s0..s7 (bit i of every byte in plane i).
      const t0 = v128.xor(s5, s7);
      const t1 = v128.xor(s4, s6);
      const t2 = v128.xor(s2, s3);
      const t3 = v128.xor(t0, t2);
      const t4 = v128.xor(s0, t0);
      const t5 = v128.xor(s1, s7);
      const t6 = v128.xor(s3, s4);
      const t7 = v128.xor(s5, t1);
      const t8 = v128.xor(t1, t3);
      const t9 = v128.xor(t1, t5);
      const t10 = v128.xor(t0, t3);
      const t11 = v128.xor(s2, t6);
      const t12 = v128.xor(t10, t6);
      const t13 = v128.xor(t10, t8);
      const t14 = v128.xor(t11, t9);
      const t15 = v128.xor(t12, t7);
      const t16 = v128.xor(t13, t9);
      const t17 = v128.xor(t3, t4);
      const t18 = v128.xor(t17, t8);
      const t19 = v128.and(t7, t4);
      const t20 = v128.and(t7, s2);
      const t21 = v128.and(t9, t4);
      const t22 = v128.xor(t20, t21);
      const t23 = v128.and(t7, t8);
      const t24 = v128.and(t9, s2);
      const t25 = v128.xor(t23, t24);
      const t26 = v128.and(t3, t4);
      const t27 = v128.xor(t25, t26);
      const t28 = v128.and(t7, t6);
      const t29 = v128.and(t9, t8);
      const t30 = v128.xor(t28, t29);
      const t31 = v128.and(t3, s2);
      const t32 = v128.xor(t30, t31);
      const t33 = v128.and(t0, t4);
      const t34 = v128.xor(t32, t33);
      const t35 = v128.and(t9, t6);
      const t36 = v128.and(t3, t8);
      const t37 = v128.xor(t35, t36);
      const t38 = v128.and(t0, s2);
      const t39 = v128.xor(t37, t38);
      const t40 = v128.and(t3, t6);
      const t41 = v128.and(t0, t8);
      const t42 = v128.xor(t40, t41);
      const t43 = v128.and(t0, t6);
      const t44 = v128.xor(t19, t39);
      const t45 = v128.xor(t22, t39);
      const t46 = v128.xor(t45, t42);
      const t47 = v128.xor(t27, t42);
      const t48 = v128.xor(t47, t43);
      const t49 = v128.xor(t34, t43);
      const t50 = v128.xor(t44, t18);
      const t51 = v128.xor(t46, t16);
      const t52 = v128.xor(t48, t14);
      const t53 = v128.xor(t49, t15);
      const t54 = v128.xor(t50, t51);
      const t55 = v128.xor(t54, t52);
      const t56 = v128.and(t50, t52);
      const t57 = v128.xor(t55, t56);
      const t58 = v128.and(t51, t52);
      const t59 = v128.xor(t57, t58);
      const t60 = v128.and(t50, t51);
      const t61 = v128.and(t60, t52);
      const t62 = v128.xor(t59, t61);
      const t63 = v128.xor(t62, t53);
      const t64 = v128.and(t58, t53);
      const t65 = v128.xor(t63, t64);
      const t66 = v128.xor(t60, t56);
      const t67 = v128.xor(t66, t58);
      const t68 = v128.xor(t67, t53);
      const t69 = v128.and(t51, t53);
      const t70 = v128.xor(t68, t69);
      const t71 = v128.and(t60, t53);
      const t72 = v128.xor(t70, t71);
      const t73 = v128.xor(t60, t52);
      const t74 = v128.xor(t73, t56);
      const t75 = v128.xor(t74, t53);
      const t76 = v128.and(t50, t53);
      const t77 = v128.xor(t75, t76);
      const t78 = v128.and(t56, t53);
      const t79 = v128.xor(t77, t78);
      const t80 = v128.xor(t51, t52);
      const t81 = v128.xor(t80, t53);
      const t82 = v128.xor(t81, t76);
      const t83 = v128.xor(t82, t69);
      const t84 = v128.and(t52, t53);
      const t85 = v128.xor(t83, t84);
      const t86 = v128.xor(t85, t64);
      const t87 = v128.and(t7, t65);
      const t88 = v128.and(t7, t72);
      const t89 = v128.and(t9, t65);
      const t90 = v128.xor(t88, t89);
      const t91 = v128.and(t7, t79);
      const t92 = v128.and(t9, t72);
      const t93 = v128.xor(t91, t92);
      const t94 = v128.and(t3, t65);
      const t95 = v128.xor(t93, t94);
      const t96 = v128.and(t7, t86);
      const t97 = v128.and(t9, t79);
      const t98 = v128.xor(t96, t97);
      const t99 = v128.and(t3, t72);
      const t100 = v128.xor(t98, t99);
      const t101 = v128.and(t0, t65);
      const t102 = v128.xor(t100, t101);
      const t103 = v128.and(t9, t86);
      const t104 = v128.and(t3, t79);
      const t105 = v128.xor(t103, t104);
      const t106 = v128.and(t0, t72);
      const t107 = v128.xor(t105, t106);
      const t108 = v128.and(t3, t86);
      const t109 = v128.and(t0, t79);
      const t110 = v128.xor(t108, t109);
      const t111 = v128.and(t0, t86);
      const t112 = v128.xor(t87, t107);
      const t113 = v128.xor(t90, t107);
      const t114 = v128.xor(t113, t110);
      const t115 = v128.xor(t95, t110);
      const t116 = v128.xor(t115, t111);
      const t117 = v128.xor(t102, t111);
      const t118 = v128.xor(t7, t4);
      const t119 = v128.xor(t9, s2);
      const t120 = v128.xor(t3, t8);
      const t121 = v128.xor(t0, t6);
      const t122 = v128.and(t118, t65);
      const t123 = v128.and(t118, t72);
      const t124 = v128.and(t119, t65);
      const t125 = v128.xor(t123, t124);
      const t126 = v128.and(t118, t79);
      const t127 = v128.and(t119, t72);
      const t128 = v128.xor(t126, t127);
      const t129 = v128.and(t120, t65);
      const t130 = v128.xor(t128, t129);
      const t131 = v128.and(t118, t86);
      const t132 = v128.and(t119, t79);
      const t133 = v128.xor(t131, t132);
      const t134 = v128.and(t120, t72);
      const t135 = v128.xor(t133, t134);
      const t136 = v128.and(t121, t65);
      const t137 = v128.xor(t135, t136);
      const t138 = v128.and(t119, t86);
      const t139 = v128.and(t120, t79);
      const t140 = v128.xor(t138, t139);
      const t141 = v128.and(t121, t72);
      const t142 = v128.xor(t140, t141);
      const t143 = v128.and(t120, t86);
      const t144 = v128.and(t121, t79);
      const t145 = v128.xor(t143, t144);
      const t146 = v128.and(t121, t86);
      const t147 = v128.xor(t122, t142);
      const t148 = v128.xor(t125, t142);
      const t149 = v128.xor(t148, t145);
      const t150 = v128.xor(t130, t145);
      const t151 = v128.xor(t150, t146);
      const t152 = v128.xor(t137, t146);
      const t153 = v128.xor(t114, t147);
      const t154 = v128.xor(t149, t151);
      const t155 = v128.xor(t152, t153);
      const t156 = v128.xor(t112, t155);
      const t157 = v128.xor(t116, t117);
      const t158 = v128.xor(t112, t157);
      const t159 = v128.xor(t114, t152);
      const t160 = v128.xor(t116, t147);
      const t161 = v128.xor(t116, t155);
      const t162 = v128.xor(t149, t156);
      const t163 = v128.xor(t151, t153);
      const t164 = v128.xor(t151, t160);
      const t165 = v128.xor(t154, t156);
      const t166 = v128.xor(t154, t157);
      const t167 = v128.xor(t159, t166);
      s0 = t164;
      s1 = t165;
      s2 = t161;
      s3 = t163;
      s4 = t162;
      s5 = t167;
      s6 = t158;
      s7 = t154;
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
 * bitsliced round keys at `rk` (8 planes × 16 bytes each). Words are little-endian u32 of the
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
  }
}

/**
 * Encrypts the 8 blocks at `src` into `dst` (may alias) with the bitsliced round keys at `rk`.
 * FIPS-197 §5.1 Cipher(): AddRoundKey, 13 × (SubBytes, ShiftRows, MixColumns, AddRoundKey),
 * then SubBytes, ShiftRows, AddRoundKey.
 */
export function encrypt8(rk: u32, src: u32, dst: u32): void {
  memory.copy(WORK_PTR, src, 128);
  transpose8(WORK_PTR);
  const p = WORK_PTR;
  // AddRoundKey with round key 0.
  let s0 = v128.xor(v128.load(p, 0), v128.load(rk, 0));
  let s1 = v128.xor(v128.load(p, 16), v128.load(rk, 16));
  let s2 = v128.xor(v128.load(p, 32), v128.load(rk, 32));
  let s3 = v128.xor(v128.load(p, 48), v128.load(rk, 48));
  let s4 = v128.xor(v128.load(p, 64), v128.load(rk, 64));
  let s5 = v128.xor(v128.load(p, 80), v128.load(rk, 80));
  let s6 = v128.xor(v128.load(p, 96), v128.load(rk, 96));
  let s7 = v128.xor(v128.load(p, 112), v128.load(rk, 112));
  for (let r: u32 = 1; r <= 14; r++) {
    {
      // BEGIN GENERATED S-BOX (scripts/gen-aes-sbox.mjs)
      // 168 gates (58 AND, 110 XOR); λ = 8, φ(x) = 0x20.
      // Computes s ← S(s) ⊕ 0x63 on the 8 bit-planes s0..s7 (bit i of every byte in plane i).
      const t0 = v128.xor(s5, s7);
      const t1 = v128.xor(s4, s6);
      const t2 = v128.xor(s2, s3);
      const t3 = v128.xor(t0, t2);
      const t4 = v128.xor(s0, t0);
      const t5 = v128.xor(s1, s7);
      const t6 = v128.xor(s3, s4);
      const t7 = v128.xor(s5, t1);
      const t8 = v128.xor(t1, t3);
      const t9 = v128.xor(t1, t5);
      const t10 = v128.xor(t0, t3);
      const t11 = v128.xor(s2, t6);
      const t12 = v128.xor(t10, t6);
      const t13 = v128.xor(t10, t8);
      const t14 = v128.xor(t11, t9);
      const t15 = v128.xor(t12, t7);
      const t16 = v128.xor(t13, t9);
      const t17 = v128.xor(t3, t4);
      const t18 = v128.xor(t17, t8);
      const t19 = v128.and(t7, t4);
      const t20 = v128.and(t7, s2);
      const t21 = v128.and(t9, t4);
      const t22 = v128.xor(t20, t21);
      const t23 = v128.and(t7, t8);
      const t24 = v128.and(t9, s2);
      const t25 = v128.xor(t23, t24);
      const t26 = v128.and(t3, t4);
      const t27 = v128.xor(t25, t26);
      const t28 = v128.and(t7, t6);
      const t29 = v128.and(t9, t8);
      const t30 = v128.xor(t28, t29);
      const t31 = v128.and(t3, s2);
      const t32 = v128.xor(t30, t31);
      const t33 = v128.and(t0, t4);
      const t34 = v128.xor(t32, t33);
      const t35 = v128.and(t9, t6);
      const t36 = v128.and(t3, t8);
      const t37 = v128.xor(t35, t36);
      const t38 = v128.and(t0, s2);
      const t39 = v128.xor(t37, t38);
      const t40 = v128.and(t3, t6);
      const t41 = v128.and(t0, t8);
      const t42 = v128.xor(t40, t41);
      const t43 = v128.and(t0, t6);
      const t44 = v128.xor(t19, t39);
      const t45 = v128.xor(t22, t39);
      const t46 = v128.xor(t45, t42);
      const t47 = v128.xor(t27, t42);
      const t48 = v128.xor(t47, t43);
      const t49 = v128.xor(t34, t43);
      const t50 = v128.xor(t44, t18);
      const t51 = v128.xor(t46, t16);
      const t52 = v128.xor(t48, t14);
      const t53 = v128.xor(t49, t15);
      const t54 = v128.xor(t50, t51);
      const t55 = v128.xor(t54, t52);
      const t56 = v128.and(t50, t52);
      const t57 = v128.xor(t55, t56);
      const t58 = v128.and(t51, t52);
      const t59 = v128.xor(t57, t58);
      const t60 = v128.and(t50, t51);
      const t61 = v128.and(t60, t52);
      const t62 = v128.xor(t59, t61);
      const t63 = v128.xor(t62, t53);
      const t64 = v128.and(t58, t53);
      const t65 = v128.xor(t63, t64);
      const t66 = v128.xor(t60, t56);
      const t67 = v128.xor(t66, t58);
      const t68 = v128.xor(t67, t53);
      const t69 = v128.and(t51, t53);
      const t70 = v128.xor(t68, t69);
      const t71 = v128.and(t60, t53);
      const t72 = v128.xor(t70, t71);
      const t73 = v128.xor(t60, t52);
      const t74 = v128.xor(t73, t56);
      const t75 = v128.xor(t74, t53);
      const t76 = v128.and(t50, t53);
      const t77 = v128.xor(t75, t76);
      const t78 = v128.and(t56, t53);
      const t79 = v128.xor(t77, t78);
      const t80 = v128.xor(t51, t52);
      const t81 = v128.xor(t80, t53);
      const t82 = v128.xor(t81, t76);
      const t83 = v128.xor(t82, t69);
      const t84 = v128.and(t52, t53);
      const t85 = v128.xor(t83, t84);
      const t86 = v128.xor(t85, t64);
      const t87 = v128.and(t7, t65);
      const t88 = v128.and(t7, t72);
      const t89 = v128.and(t9, t65);
      const t90 = v128.xor(t88, t89);
      const t91 = v128.and(t7, t79);
      const t92 = v128.and(t9, t72);
      const t93 = v128.xor(t91, t92);
      const t94 = v128.and(t3, t65);
      const t95 = v128.xor(t93, t94);
      const t96 = v128.and(t7, t86);
      const t97 = v128.and(t9, t79);
      const t98 = v128.xor(t96, t97);
      const t99 = v128.and(t3, t72);
      const t100 = v128.xor(t98, t99);
      const t101 = v128.and(t0, t65);
      const t102 = v128.xor(t100, t101);
      const t103 = v128.and(t9, t86);
      const t104 = v128.and(t3, t79);
      const t105 = v128.xor(t103, t104);
      const t106 = v128.and(t0, t72);
      const t107 = v128.xor(t105, t106);
      const t108 = v128.and(t3, t86);
      const t109 = v128.and(t0, t79);
      const t110 = v128.xor(t108, t109);
      const t111 = v128.and(t0, t86);
      const t112 = v128.xor(t87, t107);
      const t113 = v128.xor(t90, t107);
      const t114 = v128.xor(t113, t110);
      const t115 = v128.xor(t95, t110);
      const t116 = v128.xor(t115, t111);
      const t117 = v128.xor(t102, t111);
      const t118 = v128.xor(t7, t4);
      const t119 = v128.xor(t9, s2);
      const t120 = v128.xor(t3, t8);
      const t121 = v128.xor(t0, t6);
      const t122 = v128.and(t118, t65);
      const t123 = v128.and(t118, t72);
      const t124 = v128.and(t119, t65);
      const t125 = v128.xor(t123, t124);
      const t126 = v128.and(t118, t79);
      const t127 = v128.and(t119, t72);
      const t128 = v128.xor(t126, t127);
      const t129 = v128.and(t120, t65);
      const t130 = v128.xor(t128, t129);
      const t131 = v128.and(t118, t86);
      const t132 = v128.and(t119, t79);
      const t133 = v128.xor(t131, t132);
      const t134 = v128.and(t120, t72);
      const t135 = v128.xor(t133, t134);
      const t136 = v128.and(t121, t65);
      const t137 = v128.xor(t135, t136);
      const t138 = v128.and(t119, t86);
      const t139 = v128.and(t120, t79);
      const t140 = v128.xor(t138, t139);
      const t141 = v128.and(t121, t72);
      const t142 = v128.xor(t140, t141);
      const t143 = v128.and(t120, t86);
      const t144 = v128.and(t121, t79);
      const t145 = v128.xor(t143, t144);
      const t146 = v128.and(t121, t86);
      const t147 = v128.xor(t122, t142);
      const t148 = v128.xor(t125, t142);
      const t149 = v128.xor(t148, t145);
      const t150 = v128.xor(t130, t145);
      const t151 = v128.xor(t150, t146);
      const t152 = v128.xor(t137, t146);
      const t153 = v128.xor(t114, t147);
      const t154 = v128.xor(t149, t151);
      const t155 = v128.xor(t152, t153);
      const t156 = v128.xor(t112, t155);
      const t157 = v128.xor(t116, t117);
      const t158 = v128.xor(t112, t157);
      const t159 = v128.xor(t114, t152);
      const t160 = v128.xor(t116, t147);
      const t161 = v128.xor(t116, t155);
      const t162 = v128.xor(t149, t156);
      const t163 = v128.xor(t151, t153);
      const t164 = v128.xor(t151, t160);
      const t165 = v128.xor(t154, t156);
      const t166 = v128.xor(t154, t157);
      const t167 = v128.xor(t159, t166);
      s0 = t164;
      s1 = t165;
      s2 = t161;
      s3 = t163;
      s4 = t162;
      s5 = t167;
      s6 = t158;
      s7 = t154;
      // END GENERATED S-BOX
    }
    const k = rk + r * 128;
    if (r == 14) {
      // Final round: ShiftRows + AddRoundKey, no MixColumns (§5.1).
      s0 = v128.xor(shiftRows(s0), v128.load(k, 0));
      s1 = v128.xor(shiftRows(s1), v128.load(k, 16));
      s2 = v128.xor(shiftRows(s2), v128.load(k, 32));
      s3 = v128.xor(shiftRows(s3), v128.load(k, 48));
      s4 = v128.xor(shiftRows(s4), v128.load(k, 64));
      s5 = v128.xor(shiftRows(s5), v128.load(k, 80));
      s6 = v128.xor(shiftRows(s6), v128.load(k, 96));
      s7 = v128.xor(shiftRows(s7), v128.load(k, 112));
      break;
    }
    // ShiftRows + MixColumns (§5.1.2, §5.1.3). With a = ShiftRows(s) and rotN rotating each
    // column up by N rows: MixColumns(a) = 2a ⊕ 3·rot1(a) ⊕ rot2(a) ⊕ rot3(a)
    //                                    = xtime(t) ⊕ rot1(a) ⊕ rot2(t),  t = a ⊕ rot1(a).
    // rot1(ShiftRows(s)) is a single shuffle of s.
    const b0 = rot1ShiftRows(s0), b1 = rot1ShiftRows(s1), b2 = rot1ShiftRows(s2), b3 = rot1ShiftRows(s3);
    const b4 = rot1ShiftRows(s4), b5 = rot1ShiftRows(s5), b6 = rot1ShiftRows(s6), b7 = rot1ShiftRows(s7);
    const t0 = v128.xor(shiftRows(s0), b0), t1 = v128.xor(shiftRows(s1), b1);
    const t2 = v128.xor(shiftRows(s2), b2), t3 = v128.xor(shiftRows(s3), b3);
    const t4 = v128.xor(shiftRows(s4), b4), t5 = v128.xor(shiftRows(s5), b5);
    const t6 = v128.xor(shiftRows(s6), b6), t7 = v128.xor(shiftRows(s7), b7);
    // xtime on bit-planes (§4.2.1): multiply by x modulo x^8 + x^4 + x^3 + x + 1, so the
    // overflowing bit 7 feeds back into bits 0, 1, 3 and 4.
    s0 = v128.xor(v128.xor(t7, b0), v128.xor(rot2(t0), v128.load(k, 0)));
    s1 = v128.xor(v128.xor(v128.xor(t0, t7), b1), v128.xor(rot2(t1), v128.load(k, 16)));
    s2 = v128.xor(v128.xor(t1, b2), v128.xor(rot2(t2), v128.load(k, 32)));
    s3 = v128.xor(v128.xor(v128.xor(t2, t7), b3), v128.xor(rot2(t3), v128.load(k, 48)));
    s4 = v128.xor(v128.xor(v128.xor(t3, t7), b4), v128.xor(rot2(t4), v128.load(k, 64)));
    s5 = v128.xor(v128.xor(t4, b5), v128.xor(rot2(t5), v128.load(k, 80)));
    s6 = v128.xor(v128.xor(t5, b6), v128.xor(rot2(t6), v128.load(k, 96)));
    s7 = v128.xor(v128.xor(t6, b7), v128.xor(rot2(t7), v128.load(k, 112)));
  }
  v128.store(p, s0, 0); v128.store(p, s1, 16); v128.store(p, s2, 32); v128.store(p, s3, 48);
  v128.store(p, s4, 64); v128.store(p, s5, 80); v128.store(p, s6, 96); v128.store(p, s7, 112);
  transpose8(WORK_PTR);
  memory.copy(dst, WORK_PTR, 128);
}

/** ShiftRows (§5.1.2): byte r + 4c ← byte r + 4((c + r) mod 4). */
// @ts-ignore: decorator
@inline function shiftRows(a: v128): v128 {
  return i8x16.shuffle(a, a, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11);
}
/** rot1(ShiftRows(a)): byte r + 4c ← ShiftRows(a) byte ((r + 1) mod 4) + 4c. */
// @ts-ignore: decorator
@inline function rot1ShiftRows(a: v128): v128 {
  return i8x16.shuffle(a, a, 5, 10, 15, 0, 9, 14, 3, 4, 13, 2, 7, 8, 1, 6, 11, 12);
}
/** rot2: byte r + 4c ← byte ((r + 2) mod 4) + 4c. */
// @ts-ignore: decorator
@inline function rot2(a: v128): v128 {
  return i8x16.shuffle(a, a, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
