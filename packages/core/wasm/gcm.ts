/**
 * AES-256-GCM (NIST SP 800-38D) for 96-bit nonces: the entry point of the WebAssembly module.
 *
 * The JS wrapper (src/crypto/aes-gcm-wasm/index.ts) copies nonce, AAD and data into the fixed
 * I/O area (layout.ts), calls `seal` or `open` with a key slot number, and copies the result
 * out. Per-key state — bitsliced round keys and GHASH key operands — lives in a slot, computed
 * once by `setKey`, never per block.
 *
 * Keystream: GCTR (§6.5) with J0 = IV ‖ 0^31 ‖ 1 (§7.1 step 2, 96-bit IV). Counter blocks are
 * made 8 at a time for the 8-way bitsliced AES, directly as their round-1 outputs (round-1
 * caching, below); the first batch starts at J0 itself, whose encryption masks the tag
 * (§7.1 step 6), so data starts at keystream block 1 = inc32(J0).
 * With at most 65536 bytes (4096 blocks) per call the 32-bit counter never wraps.
 */
import { aesRounds, encrypt8 } from './aes';
import { expandKey } from './aes';
import { ghashFinish, ghashReset, ghashUpdate, initGhashKey } from './ghash';
import {
  AAD_PTR, CTR1_OFF, CTR_PTR, DATA_PTR, KEY_PTR, KS_PTR, NONCE_PTR, PAD_PTR, RK_SIZE, SCRATCH_LEN,
  SCRATCH_PTR, SLOT_SIZE, TAG_PTR, WORK_PTR, slotPtr,
} from './layout';

export {
  AAD_MAX, AAD_PTR, DATA_MAX, DATA_PTR, KEY_PTR, NONCE_PTR, SLOT_SIZE, SLOTS_PTR, TAG_PTR,
} from './layout';

/*
 * Round-1 caching (counter-mode shortcut). Round 1 of AES is round1(x) = L(S(x ⊕ k0)) ⊕ k1
 * with S bytewise and L = MixColumns∘ShiftRows linear, so the low counter byte (byte 15) only
 * changes column 0 of its output, by an amount that depends on that byte and the key alone:
 *   round1(IV ‖ BE24(hi) ‖ b) = round1(IV ‖ BE24(hi) ‖ 0) ⊕ (T[b] in bytes 0..3),
 *   T[b] = bytes 0..3 of round1(0¹⁵ ‖ b) ⊕ round1(0¹⁶)   (per key, computed in setKey).
 * So each batch of counter blocks is built directly as round-1 outputs from one base block per
 * 256 counters (computed with the bitsliced cipher) and 8 table entries, and the cipher starts
 * at round 2: 13 of 14 rounds per batch. Timing: the table is indexed by the counter only,
 * which is public (it is the block position); the base block and T are computed by the same
 * constant-time bitsliced code as everything else.
 */
let baseHi: u32 = 0xffffffff; // counter range (ctr >> 8) whose base block is at WORK_PTR

/** Forgets the cached base block (called at the start of every seal/open: new nonce). */
// @ts-ignore: decorator
@inline function resetBase(): void {
  baseHi = 0xffffffff;
}

/** Writes round1(IV ‖ BE32(hi << 8)) to WORK_PTR (block 0 of an 8-block batch). */
function computeBase(rk: u32, hi: u32): void {
  v128.store(WORK_PTR, i32x4.replace_lane(v128.load(NONCE_PTR), 3, bswap<u32>(hi << 8)));
  aesRounds(rk, WORK_PTR, WORK_PTR, false, 1, 1);
  baseHi = hi;
}

/** Writes round1 of the 8 counter blocks IV ‖ BE32(ctr + k), k = 0..7, to CTR. */
function counterBlocks(rk: u32, ctr: u32): void {
  const tbl = rk + CTR1_OFF;
  for (let k: u32 = 0; k < 8; k++) {
    const c = ctr + k;
    if (c >> 8 != baseHi) computeBase(rk, c >> 8); // public: depends on the counter only
    const base = v128.load(WORK_PTR);
    const lane0 = i32x4.extract_lane(base, 0) ^ load<u32>(tbl + ((c & 255) << 2));
    v128.store(CTR_PTR + k * 16, i32x4.replace_lane(base, 0, lane0));
  }
}

/** Fills the round-1 cache of the slot at `rk` (setKey). Uses CTR and KS as scratch. */
function initCtr1Cache(rk: u32): void {
  const tbl = rk + CTR1_OFF;
  let zero: u32 = 0;
  for (let j: u32 = 0; j < 32; j++) {
    memory.fill(CTR_PTR, 0, 128);
    for (let k: u32 = 0; k < 8; k++) store<u8>(CTR_PTR + k * 16 + 15, <u8>(j * 8 + k));
    aesRounds(rk, CTR_PTR, KS_PTR, false, 1, 1);
    if (j == 0) zero = load<u32>(KS_PTR); // round1(0¹⁶), bytes 0..3
    for (let k: u32 = 0; k < 8; k++) store<u32>(tbl + (j * 8 + k) * 4, load<u32>(KS_PTR + k * 16) ^ zero);
  }
}

/** Encrypts the 8 counter blocks starting at `ctr` into KS. */
function keystreamBatch(rk: u32, ctr: u32): void {
  counterBlocks(rk, ctr);
  aesRounds(rk, CTR_PTR, KS_PTR, false, 2, 14);
}

/**
 * XORs the keystream into DATA[0..len) in place (GCTR, §6.5). Expects KS to hold the batch that
 * starts at J0 (counter 1; block 0 = E(J0) is skipped), so data block i uses counter i + 2.
 * Whole batches of 8 blocks are XORed straight from the cipher's registers (aesRounds xorInto);
 * only the first 7 blocks and the tail go through KS.
 */
function gctr(rk: u32, len: u32): void {
  // Blocks 0..6: keystream blocks 1..7 of the J0 batch.
  const head: u32 = len < 112 ? len : 112;
  const headFull = head & ~15;
  let off: u32 = 0;
  for (; off < headFull; off += 16) {
    const p = DATA_PTR + off;
    v128.store(p, v128.xor(v128.load(p), v128.load(KS_PTR + 16 + off)));
  }
  let ks: u32 = KS_PTR + 16 + off; // keystream of the block at `off` if it is partial
  if (len > 112) {
    // Batches of 8 whole blocks: data offset off ↔ counter off / 16 + 2.
    let ctr: u32 = 9;
    for (; off + 128 <= len; off += 128) {
      counterBlocks(rk, ctr);
      aesRounds(rk, CTR_PTR, DATA_PTR + off, true, 2, 14);
      ctr += 8;
    }
    if (off < len) {
      // Tail of fewer than 8 blocks: one more batch into KS.
      keystreamBatch(rk, ctr);
      const tailFull = len & ~15;
      for (; off < tailFull; off += 16) {
        const p = DATA_PTR + off;
        v128.store(p, v128.xor(v128.load(p), v128.load(KS_PTR + off - (ctr - 2) * 16)));
      }
      ks = KS_PTR + off - (ctr - 2) * 16;
    }
  }
  // Final partial block: only the leftmost bits of the keystream block are used (§6.5 step 7).
  for (let i: u32 = 0; off + i < len; i++) {
    store<u8>(DATA_PTR + off + i, load<u8>(DATA_PTR + off + i) ^ load<u8>(ks + i));
  }
}

/** S = GHASH_H(A ‖ pad ‖ C ‖ pad ‖ [len(A)]_64 ‖ [len(C)]_64) over AAD and DATA (§7.1 step 5). */
function ghashAll(tbl: u32, aadLen: u32, len: u32): v128 {
  ghashReset();
  ghashUpdate(tbl, AAD_PTR, aadLen, PAD_PTR);
  ghashUpdate(tbl, DATA_PTR, len, PAD_PTR);
  return ghashFinish(tbl, aadLen, len, PAD_PTR);
}

/** Derives the per-key state of `slot` from the 32-byte key at KEY_PTR, then wipes KEY_PTR. */
export function setKey(slot: u32): void {
  const rk = slotPtr(slot);
  expandKey(rk);
  memory.fill(KEY_PTR, 0, 32);
  // Hash subkey H = CIPH_K(0^128) (§6.4, Algorithm 2 step 1 / §7.1 step 1).
  memory.fill(CTR_PTR, 0, 128);
  encrypt8(rk, CTR_PTR, KS_PTR);
  initGhashKey(rk + RK_SIZE, KS_PTR, PAD_PTR);
  initCtr1Cache(rk);
  wipeScratch();
}

/** Zeroes the key slot (round keys and GHASH key operands). */
export function wipeSlot(slot: u32): void {
  memory.fill(slotPtr(slot), 0, SLOT_SIZE);
}

/** Zeroes internal scratch buffers (counter blocks, keystream, bit-planes, padding). */
export function wipeScratch(): void {
  memory.fill(SCRATCH_PTR, 0, SCRATCH_LEN);
}

/** GCM-AE (§7.1): encrypts DATA[0..len) in place and writes the 16-byte tag to TAG_PTR. */
export function seal(slot: u32, aadLen: u32, len: u32): void {
  const rk = slotPtr(slot);
  resetBase();
  keystreamBatch(rk, 1); // KS[0] = E(J0)
  const tagMask = v128.load(KS_PTR);
  gctr(rk, len); // C = GCTR(inc32(J0), P)   (§7.1 step 3)
  // T = MSB_128(GCTR(J0, S)) = E(J0) ⊕ S   (§7.1 step 6, full 128-bit tag)
  v128.store(TAG_PTR, v128.xor(ghashAll(rk + RK_SIZE, aadLen, len), tagMask));
}

/**
 * GCM-AD (§7.2): recomputes the tag over AAD and the ciphertext in DATA, compares it with the
 * tag at TAG_PTR in constant time, and only if it matches decrypts DATA in place and returns 1.
 * On mismatch DATA[0..len) is zeroed and 0 is returned (§7.2 step 8: return FAIL, no plaintext).
 */
export function open(slot: u32, aadLen: u32, len: u32): u32 {
  const rk = slotPtr(slot);
  const s = ghashAll(rk + RK_SIZE, aadLen, len);
  resetBase();
  keystreamBatch(rk, 1);
  // Compare all 16 bytes at once: OR-reduce of the XOR; no early exit on the first differing byte.
  const diff = v128.xor(v128.xor(s, v128.load(KS_PTR)), v128.load(TAG_PTR));
  if (v128.any_true(diff)) {
    memory.fill(DATA_PTR, 0, len);
    wipeScratch();
    return 0;
  }
  gctr(rk, len);
  return 1;
}

/** Test hook: AES-256 encryption of the 8 blocks at DATA_PTR in place (FIPS-197 vectors). */
export function encryptBlocks(slot: u32): void {
  encrypt8(slotPtr(slot), DATA_PTR, DATA_PTR);
}
