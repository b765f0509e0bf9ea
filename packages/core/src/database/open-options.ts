/**
 * The options `Database.open` takes, their defaults and their validation (every bad value is an
 * INVALID_ARGUMENT before anything is read or written).
 */
import type { AeadKeyFactory } from '../crypto/aead.js';
import type { NewPasskeySlot } from '../container/keyslots.js';
import { fastestAead } from '../crypto/default-aead.js';
import { DEFAULT_KDF, validateKdfParams } from '../crypto/kdf.js';
import { invalidArgument } from '../errors.js';
import { DEFAULT_BLOCK_SIZE, isValidBlockSize } from '../format/constants.js';
import type { SyncStorage } from '../storage/sync-file.js';
import type { JournalMode, KdfParams, KeyMaterial } from '../types.js';

export interface OpenOptions {
  /** Where the encrypted files live (OPFS in the browser, memory or a directory in Node). */
  storage: SyncStorage;
  /** Database file name within `storage`. */
  name: string;
  /** Create the database when it does not exist (default `true`). */
  create?: boolean;
  /** Page size = encryption block size, fixed at creation (power of two, 512..65536; default 4096). */
  pageSize?: number;
  /** Argon2id parameters used when *creating* a password keyslot (default: 64 MiB, t=3, p=1). */
  kdf?: Partial<KdfParams>;
  /** SQLite page cache in KiB (decrypted pages live here; default 32768 = 32 MiB). */
  cacheSizeKiB?: number;
  /**
   * Journal mode (default `TRUNCATE`). `WAL` runs in exclusive locking mode (no shared memory
   * needed): one durable commit is one flush instead of four, several times faster for small
   * transactions on OPFS (see docs/PERFORMANCE.md); crash- and plaintext-tested like the rollback
   * modes, but the key-management functions (backup, rekey, restore) are validated only with
   * rollback journals so far.
   */
  journalMode?: JournalMode;
  /** `PRAGMA synchronous` level (default `FULL`). */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
}

export type DatabaseOpenOptions = OpenOptions & KeyMaterial;

/** Options that are not part of the public contract (tests, benchmarks). */
export interface InternalOpenOptions {
  /** AES-GCM implementation (default: the fastest available, see crypto/). */
  aead?: AeadKeyFactory;
  /** Encryptions per key epoch (default 2^14); tests lower it to exercise rollover. */
  epochWriteLimit?: number;
  /**
   * Creating with a passkey: the slot's salt (the one its PRF output was made for), credential
   * id and label. Rekey and backup copy the passkey slot that proved `current` this way.
   */
  passkeySlot?: NewPasskeySlot;
}

const DEFAULT_CACHE_KIB = 32 * 1024;
const JOURNAL_MODES: readonly string[] = ['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY', 'OFF', 'WAL'] satisfies JournalMode[];
const SYNCHRONOUS_LEVELS: readonly string[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

export interface ResolvedOptions {
  storage: SyncStorage;
  name: string;
  create: boolean;
  pageSize: number;
  kdf: KdfParams;
  cacheSizeKiB: number;
  journalMode: string;
  synchronous: string;
  aead: AeadKeyFactory;
  epochWriteLimit: number | undefined;
  passkeySlot: NewPasskeySlot | undefined;
}

export function validateOpenOptions(o: DatabaseOpenOptions, internal: InternalOpenOptions = {}): ResolvedOptions {
  if (!o || typeof o !== 'object') invalidArgument('open() needs an options object');
  if (!o.storage || typeof o.storage.open !== 'function') invalidArgument('options.storage must be a SyncStorage');
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 200 || /[/\\\0]/.test(o.name)) {
    invalidArgument('options.name must be a non-empty file name (no slashes), at most 200 characters');
  }
  if (/-(journal|wal)$/.test(o.name)) invalidArgument('options.name must not end in -journal or -wal');
  const pageSize = o.pageSize ?? DEFAULT_BLOCK_SIZE;
  if (!isValidBlockSize(pageSize)) invalidArgument('options.pageSize must be a power of two between 512 and 65536');
  const kdf = { ...DEFAULT_KDF, ...(o.kdf ?? {}) };
  validateKdfParams(kdf, 'option');
  const journalMode = o.journalMode ?? 'TRUNCATE';
  if (!JOURNAL_MODES.includes(journalMode)) invalidArgument(`unsupported journalMode ${String(journalMode)}`);
  const synchronous = o.synchronous ?? 'FULL';
  if (!SYNCHRONOUS_LEVELS.includes(synchronous)) invalidArgument(`unsupported synchronous ${String(synchronous)}`);
  const cacheSizeKiB = o.cacheSizeKiB ?? DEFAULT_CACHE_KIB;
  if (!Number.isInteger(cacheSizeKiB) || cacheSizeKiB < 64) invalidArgument('options.cacheSizeKiB must be an integer ≥ 64');
  return {
    storage: o.storage,
    name: o.name,
    create: o.create ?? true,
    pageSize,
    kdf,
    cacheSizeKiB,
    journalMode,
    synchronous,
    aead: internal.aead ?? defaultAead(),
    epochWriteLimit: internal.epochWriteLimit,
    passkeySlot: internal.passkeySlot,
  };
}

let aeadOverride: AeadKeyFactory | null = null;
/** Sets the process-wide default AES-GCM implementation (the fast path registers itself here). */
export function setDefaultAead(f: AeadKeyFactory | null): void {
  aeadOverride = f;
}
function defaultAead(): AeadKeyFactory {
  return aeadOverride ?? fastestAead();
}

/**
 * The pragmas every open runs, in order. `blockSize` is the container's (fixed at creation).
 * The last statement reads page 1, so a damaged database fails at open.
 */
export function connectionPragmas(o: ResolvedOptions, blockSize: number, walFormat = false): string[] {
  const wal = o.journalMode === 'WAL';
  // A file SQLite last left in WAL mode (the worker's default) opened for a rollback journal: it
  // can only be opened in exclusive mode (below); the journal_mode pragma then checkpoints the
  // WAL and switches the file over, and the connection goes back to normal locking.
  const leaveWal = walFormat && !wal;
  return [
    // WAL without shared memory: SQLite keeps the WAL index in heap memory only when the
    // connection holds the file exclusively — which it may (one worker owns the database;
    // other tabs go through it). Must precede the first read.
    ...(wal || leaveWal ? ['PRAGMA locking_mode = EXCLUSIVE'] : []),
    // Every open, not only a new file's: a database closed (or crashed) before its first page
    // was written has a container but no page, and SQLite would fall back to its compiled-in
    // default. On a file with pages it is a no-op; the VFS refuses any other value anyway.
    `PRAGMA page_size = ${blockSize}`,
    `PRAGMA journal_mode = ${o.journalMode}`,
    ...(leaveWal ? ['PRAGMA locking_mode = NORMAL'] : []),
    // After a checkpoint resets the WAL, truncate it: the next instance gets a fresh file id
    // and WAL frames are only ever appended, never rewritten in place.
    ...(wal ? ['PRAGMA journal_size_limit = 0'] : []),
    `PRAGMA synchronous = ${o.synchronous}`,
    `PRAGMA cache_size = -${o.cacheSizeKiB}`,
    // Temp tables and indices in memory (decrypted working data is not "at rest").
    'PRAGMA temp_store = MEMORY',
    // Forces page 1 to be read and authenticated now, so a damaged database fails at open.
    'SELECT count(*) FROM sqlite_schema',
  ];
}

/** SQLite file header: write and read format versions (1 rollback journal, 2 WAL; sqlite.org/fileformat.html §1.3.4). */
const SQLITE_WRITE_VERSION = 18;
const SQLITE_READ_VERSION = 19;

/**
 * True when page 1's SQLite header says WAL: SQLite opens such a file only in WAL mode. Read
 * before SQLite's first read; a page 1 that does not authenticate yet (a commit cut short, which
 * the hot journal repairs) counts as not WAL and is left to SQLite.
 */
export function isWalFormat(main: { physicalBlocks: number; readBlocks(from: number, count: number, out: Uint8Array): void }, blockSize: number): boolean {
  if (main.physicalBlocks === 0) return false;
  const page = new Uint8Array(blockSize);
  try {
    main.readBlocks(0, 1, page);
    return page[SQLITE_WRITE_VERSION] === 2 && page[SQLITE_READ_VERSION] === 2;
  } catch {
    return false;
  } finally {
    page.fill(0);
  }
}
