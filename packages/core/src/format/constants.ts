/**
 * The on-disk container format, as named constants (docs/FORMAT.md describes it byte by byte).
 *
 * Every file the VFS stores is a container: a plaintext header, then fixed-size encrypted slots.
 * Logical block i (B bytes of SQLite's file) lives in slot i:
 *
 *   slot = epoch (u32 BE) ‖ length (u32 BE) ‖ nonce (12) ‖ ciphertext (B) ‖ tag (16)
 *
 * `epoch` selects the per-file block key (see crypto/subkeys.ts and docs/FORMAT.md "Nonces");
 * `length` is how many bytes of the block are part of the logical file (B for every block but
 * possibly the last of a journal), which is how journals get their exact size back.
 */

/** "cipherlt": identifies a cipherlite container of any kind. */
export const MAGIC = new Uint8Array([0x63, 0x69, 0x70, 0x68, 0x65, 0x72, 0x6c, 0x74]);
export const FORMAT_VERSION = 1;
/** Cipher id 1 = AES-256-GCM with 96-bit random nonces and 128-bit tags. */
export const CIPHER_AES_256_GCM = 1;

/** File kinds, stored in headers and bound into every block's AAD and key. */
export const FILE_KIND = {
  main: 1,
  journal: 2,
  wal: 3,
  temp: 4,
} as const;
export type FileKind = keyof typeof FILE_KIND;
export function fileKindName(kind: number): FileKind | 'unknown' {
  for (const [name, value] of Object.entries(FILE_KIND)) if (value === kind) return name as FileKind;
  return 'unknown';
}

export const MIN_BLOCK_SIZE = 512;
export const MAX_BLOCK_SIZE = 65536;
export const DEFAULT_BLOCK_SIZE = 4096;
export function isValidBlockSize(b: number): boolean {
  return Number.isInteger(b) && b >= MIN_BLOCK_SIZE && b <= MAX_BLOCK_SIZE && (b & (b - 1)) === 0;
}

// ---- slots ----
export const SLOT_EPOCH_OFFSET = 0;
export const SLOT_LENGTH_OFFSET = 4;
export const SLOT_NONCE_OFFSET = 8;
export const SLOT_CIPHERTEXT_OFFSET = 20;
export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
/** Bytes a slot adds to each block: epoch 4 + length 4 + nonce 12 + tag 16. */
export const SLOT_OVERHEAD = 36;
export const slotSize = (blockSize: number): number => blockSize + SLOT_OVERHEAD;
export const slotOffset = (headerSize: number, blockSize: number, index: number): number => headerSize + index * slotSize(blockSize);

/** Epoch 0 is never used, so an all-zero slot can never authenticate (docs/DESIGN.md "Format decisions": an all-zero slot is never an empty page). */
export const FIRST_EPOCH = 1;
/**
 * Encryptions allowed under one block key (one epoch of one file) before the epoch advances.
 * 2^14 keeps the nonce-collision probability ≤ 2^-50 for 2^33 block writes in total; the
 * argument is in docs/FORMAT.md.
 */
export const DEFAULT_EPOCH_WRITE_LIMIT = 1 << 14;

// ---- AAD (bound to every block) ----
// magic 8 ‖ version u16 ‖ kind u8 ‖ file id 16 ‖ block index u64 ‖ length u32 ‖ epoch u32
export const AAD_SIZE = 8 + 2 + 1 + 16 + 8 + 4 + 4;
export const AAD_INDEX_OFFSET = 27;
export const AAD_LENGTH_OFFSET = 35;
export const AAD_EPOCH_OFFSET = 39;

// ---- main database header: two copies (A at 0, B at 4096) ----
export const MAIN_HEADER_COPY_SIZE = 4096;
export const MAIN_HEADER_SIZE = 2 * MAIN_HEADER_COPY_SIZE;
export const FILE_ID_SIZE = 16;
export const MAX_KEYSLOTS = 4;
export const KEYSLOT_SIZE = 256;

// ---- journal / WAL layout: header ‖ rescue area ‖ slots ----
// The one place this layout is computed: the VFS, open, verify and the tests all read it here.
/** Journal / WAL / temp header (format/aux-header.ts). */
export const AUX_HEADER_SIZE = 64;
/** The rescue area (journals, WAL) starts right after the header: block index u64 ‖ one slot. */
export const RESCUE_OFFSET = AUX_HEADER_SIZE;
export const RESCUE_INDEX_SIZE = 8;
export const rescueAreaSize = (blockSize: number): number => RESCUE_INDEX_SIZE + slotSize(blockSize);
/** Where slot 0 of a journal or WAL starts. */
export const auxSlotsOffset = (blockSize: number): number => RESCUE_OFFSET + rescueAreaSize(blockSize);
/** Smallest stored size of a journal or WAL that holds one complete block (below it: no content). */
export const auxMinContentSize = (blockSize: number): number => auxSlotsOffset(blockSize) + slotSize(blockSize);

/** First 16 bytes of a plain SQLite database file. */
export const SQLITE_MAGIC: Uint8Array<ArrayBuffer> = new TextEncoder().encode('SQLite format 3\0');
