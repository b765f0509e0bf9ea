/**
 * The unlocked main database container: header copies, data key, key epochs.
 *
 * Open sequence (DESIGN.md "Error policy"):
 *  1. read both header copies; keep those that pass the unkeyed checksum; bounds-check them
 *     (block size, KDF parameters) before anything is allocated;
 *  2. open a keyslot of the copy with the highest sequence — the KDF runs once; no slot opens
 *     → WRONG_KEY, and nothing has been written;
 *  3. check the header MAC under the data key; a copy that fails it is treated like a damaged
 *     copy (the other copy is tried, with the KEK cached — no second KDF run);
 *  4. if the other copy is damaged or stale, rewrite it (repair) — only after the key is proven.
 *
 * Key epochs (docs/FORMAT.md "Nonces"): every block is encrypted under
 * HKDF(DEK, file id, kind, epoch) with a random 96-bit nonce. An epoch is reserved by bumping
 * `nextEpoch` in the header (written and flushed *before* the first block uses it) and is used
 * for at most `epochWriteLimit` encryptions, then a new one is reserved. So no block key ever
 * sees more than 2^14 random nonces, whatever the database's lifetime, crashes included (a
 * crashed session's epoch is never handed out again, because it was persisted first).
 */
import type { AeadKeyFactory } from '../crypto/aead.js';
import { DEFAULT_KDF, headerKdfWork, KdfBudget, MAX_OPEN_KDF_WORK_KIB } from '../crypto/kdf.js';
import { createKeyslot, openKeyslots, type NewPasskeySlot, type SlotSecret, wipeKekCache } from './keyslots.js';
import { randomBytes } from '../crypto/random.js';
import { deriveAuxMacKey, deriveHeaderMacKey } from '../crypto/subkeys.js';
import { wipe } from '../crypto/wipe.js';
import { CipherliteError } from '../errors.js';
import { DEFAULT_EPOCH_WRITE_LIMIT, FILE_ID_SIZE, FILE_KIND, FIRST_EPOCH, MAIN_HEADER_COPY_SIZE, MAIN_HEADER_SIZE } from '../format/constants.js';
import { encodeMainHeader, type Keyslot, type MainHeader, scanMainHeader, verifyMainHeaderMac } from '../format/main-header.js';
import type { SyncFile } from '../storage/sync-file.js';
import { NO_WAL_BINDING, type WalBinding } from '../format/wal-binding.js';
import { NO_JOURNAL, UNBOUND_JOURNAL, type JournalBinding } from '../format/journal-binding.js';
import type { KdfParams } from '../types.js';
import { FileKeyRing, type EpochSource } from './key-ring.js';

/** True when header copy `bytes` carries a valid MAC under `dek` (for the file id it claims). */
function isAuthentic(bytes: Uint8Array, dek: Uint8Array, fileId: Uint8Array): boolean {
  const macKey = deriveHeaderMacKey(dek, fileId);
  try {
    return verifyMainHeaderMac(bytes, macKey);
  } finally {
    wipe(macKey);
  }
}

export interface ContainerOptions {
  aead: AeadKeyFactory;
  /** Encryptions per key epoch; tests lower it to exercise epoch rollover. */
  epochWriteLimit?: number;
}

export interface CreateOptions extends ContainerOptions {
  blockSize: number;
  kdf?: KdfParams;
  /** Use this data key instead of a fresh random one (restore/import re-key paths). */
  dek?: Uint8Array;
  /** Required when `secret` is a passkey: its slot's salt, credential id and label. */
  passkey?: NewPasskeySlot;
}

export class MainContainer implements EpochSource {
  readonly file: SyncFile;
  readonly aead: AeadKeyFactory;
  #header: MainHeader;
  #dek: Uint8Array;
  #macKey: Uint8Array;
  #auxMacKey: Uint8Array;
  /** Index (0 = A, 1 = B) of the copy holding the current header. */
  #current: 0 | 1;
  #epoch = 0;
  #writesInEpoch = 0;
  readonly #epochWriteLimit: number;
  #closed = false;
  /** Index of the keyslot that was opened. */
  readonly openedSlot: number;

  private constructor(file: SyncFile, header: MainHeader, dek: Uint8Array, current: 0 | 1, openedSlot: number, o: ContainerOptions) {
    this.file = file;
    this.aead = o.aead;
    this.#header = header;
    this.#dek = dek;
    this.#macKey = deriveHeaderMacKey(dek, header.fileId);
    this.#auxMacKey = deriveAuxMacKey(dek, header.fileId);
    this.#current = current;
    this.openedSlot = openedSlot;
    this.#epochWriteLimit = o.epochWriteLimit ?? DEFAULT_EPOCH_WRITE_LIMIT;
  }

  /** Writes a brand-new container header into an empty file. */
  static async create(file: SyncFile, secret: SlotSecret, o: CreateOptions): Promise<MainContainer> {
    if (file.getSize() !== 0) throw new CipherliteError('NOT_A_DATABASE', 'refusing to create a database over a non-empty file');
    const fileId = randomBytes(FILE_ID_SIZE);
    const dek = o.dek ? o.dek.slice() : randomBytes(32);
    const slot = await createKeyslot(dek, secret, fileId, o.kdf ?? DEFAULT_KDF, o.passkey);
    const header: MainHeader = { blockSize: o.blockSize, fileId, sequence: 1, nextEpoch: FIRST_EPOCH, createdAt: Date.now(), keyslots: [slot], journal: NO_JOURNAL };
    const c = new MainContainer(file, header, dek, 1, 0, o);
    // Write both copies so either alone can open the file (B gets sequence 1, A sequence 2).
    c.#writeHeader();
    c.#writeHeader();
    return c;
  }

  /**
   * Writes another file's header — its file id, data key and every keyslot — into an empty file:
   * a restore whose result opens with each secret of the original (docs/REPLICA.md "Restore").
   * `dek` must be the key `header`'s keyslots wrap (checked by the caller against the header MAC).
   */
  static adopt(file: SyncFile, header: MainHeader, dek: Uint8Array, o: ContainerOptions): MainContainer {
    if (file.getSize() !== 0) throw new CipherliteError('NOT_A_DATABASE', 'refusing to create a database over a non-empty file');
    // The original's WAL binding (if any) stays behind: the new file has no WAL yet.
    const fresh: MainHeader = {
      blockSize: header.blockSize,
      fileId: header.fileId,
      sequence: 1,
      nextEpoch: header.nextEpoch,
      createdAt: header.createdAt,
      keyslots: header.keyslots.slice(),
      journal: NO_JOURNAL,
    };
    const c = new MainContainer(file, fresh, dek.slice(), 1, 0, o);
    c.#writeHeader();
    c.#writeHeader();
    return c;
  }

  /**
   * Reads the header and opens it with `secret`. Throws NOT_A_DATABASE / WRONG_KEY / CORRUPT.
   *
   * Copies are tried newest first. The copy used must open with `secret` *and* pass its MAC. A
   * newer copy that did not open decides the outcome only if it is authentic under the data key
   * just recovered: then it is the genuine current header, the secret is no longer valid there
   * (a password change that crashed between its two copy writes), and the result is WRONG_KEY.
   * A newer copy that is not authentic is damage or tampering (e.g. a stale copy whose sequence
   * was raised): it is ignored, and repaired from the authentic copy once the open succeeds.
   */
  static async unlock(file: SyncFile, secret: SlotSecret, o: ContainerOptions): Promise<MainContainer> {
    const raw = new Uint8Array(MAIN_HEADER_SIZE);
    const n = file.read(raw, { at: 0 });
    const scan = scanMainHeader(raw.subarray(0, n));
    if (scan.kind === 'sqlite') {
      throw new CipherliteError('NOT_A_DATABASE', 'this is a plain (unencrypted) SQLite database, not a cipherlite database; use importPlaintext to encrypt it');
    }
    if (scan.kind === 'too-short') throw new CipherliteError('NOT_A_DATABASE', `file is too short to be a cipherlite database (${scan.length} bytes)`);
    if (scan.problem !== null) throw new CipherliteError('NOT_A_DATABASE', scan.problem);
    const valid = scan.valid;

    const kekCache = new Map<string, Uint8Array>();
    // One budget for the whole attempt, both copies (docs/FORMAT.md "Keyslot": MAX_OPEN_KDF_WORK_KIB).
    const budget = new KdfBudget();
    let anySlotOpened = false;
    let slotCorruption: CipherliteError | null = null;
    const notOpened: typeof valid = [];
    try {
      for (const candidate of valid) {
        let opened: { index: number; dek: Uint8Array } | null;
        try {
          opened = await openKeyslots(candidate.header.keyslots, candidate.header.fileId, secret, kekCache, { budget });
        } catch (e) {
          // The secret matched a slot's commitment but the slot does not unwrap: this copy is damaged.
          if (!(e instanceof CipherliteError) || e.code !== 'CORRUPT') throw e;
          slotCorruption = e;
          continue;
        }
        if (!opened) {
          notOpened.push(candidate);
          continue;
        }
        anySlotOpened = true;
        if (!isAuthentic(candidate.bytes, opened.dek, candidate.header.fileId)) {
          wipe(opened.dek);
          continue;
        }
        // A newer copy that is genuine but does not take this secret: the secret was revoked.
        if (notOpened.some((newer) => isAuthentic(newer.bytes, opened.dek, newer.header.fileId))) {
          wipe(opened.dek);
          throw new CipherliteError('WRONG_KEY', 'wrong password or key');
        }
        const c = new MainContainer(file, candidate.header, opened.dek, candidate.index, opened.index, o);
        const other = valid.find((v) => v.index !== candidate.index);
        c.#needsRepair = !other || other.header.sequence !== candidate.header.sequence - 1 || !isAuthentic(other.bytes, opened.dek, other.header.fileId);
        c.#newestCopyCertain = !c.#needsRepair;
        return c;
      }
    } finally {
      wipeKekCache(kekCache);
    }
    if (anySlotOpened) throw new CipherliteError('CORRUPT', 'the database header failed authentication (tampered or damaged)', { fileKind: 'main' });
    if (slotCorruption) throw slotCorruption;
    if (budget.exhausted)
      throw new CipherliteError('WRONG_KEY', 'wrong password or key (the header copies ask for more key-derivation work than one open attempt may spend; not every slot was tried)');
    throw new CipherliteError('WRONG_KEY', 'wrong password or key');
  }

  #needsRepair = false;
  #newestCopyCertain = true;

  /**
   * False when the copy in use was chosen because the other one is damaged, stale-looking or not
   * authentic: that one may have been a write newer (vfs/journal-guard.ts relies on it).
   */
  get newestCopyCertain(): boolean {
    return this.#newestCopyCertain;
  }

  /**
   * Takes the journal binding's `open` as `closed` (same journal) — in memory; the repair after a
   * successful open writes it. Only when the newest copy is not certain (vfs/journal-guard.ts).
   */
  assumeJournalClosed(): void {
    const b = this.journalBinding;
    if (b.state !== 'open' || this.#newestCopyCertain) return;
    this.#header = { ...this.#header, journal: { state: 'closed', id: b.id } };
    this.#needsRepair = true;
  }

  /** Rewrites the stale or damaged header copy from the current one (after the key is proven). */
  repairIfNeeded(): boolean {
    if (!this.#needsRepair) return false;
    this.#writeHeader();
    this.#needsRepair = false;
    return true;
  }

  get header(): Readonly<MainHeader> {
    return this.#header;
  }
  get blockSize(): number {
    return this.#header.blockSize;
  }
  get fileId(): Uint8Array {
    return this.#header.fileId;
  }
  get auxMacKey(): Uint8Array {
    this.#assertOpen();
    return this.#auxMacKey;
  }
  /** The data key, borrowed: wiped by close(). Never leaves the worker. */
  get dek(): Uint8Array {
    this.#assertOpen();
    return this.#dek;
  }

  #assertOpen(): void {
    if (this.#closed) throw new CipherliteError('LOCKED', 'the database is locked');
  }

  /**
   * A-then-B alternation: write the copy that is not current, flush, then it becomes current.
   * `header` (default: the current one) is in force only once written: a failed write leaves the
   * header as it was on storage. `flush: false` leaves the flush to the caller's next one (the
   * database file's own sync); the current copy is flushed before the other one is ever written,
   * so a torn write can never reach both copies.
   */
  #writeHeader(header: MainHeader = this.#header, flush = true): void {
    if (this.#unflushed) {
      this.file.flush();
      this.#unflushed = false;
    }
    const target = (1 - this.#current) as 0 | 1;
    const next: MainHeader = { ...header, sequence: header.sequence + 1 };
    const bytes = encodeMainHeader(next, this.#macKey);
    const n = this.file.write(bytes, { at: target * MAIN_HEADER_COPY_SIZE });
    if (n !== bytes.length) throw new CipherliteError('IO', 'short header write');
    if (flush) this.file.flush();
    this.#unflushed = !flush;
    this.#header = next;
    this.#current = target;
  }

  /** The current copy was written without a flush (`#writeHeader`). */
  #unflushed = false;

  /** Replaces the keyslots (password change, recovery key) — one crash-safe header update. */
  setKeyslots(slots: Keyslot[]): void {
    this.#assertOpen();
    const work = headerKdfWork(slots);
    if (work > MAX_OPEN_KDF_WORK_KIB) {
      throw new CipherliteError(
        'INVALID_ARGUMENT',
        `the password slots would ask for ${work} KiB-passes of Argon2id work together; one open attempt may spend at most ${MAX_OPEN_KDF_WORK_KIB} (use cheaper parameters or fewer password slots)`,
      );
    }
    this.#header = { ...this.#header, keyslots: slots };
    this.#writeHeader();
    // Also refresh the older copy so a stale copy cannot later open with the old password.
    this.#writeHeader();
  }

  /** The WAL generations this file may meet (format/wal-binding.ts). */
  get walBinding(): WalBinding {
    return this.#header.wal ?? NO_WAL_BINDING;
  }

  /** Records a new WAL binding: one crash-safe header write (vfs/wal-guard.ts decides when). */
  setWalBinding(wal: WalBinding): void {
    this.#assertOpen();
    this.#writeHeader({ ...this.#header, wal });
  }

  /** Whether a transaction may be in flight, and under which rollback journal (format/journal-binding.ts). */
  get journalBinding(): JournalBinding {
    return this.#header.journal ?? UNBOUND_JOURNAL;
  }

  /**
   * Records a new journal binding: one crash-safe header write (vfs/journal-guard.ts decides when
   * and whether it is flushed now or by the database file's next sync).
   */
  setJournalBinding(journal: JournalBinding, o: { flush: boolean }): void {
    this.#assertOpen();
    this.#writeHeader({ ...this.#header, journal }, o.flush);
  }

  /**
   * Salts of the WAL as the VFS last saw it on storage (read when it was opened, or written by a
   * restart), or null when it held no WAL header; undefined when unknown in this session.
   */
  walOnStorage: readonly [number, number] | null | undefined = undefined;

  nextWriteEpoch(): number {
    if (this.#epoch === 0 || this.#writesInEpoch >= this.#epochWriteLimit) {
      this.#assertOpen();
      // Persist the reservation before the first block is encrypted under this epoch.
      const epoch = this.#header.nextEpoch;
      if (epoch >= 0xffffffff) throw new CipherliteError('IO', 'key epochs exhausted; rekey the database');
      this.#header = { ...this.#header, nextEpoch: epoch + 1 };
      this.#writeHeader();
      this.#epoch = epoch;
      this.#writesInEpoch = 0;
    }
    this.#writesInEpoch++;
    return this.#epoch;
  }

  /** Current epoch counters, for stats and tests. */
  get epochInfo(): { current: number; writesInEpoch: number; nextEpoch: number; limit: number } {
    return { current: this.#epoch, writesInEpoch: this.#writesInEpoch, nextEpoch: this.#header.nextEpoch, limit: this.#epochWriteLimit };
  }

  ringFor(fileId: Uint8Array, kind: number): FileKeyRing {
    return new FileKeyRing(this.dek, fileId, kind, this.aead);
  }

  mainRing(): FileKeyRing {
    return this.ringFor(this.#header.fileId, FILE_KIND.main);
  }

  /** Wipes every key this container holds. The SyncFile is closed by its owner. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    wipe(this.#dek, this.#macKey, this.#auxMacKey);
  }
}
