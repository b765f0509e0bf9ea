/**
 * What can be told about a stored file *without any key*: the plaintext container header.
 * Used by `cipherlite info`. Reports public facts only (block size, file id, keyslot kinds and
 * KDF parameters, sequence numbers); the header MAC cannot be checked without the data key, so
 * everything here is "as claimed by the file", which the report says.
 */
import { hex, startsWith } from '../format/bytes.js';
import { FORMAT_VERSION, MAGIC, MAIN_HEADER_SIZE, slotSize } from '../format/constants.js';
import { scanMainHeader } from '../format/main-header.js';
import type { SyncFile } from '../storage/sync-file.js';
import { keyslotInfo } from './_shared.js';
import type { KeyslotInfo } from './types.js';

export interface HeaderCopyInfo {
  copy: 'A' | 'B';
  /** Passed the unkeyed checksum and bounds checks. */
  intact: boolean;
  /** Why not, when not intact. */
  problem?: string;
  sequence?: number;
}

export type ContainerInfo =
  | {
      kind: 'cipherlite';
      formatVersion: number;
      cipher: 'AES-256-GCM';
      fileSizeBytes: number;
      blockSize: number;
      /** Complete encrypted slots after the header (a partial trailing slot counts as one). */
      blocks: number;
      fileId: string;
      createdAt: number;
      nextEpoch: number;
      /** The copy open would use (highest sequence among intact copies). */
      current: 'A' | 'B';
      copies: HeaderCopyInfo[];
      keyslots: KeyslotInfo[];
    }
  | { kind: 'sqlite'; fileSizeBytes: number; note: string }
  | { kind: 'unknown'; fileSizeBytes: number; note: string };

/**
 * Describes `file` from its plaintext header. Never throws for bad content; reports it. Judges
 * the file with the same keyless reading open uses (`scanMainHeader`), so whatever open refuses
 * as NOT_A_DATABASE is reported here as not a cipherlite database.
 */
export function describeContainer(file: SyncFile): ContainerInfo {
  const size = file.getSize();
  const raw = new Uint8Array(Math.min(size, MAIN_HEADER_SIZE));
  const n = file.read(raw, { at: 0 });
  const scan = scanMainHeader(raw.subarray(0, n));
  if (scan.kind === 'sqlite') return { kind: 'sqlite', fileSizeBytes: size, note: 'a plain (unencrypted) SQLite database' };
  if (scan.kind === 'too-short') {
    return { kind: 'unknown', fileSizeBytes: size, note: size === 0 ? 'empty file' : `too short to be a cipherlite database (${size} bytes; the header alone is ${MAIN_HEADER_SIZE})` };
  }
  const copies: HeaderCopyInfo[] = scan.copies.map((c) => {
    const copy = c.index === 0 ? 'A' : 'B';
    return c.ok ? { copy, intact: true, sequence: c.header.sequence } : { copy, intact: false, problem: c.reason };
  });
  const best = scan.valid[0];
  if (!best) {
    const magic = startsWith(raw, MAGIC) ? 'cipherlite magic, but ' : '';
    return { kind: 'unknown', fileSizeBytes: size, note: `${magic}no intact header copy (${scan.problem}; ${copies.map((c) => `${c.copy}: ${c.problem}`).join('; ')})` };
  }
  const h = best.header;
  const data = Math.max(0, size - MAIN_HEADER_SIZE);
  return {
    kind: 'cipherlite',
    formatVersion: FORMAT_VERSION,
    cipher: 'AES-256-GCM',
    fileSizeBytes: size,
    blockSize: h.blockSize,
    blocks: Math.ceil(data / slotSize(h.blockSize)),
    fileId: hex(h.fileId),
    createdAt: h.createdAt,
    nextEpoch: h.nextEpoch,
    current: best.index === 0 ? 'A' : 'B',
    copies,
    keyslots: h.keyslots.map(keyslotInfo),
  };
}
