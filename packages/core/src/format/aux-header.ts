/**
 * Header of a journal, WAL or temp container (64 bytes).
 *
 * A journal header is written when the journal is created and whenever it is truncated to zero,
 * each time with a fresh random file id: blocks of an earlier journal instance then derive a
 * different key and can never authenticate in the new one. Its MAC (a subkey of the data key,
 * salted with the main database's file id) ties the journal to its database.
 *
 * Layout: magic 8 ‖ layout version u16 (AUX_FORMAT_VERSION) ‖ kind u8 ‖ cipher u8 ‖ block size u32 ‖ file id 16 ‖
 *         main file id 16 ‖ MAC 16 (HMAC-SHA256 of bytes 0..48, truncated).
 */
import { hmacSha256 } from '../crypto/subkeys.js';
import { constantTimeEqual } from '../crypto/wipe.js';
import { startsWith, view } from './bytes.js';
import {
  AUX_BLOCK_SIZE_OFFSET,
  AUX_CIPHER_OFFSET,
  AUX_FILE_ID_OFFSET,
  AUX_FORMAT_VERSION,
  AUX_FORMAT_VERSION_UNSEALED,
  AUX_HEADER_SIZE,
  AUX_KIND_OFFSET,
  AUX_MAC_OFFSET,
  AUX_MAC_SIZE,
  AUX_MAIN_FILE_ID_OFFSET,
  AUX_VERSION_OFFSET,
  CIPHER_AES_256_GCM,
  FILE_ID_SIZE,
  MAGIC,
} from './constants.js';

export interface AuxHeader {
  /** AUX_FORMAT_VERSION, or AUX_FORMAT_VERSION_UNSEALED for an authentic header of the previous layout. */
  version?: number;
  kind: number;
  blockSize: number;
  fileId: Uint8Array;
  mainFileId: Uint8Array;
}

export function encodeAuxHeader(h: AuxHeader, macKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(AUX_HEADER_SIZE);
  const dv = view(out);
  out.set(MAGIC, 0);
  dv.setUint16(AUX_VERSION_OFFSET, AUX_FORMAT_VERSION);
  out[AUX_KIND_OFFSET] = h.kind;
  out[AUX_CIPHER_OFFSET] = CIPHER_AES_256_GCM;
  dv.setUint32(AUX_BLOCK_SIZE_OFFSET, h.blockSize);
  out.set(h.fileId, AUX_FILE_ID_OFFSET);
  out.set(h.mainFileId, AUX_MAIN_FILE_ID_OFFSET);
  out.set(hmacSha256(macKey, out.subarray(0, AUX_MAC_OFFSET)).subarray(0, AUX_MAC_SIZE), AUX_MAC_OFFSET);
  return out;
}

/** Returns the header if it is intact and authentic for this database (either layout version: the caller decides), else null. */
export function decodeAuxHeader(b: Uint8Array, macKey: Uint8Array, expect: { kind: number; blockSize: number; mainFileId: Uint8Array }): AuxHeader | null {
  if (b.length < AUX_HEADER_SIZE || !startsWith(b, MAGIC)) return null;
  const mac = hmacSha256(macKey, b.subarray(0, AUX_MAC_OFFSET)).subarray(0, AUX_MAC_SIZE);
  if (!constantTimeEqual(mac, b.subarray(AUX_MAC_OFFSET, AUX_MAC_OFFSET + AUX_MAC_SIZE))) return null;
  const dv = view(b);
  const version = dv.getUint16(AUX_VERSION_OFFSET);
  if ((version !== AUX_FORMAT_VERSION && version !== AUX_FORMAT_VERSION_UNSEALED) || b[AUX_KIND_OFFSET] !== expect.kind || b[AUX_CIPHER_OFFSET] !== CIPHER_AES_256_GCM) return null;
  if (dv.getUint32(AUX_BLOCK_SIZE_OFFSET) !== expect.blockSize) return null;
  const mainFileId = b.slice(AUX_MAIN_FILE_ID_OFFSET, AUX_MAIN_FILE_ID_OFFSET + FILE_ID_SIZE);
  if (!constantTimeEqual(mainFileId, expect.mainFileId)) return null;
  return { version, kind: expect.kind, blockSize: expect.blockSize, fileId: b.slice(AUX_FILE_ID_OFFSET, AUX_FILE_ID_OFFSET + FILE_ID_SIZE), mainFileId };
}
