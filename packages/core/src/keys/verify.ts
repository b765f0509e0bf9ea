/**
 * verify and stats: read-only health and size reports of an open database.
 *
 * verify runs `PRAGMA integrity_check` and authenticates every stored block (main file, and the
 * rollback journal or WAL when one is present with content); a main-file block that
 * integrity_check's own reads authenticated is not decrypted a second time. Both run inside the database's queue
 * between two calls, when SQLite holds no lock and has closed its journal (our VFS does not claim
 * SQLITE_IOCAP_UNDELETABLE_WHEN_OPEN, so the pager closes the journal when it unlocks).
 */
import { internals } from '../database/internals.js';
import type { Database } from '../database/database.js';
import { CipherliteError } from '../errors.js';
import { AUX_PREFIX_SIZE, auxSlotsOffset, FILE_KIND, FORMAT_VERSION, slotSize } from '../format/constants.js';
import { AuxFile, auxFileOptions, readAuxHeader, readAuxSeal, rescueGuard } from '../vfs/aux-file.js';
import type { SyncFile } from '../storage/sync-file.js';
import { EncryptedFile } from '../vfs/encrypted-file.js';
import { hex } from '../format/bytes.js';
import { checkProgress, ident, keyslotInfo, storedSize, userTables, verifyBlocks, withReadProgress } from './_shared.js';
import { checkSignal, Pacer } from './cancel.js';
import type { DatabaseStats, ProgressCallback, TableStats, VerifyFailure, VerifyResult } from './types.js';

export interface VerifyOptions {
  /**
   * `main` / `journal`: blocks authenticated; `integrity`: pages integrity_check read from
   * storage, up to the page count (pages in the page cache are not read, so it may jump to the end).
   */
  onProgress?: ProgressCallback<'main' | 'journal' | 'integrity'>;
  /** Cancels the check (CANCELLED) between slices of blocks; verify writes nothing, so nothing is left behind. */
  signal?: AbortSignal;
}

/** Runs integrity_check and authenticates every block. Never throws for damage: it reports it. */
export async function verify(db: Database, options: VerifyOptions = {}): Promise<VerifyResult> {
  const onProgress = checkProgress(options.onProgress);
  const pacer = new Pacer(checkSignal(options.signal), 'verify');
  pacer.check();
  const auxNames = AUX_FILES.map(({ suffix }) => `${db.name}${suffix}`).filter((n) => db.storage.exists(n));
  if (auxNames.length > 0) await db.storage.prepare?.(auxNames);
  return internals(db).exclusive(async () => {
    const failures: VerifyFailure[] = [];
    const main = internals(db).binding.main;
    main.flushBuffers();

    // integrity_check first: it reads (and so authenticates) nearly every page through the VFS,
    // and the block pass then decrypts only the blocks it did not read from storage (pages in
    // SQLite's cache, free pages, pages after the first failure) — one decryption per block
    // instead of two. Every block is still authenticated by one of the two.
    pacer.check();
    const conn = internals(db).sqlite.db;
    // The main file's block count is its page count; asking SQLite could fail on a damaged page 1.
    const pages = main.physicalBlocks;
    const report = onProgress && ((done: number, total: number) => onProgress({ phase: 'integrity', done, total }));
    const { result: integrity, authenticated } = main.withReadTracking((): string[] => {
      try {
        return withReadProgress(db, pages, report, () => internals(db).call(() => conn.selectValues('PRAGMA integrity_check').map(String)));
      } catch (e) {
        report?.(pages, pages);
        return [e instanceof Error ? e.message : String(e)];
      }
    });

    // In slices with pauses: the queue slot is held throughout, so no write lands in between.
    const bad = await verifyBlocks(main, (done, total) => onProgress?.({ phase: 'main', done, total }), pacer, authenticated);
    for (const block of bad) failures.push({ file: 'main', block, page: block + 1 });
    let blocksChecked = main.physicalBlocks;
    if (main.physicalBlocks === 0) onProgress?.({ phase: 'main', done: 0, total: 0 });

    for (const { suffix, kind, file } of AUX_FILES) {
      const aux = await verifyAuxFile(db, `${db.name}${suffix}`, kind, (done, total) => onProgress?.({ phase: 'journal', done, total }), pacer);
      blocksChecked += aux.checked;
      for (const block of aux.failed) failures.push({ file, block });
    }

    const ok = failures.length === 0 && integrity.length === 1 && integrity[0] === 'ok';
    return { ok, blocksChecked, failures, integrity };
  });
}

/** The files next to a database that verify authenticates, besides the database itself. */
const AUX_FILES = [
  { suffix: '-journal', kind: FILE_KIND.journal, file: 'journal' },
  { suffix: '-wal', kind: FILE_KIND.wal, file: 'wal' },
] as const;

/**
 * Authenticates the blocks of a journal or WAL left on storage, with the layout and header rule
 * the VFS uses (vfs/aux-file.ts): a file with no complete block holds no content; a header that
 * fails authentication in front of content is a failure (block -1 = the header); every block of
 * an authentic one must authenticate. Reads through its own handle and closes only that handle.
 */
async function verifyAuxFile(db: Database, name: string, kind: number, onProgress: (done: number, total: number) => void, pacer: Pacer): Promise<{ checked: number; failed: number[] }> {
  const storage = db.storage;
  if (!storage.exists(name)) return { checked: 0, failed: [] };
  const c = internals(db).container;
  const file = storage.open(name, { create: false });
  try {
    // A side file the next open would refuse (seal, WAL binding) is a failure even when every block authenticates.
    if (wouldBeRefused(file, kind, db)) return { checked: 0, failed: [HEADER_BLOCK] };
    if (file.getSize() <= AUX_PREFIX_SIZE) return { checked: 0, failed: [] };
    let header;
    try {
      header = readAuxHeader(file, kind, c);
    } catch (e) {
      if (!(e instanceof CipherliteError) || e.code !== 'CORRUPT') throw e;
      return { checked: 0, failed: [HEADER_BLOCK] };
    }
    if (!header) return { checked: 0, failed: [] };
    const ring = c.ringFor(header.fileId, kind);
    try {
      let ef: EncryptedFile;
      try {
        const sequence = readAuxSeal(file, kind, c, header)?.sequence ?? -1;
        const guard = rescueGuard(
          kind,
          c,
          () => header.fileId,
          () => sequence,
        );
        ef = new EncryptedFile(auxFileOptions(file, kind, c, header.fileId, ring, guard));
      } catch (e) {
        // Its size could not even be established: an interior block failed (encrypted-file.ts).
        if (!(e instanceof CipherliteError) || e.code !== 'CORRUPT') throw e;
        const slots = Math.floor((file.getSize() - auxSlotsOffset(c.blockSize)) / slotSize(c.blockSize));
        return { checked: slots, failed: [e.details.block ?? 0] };
      }
      try {
        const failed = await verifyBlocks(ef, onProgress, pacer);
        return { checked: ef.physicalBlocks, failed };
      } finally {
        ef.discard();
      }
    } finally {
      ring.destroy();
    }
  } finally {
    file.close();
  }
}

/**
 * Whether opening `file` the way the VFS does (vfs/aux-file.ts) fails CORRUPT: cut below its
 * seal, stale, or a WAL the database file was not checkpointed from. Writes nothing.
 */
function wouldBeRefused(file: SyncFile, kind: number, db: Database): boolean {
  const { container, main } = internals(db).binding;
  try {
    new AuxFile(file, kind, container, main).destroy();
    return false;
  } catch (e) {
    if (!(e instanceof CipherliteError) || e.code !== 'CORRUPT') throw e;
    return true;
  }
}

/** Block index reported when a journal's or WAL's header (not a block) failed. */
const HEADER_BLOCK = -1;

export interface StatsOptions {
  /** `tables`: tables counted. */
  onProgress?: ProgressCallback<'tables'>;
}

/** Sizes, format facts, keyslots (no secrets), key epochs and per-table rows and bytes. */
export async function stats(db: Database, options: StatsOptions = {}): Promise<DatabaseStats> {
  internals(db).requireRollbackJournal('stats');
  const onProgress = checkProgress(options.onProgress);
  const names = [db.name, `${db.name}-journal`];
  // Sizes via our own handles, taken inside the queue (SQLite has its journal closed then).
  return internals(db).exclusive(async () => {
    const files = [];
    for (const name of names) {
      if (name === db.name) files.push({ name, bytes: internals(db).binding.main.file.getSize() });
      else if (db.storage.exists(name)) files.push({ name, bytes: await storedSize(db.storage, name) });
    }
    const { sqlite3, db: conn } = internals(db).sqlite;
    const c = internals(db).container;
    const pageSize = Number(conn.selectValue('PRAGMA page_size'));
    const pageCount = Number(conn.selectValue('PRAGMA page_count'));
    const freePages = Number(conn.selectValue('PRAGMA freelist_count'));
    const bytesBy = new Map<string, { table: number; index: number }>();
    internals(db).call(() =>
      conn.exec({
        sql: `SELECT s.tbl_name AS tbl, s.type AS type, SUM(d.pgsize) AS bytes
                FROM dbstat AS d JOIN sqlite_schema AS s ON s.name = d.name
               GROUP BY s.tbl_name, s.type`,
        rowMode: 'object',
        callback: (row: unknown) => {
          const r = row as { tbl: string; type: string; bytes: number };
          const e = bytesBy.get(r.tbl) ?? { table: 0, index: 0 };
          if (r.type === 'index') e.index += Number(r.bytes);
          else e.table += Number(r.bytes);
          bytesBy.set(r.tbl, e);
        },
      }),
    );
    const tableNames = internals(db).call(() => userTables(sqlite3, conn));
    const tables: TableStats[] = tableNames.map((name, i) => {
      const rows = Number(internals(db).call(() => conn.selectValue(`SELECT count(*) FROM ${ident(name)}`)));
      onProgress?.({ phase: 'tables', done: i + 1, total: tableNames.length });
      const b = bytesBy.get(name) ?? { table: 0, index: 0 };
      return { name, rows, bytes: b.table, indexBytes: b.index };
    });
    if (tableNames.length === 0) onProgress?.({ phase: 'tables', done: 0, total: 0 });
    const keyslots = c.header.keyslots.map(keyslotInfo);
    return {
      totalBytes: files.reduce((n, f) => n + f.bytes, 0),
      files,
      pageSize,
      blockSize: c.blockSize,
      pageCount,
      freePages,
      formatVersion: FORMAT_VERSION,
      cipher: 'AES-256-GCM',
      fileId: hex(c.fileId),
      createdAt: c.header.createdAt,
      keyslotCount: keyslots.length,
      keyslots,
      epoch: c.epochInfo,
      tables,
    };
  });
}
