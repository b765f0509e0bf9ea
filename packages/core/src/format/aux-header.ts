/**
 * Header of a journal, WAL or temp container (64 bytes).
 *
 * A journal header is written when the journal is created and whenever it is truncated to zero,
 * each time with a fresh random file id: blocks of an earlier journal instance then derive a
 * different key and can never authenticate in the new one. Its MAC (a subkey of the data key,
 * salted with the main database's file id) ties the journal to its database.
 *
 * Layout: magic 8 ‖ version u16 ‖ kind u8 ‖ cipher u8 ‖ block size u32 ‖ file id 16 ‖
 *         main file id 16 ‖ MAC 16 (HMAC-SHA256 of bytes 0..48, truncated).
 */
import { hmacSha256 } from '../crypto/subkeys.js';
import { constantTimeEqual } from '../crypto/wipe.js';
import { startsWith, view } from './bytes.js';
import { AUX_HEADER_SIZE, CIPHER_AES_256_GCM, FORMAT_VERSION, MAGIC } from './constants.js';

const AUX_MAC_OFFSET = 48;

export interface AuxHeader {
  kind: number;
  blockSize: number;
  fileId: Uint8Array;
  mainFileId: Uint8Array;
}

export function encodeAuxHeader(h: AuxHeader, macKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(AUX_HEADER_SIZE);
  const dv = view(out);
  out.set(MAGIC, 0);
  dv.setUint16(8, FORMAT_VERSION);
  out[10] = h.kind;
  out[11] = CIPHER_AES_256_GCM;
  dv.setUint32(12, h.blockSize);
  out.set(h.fileId, 16);
  out.set(h.mainFileId, 32);
  out.set(hmacSha256(macKey, out.subarray(0, AUX_MAC_OFFSET)).subarray(0, 16), AUX_MAC_OFFSET);
  return out;
}

/** Returns the header if it is intact and authentic for this database, else null. */
export function decodeAuxHeader(b: Uint8Array, macKey: Uint8Array, expect: { kind: number; blockSize: number; mainFileId: Uint8Array }): AuxHeader | null {
  if (b.length < AUX_HEADER_SIZE || !startsWith(b, MAGIC)) return null;
  const mac = hmacSha256(macKey, b.subarray(0, AUX_MAC_OFFSET)).subarray(0, 16);
  if (!constantTimeEqual(mac, b.subarray(AUX_MAC_OFFSET, AUX_MAC_OFFSET + 16))) return null;
  const dv = view(b);
  if (dv.getUint16(8) !== FORMAT_VERSION || b[10] !== expect.kind || b[11] !== CIPHER_AES_256_GCM) return null;
  if (dv.getUint32(12) !== expect.blockSize) return null;
  const mainFileId = b.slice(32, 48);
  if (!constantTimeEqual(mainFileId, expect.mainFileId)) return null;
  return { kind: b[10], blockSize: expect.blockSize, fileId: b.slice(16, 32), mainFileId };
}
