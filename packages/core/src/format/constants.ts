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

// ---- journal / WAL layout: header ‖ seal records ‖ rescue area ‖ slots ----
// The one place this layout is computed: the VFS, open, verify and the tests all read it here.
/** Journal / WAL / temp header (format/aux-header.ts): magic 8 ‖ version u16 ‖ kind u8 ‖ cipher u8 ‖ block size u32 ‖ file id 16 ‖ main file id 16 ‖ MAC 16. */
export const AUX_HEADER_SIZE = 64;
export const AUX_VERSION_OFFSET = 8;
export const AUX_KIND_OFFSET = 10;
export const AUX_CIPHER_OFFSET = 11;
export const AUX_BLOCK_SIZE_OFFSET = 12;
export const AUX_FILE_ID_OFFSET = 16;
export const AUX_MAIN_FILE_ID_OFFSET = 32;
export const AUX_MAC_OFFSET = 48;
export const AUX_MAC_SIZE = 16;
/**
 * Version of the journal / WAL layout, in the header's version field: 2 added the seal records.
 * A version-1 journal or WAL has no seal, so how far it was complete cannot be told: refused.
 */
export const AUX_FORMAT_VERSION = 2;
export const AUX_FORMAT_VERSION_UNSEALED = 1;

// ---- seal records (format/aux-seal.ts): two copies right after the header ----
// sequence u64 ‖ sealed size u64 ‖ main change counter u32 ‖ flags u32 ‖ MAC 16
export const SEAL_OFFSET = AUX_HEADER_SIZE;
export const SEAL_COPIES = 2;
export const SEAL_SEQUENCE_OFFSET = 0;
export const SEAL_SIZE_OFFSET = 8;
export const SEAL_COUNTER_OFFSET = 16;
export const SEAL_FLAGS_OFFSET = 20;
export const SEAL_MAC_OFFSET = 24;
export const SEAL_MAC_SIZE = 16;
export const SEAL_RECORD_SIZE = SEAL_MAC_OFFSET + SEAL_MAC_SIZE;
/** Flag: `counter` holds the main file's change counter (it was readable when sealed). */
export const SEAL_FLAG_COUNTER = 1;
export const sealRecordOffset = (copy: number): number => SEAL_OFFSET + copy * SEAL_RECORD_SIZE;
/** Header and seal records: a file no longer than this holds no block (its creation was torn, or it is empty). */
export const AUX_PREFIX_SIZE = SEAL_OFFSET + SEAL_COPIES * SEAL_RECORD_SIZE;
/**
 * The rescue area (journals, WAL) starts right after the seal records:
 * block index u64 ‖ seal sequence u64 ‖ MAC 16 ‖ one slot (vfs/aux-file.ts `rescueGuard`).
 */
export const RESCUE_OFFSET = AUX_PREFIX_SIZE;
export const RESCUE_INDEX_SIZE = 8;
export const RESCUE_SEQUENCE_OFFSET = RESCUE_INDEX_SIZE;
export const RESCUE_MAC_OFFSET = RESCUE_SEQUENCE_OFFSET + 8;
export const RESCUE_MAC_SIZE = 16;
/** Where the rescued slot starts within the rescue area. */
export const RESCUE_SLOT_OFFSET = RESCUE_MAC_OFFSET + RESCUE_MAC_SIZE;
export const rescueAreaSize = (blockSize: number): number => RESCUE_SLOT_OFFSET + slotSize(blockSize);
/** Where slot 0 of a journal or WAL of the previous layout (AUX_FORMAT_VERSION_UNSEALED: header ‖ index ‖ slot ‖ slots) starts. */
export const unsealedAuxSlotsOffset = (blockSize: number): number => AUX_HEADER_SIZE + RESCUE_INDEX_SIZE + slotSize(blockSize);
/** Where slot 0 of a journal or WAL starts. */
export const auxSlotsOffset = (blockSize: number): number => RESCUE_OFFSET + rescueAreaSize(blockSize);
/** Smallest stored size of a journal or WAL that holds one complete block (below it: no content). */
export const auxMinContentSize = (blockSize: number): number => auxSlotsOffset(blockSize) + slotSize(blockSize);

/** First 16 bytes of a plain SQLite database file. */
export const SQLITE_MAGIC: Uint8Array<ArrayBuffer> = new TextEncoder().encode('SQLite format 3\0');

// ---- WAL binding in the main header (format/wal-binding.ts), in the reserved area after the keyslots ----
// flags u32 ‖ current: salt-1 u32 ‖ salt-2 u32 ‖ end u64 ‖ previous: salt-1 u32 ‖ salt-2 u32 ‖ end u64
export const HDR_WAL_BINDING = 64 + MAX_KEYSLOTS * KEYSLOT_SIZE;
export const WAL_BINDING_FLAGS_OFFSET = 0;
export const WAL_BINDING_CURRENT_OFFSET = 4;
export const WAL_BINDING_PREVIOUS_OFFSET = 20;
export const WAL_BINDING_SIZE = 36;
/** Within one generation record: salt-1 u32 ‖ salt-2 u32 ‖ end u64. */
export const WAL_GEN_SALT1_OFFSET = 0;
export const WAL_GEN_SALT2_OFFSET = 4;
export const WAL_GEN_END_OFFSET = 8;
/** Flags: the current / previous generation record is set. Other bits: refused (NOT_A_DATABASE). */
export const WAL_BINDING_FLAG_CURRENT = 1;
export const WAL_BINDING_FLAG_PREVIOUS = 2;
/** Flag: the WAL is bound — a live WAL must be of a recorded generation (set by every binding write; clear only in headers that predate it). */
export const WAL_BINDING_FLAG_BOUND = 4;
/** SQLite's WAL header (wal.c): magic ‖ version ‖ page size ‖ checkpoint sequence ‖ salt-1 ‖ salt-2 ‖ checksum ×2. */
export const SQLITE_WAL_HEADER_SIZE = 32;
export const SQLITE_WAL_PAGE_SIZE_OFFSET = 8;
export const SQLITE_WAL_SALT_OFFSET = 16;
/** SQLite's WAL frame header: page number ‖ commit size ‖ salt-1 ‖ salt-2 ‖ checksum ×2. */
export const SQLITE_WAL_FRAME_HEADER_SIZE = 24;
export const SQLITE_WAL_FRAME_SALT_OFFSET = 8;

// ---- journal binding in the main header (format/journal-binding.ts), right after the WAL binding ----
// state u32 ‖ journal file id 16 ‖ sealed length u64
export const HDR_JOURNAL_BINDING = HDR_WAL_BINDING + WAL_BINDING_SIZE;
export const JOURNAL_BINDING_STATE_OFFSET = 0;
export const JOURNAL_BINDING_ID_OFFSET = 4;
/** State open: how much of the journal was sealed when the database file was last first-written after a seal (0: not recorded — a header of the 20-byte layout). */
export const JOURNAL_BINDING_SEALED_OFFSET = JOURNAL_BINDING_ID_OFFSET + FILE_ID_SIZE;
export const JOURNAL_BINDING_SIZE = JOURNAL_BINDING_SEALED_OFFSET + 8;
/** State: never bound (a header written before this field): any hot journal is played back as before. */
export const JOURNAL_STATE_UNBOUND = 0;
/** State: the database file may hold changes of the transaction whose rollback journal has the recorded file id. */
export const JOURNAL_STATE_OPEN = 1;
/** State: no transaction is in flight; the id is the journal last closed (all zero: none yet). */
export const JOURNAL_STATE_CLOSED = 2;
