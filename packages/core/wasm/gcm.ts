/**
 * AES-256-GCM (NIST SP 800-38D) for 96-bit nonces: the entry point of the WebAssembly module.
 *
 * The JS wrapper (src/crypto/aes-gcm-wasm/index.ts) copies nonce, AAD and data into the fixed
 * I/O area (layout.ts), calls `seal` or `open` with a key slot number, and copies the result
 * out. Per-key state — bitsliced round keys and GHASH key operands — lives in a slot, computed
 * once by `setKey`, never per block.
 *
 * Keystream: GCTR (§6.5) with J0 = IV ‖ 0^31 ‖ 1 (§7.1 step 2, 96-bit IV). Counter blocks are
 * made 8 at a time for the 8-way bitsliced AES; the first batch starts at J0 itself, whose
 * encryption masks the tag (§7.1 step 6), so data starts at keystream block 1 = inc32(J0).
 * With at most 65536 bytes (4096 blocks) per call the 32-bit counter never wraps.
 */
import { encrypt8 } from './aes';
import { expandKey } from './aes';
import { ghashFinish, ghashReset, ghashUpdate, initGhashKey } from './ghash';
import {
  AAD_PTR, CTR_PTR, DATA_PTR, KEY_PTR, KS_PTR, NONCE_PTR, PAD_PTR, RK_SIZE, SCRATCH_LEN,
  SCRATCH_PTR, SLOT_SIZE, TAG_PTR, slotPtr,
} from './layout';

export {
  AAD_MAX, AAD_PTR, DATA_MAX, DATA_PTR, KEY_PTR, NONCE_PTR, SLOT_SIZE, SLOTS_PTR, TAG_PTR,
} from './layout';

/** Writes the 8 counter blocks IV ‖ BE32(ctr + k), k = 0..7, and encrypts them into KS. */
function keystreamBatch(rk: u32, ctr: u32): void {
  const iv = v128.load(NONCE_PTR); // bytes 12..15 are replaced below
  for (let k: u32 = 0; k < 8; k++) {
    v128.store(CTR_PTR + k * 16, i32x4.replace_lane(iv, 3, bswap<u32>(ctr + k)));
  }
  encrypt8(rk, CTR_PTR, KS_PTR);
}

/**
 * XORs the keystream into DATA[0..len) in place (GCTR, §6.5). Expects KS to hold the batch that
 * starts at J0 (block 0 = E(J0) is skipped).
 */
function gctr(rk: u32, len: u32): void {
  let ctr: u32 = 1; // counter value of KS block 0
  let blk: u32 = 1;
  const full = len & ~15;
  let off: u32 = 0;
  for (; off < full; off += 16) {
    if (blk == 8) {
      ctr += 8;
      keystreamBatch(rk, ctr);
      blk = 0;
    }
    const p = DATA_PTR + off;
    v128.store(p, v128.xor(v128.load(p), v128.load(KS_PTR + blk * 16)));
    blk++;
  }
  if (off < len) {
    // Final partial block: only the leftmost bits of the keystream block are used (§6.5 step 7).
    if (blk == 8) {
      ctr += 8;
      keystreamBatch(rk, ctr);
      blk = 0;
    }
    const ks = KS_PTR + blk * 16;
    for (let i: u32 = 0; off + i < len; i++) {
      store<u8>(DATA_PTR + off + i, load<u8>(DATA_PTR + off + i) ^ load<u8>(ks + i));
    }
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
