/**
 * What can be told about a stored file *without any key*: the plaintext container header.
 * Used by `cipherlite info`. Reports public facts only (block size, file id, keyslot kinds and
 * KDF parameters, sequence numbers); the header MAC cannot be checked without the data key, so
 * everything here is "as claimed by the file", which the report says.
 */
import { CipherliteError } from '../errors.js';
import { startsWith } from '../format/bytes.js';
import { FORMAT_VERSION, MAGIC, MAIN_HEADER_COPY_SIZE, MAIN_HEADER_SIZE, SQLITE_MAGIC, slotSize } from '../format/constants.js';
import { decodeMainHeaderCopy, type MainHeader } from '../format/main-header.js';
import type { SyncFile } from '../storage/sync-file.js';
import { hex, keyslotInfo } from './_shared.js';
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

/** Describes `file` from its plaintext header. Never throws for bad content; reports it. */
export function describeContainer(file: SyncFile): ContainerInfo {
  const size = file.getSize();
  const raw = new Uint8Array(Math.min(size, MAIN_HEADER_SIZE));
  const n = file.read(raw, { at: 0 });
  const head = raw.subarray(0, n);
  if (startsWith(head, SQLITE_MAGIC)) {
    return { kind: 'sqlite', fileSizeBytes: size, note: 'a plain (unencrypted) SQLite database' };
  }
  if (!startsWith(head, MAGIC)) {
    return { kind: 'unknown', fileSizeBytes: size, note: size === 0 ? 'empty file' : 'not a cipherlite database (no cipherlite magic)' };
  }
  const copies: HeaderCopyInfo[] = [];
  const headers: { copy: 'A' | 'B'; header: MainHeader }[] = [];
  for (const [i, copy] of (['A', 'B'] as const).entries()) {
    const bytes = head.subarray(i * MAIN_HEADER_COPY_SIZE, (i + 1) * MAIN_HEADER_COPY_SIZE);
    try {
      const r = decodeMainHeaderCopy(bytes);
      if (r.ok) {
        copies.push({ copy, intact: true, sequence: r.header.sequence });
        headers.push({ copy, header: r.header });
      } else {
        copies.push({ copy, intact: false, problem: r.reason });
      }
    } catch (e) {
      copies.push({ copy, intact: false, problem: e instanceof CipherliteError ? e.message : String(e) });
    }
  }
  headers.sort((a, b) => b.header.sequence - a.header.sequence);
  const best = headers[0];
  if (!best) {
    const problems = copies.map((c) => `${c.copy}: ${c.problem}`).join('; ');
    return { kind: 'unknown', fileSizeBytes: size, note: `cipherlite magic, but no intact header copy (${problems})` };
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
    current: best.copy,
    copies,
    keyslots: h.keyslots.map(keyslotInfo),
  };
}
