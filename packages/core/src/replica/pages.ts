/**
 * Page bookkeeping of the writer: reading committed pages through SQLite, page hashes, the pages
 * that changed, a snapshot's time.
 *
 * Pages are read with `sqlite_dbpage` (SQLite's page-image virtual table) inside one read
 * transaction in the database's queue: SQLite's pager serves each page from the WAL when a newer
 * frame is there and from the main file otherwise, so one read sees exactly the last commit in
 * rollback-journal and WAL mode alike.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Database } from '../database/database.js';
import { internals } from '../database/internals.js';
import { decodeManifest } from './payloads.js';
import { manifestName, open } from './format.js';
import { position, type OpenedReplica } from './reader.js';
import { CipherliteError } from '../errors.js';

export function hashPages(pages: Map<number, Uint8Array>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [pgno, page] of pages) out.set(pgno, bytesToHex(sha256(page)));
  return out;
}

/** The pages of `image` whose hash differs from `known` (all of them for a new page), with the new hashes. */
export function diffPages(image: Uint8Array, pageSize: number, known: Map<number, string>): { changed: [number, Uint8Array][]; hashes: Map<number, string>; pageCount: number } {
  const pageCount = image.length / pageSize;
  const changed: [number, Uint8Array][] = [];
  const hashes = new Map<number, string>();
  for (let pgno = 1; pgno <= pageCount; pgno++) {
    const page = image.subarray((pgno - 1) * pageSize, pgno * pageSize);
    const h = bytesToHex(sha256(page));
    hashes.set(pgno, h);
    if (known.get(pgno) !== h) changed.push([pgno, page]);
  }
  return { changed, hashes, pageCount };
}

/** When a snapshot was taken (its manifest's time), for the retention policy's day rule. */
export async function decodeManifestTime(r: OpenedReplica, seq: number): Promise<number> {
  const name = manifestName(r.prefix, r.generation, seq);
  const bytes = await r.store.get(name);
  if (!bytes) throw new CipherliteError('REPLICA_MISSING', `snapshot manifest ${name} is missing`, { object: name });
  return decodeManifest(open('manifest', bytes, name, position(r, seq), r.snapKey), name).time;
}

/** What one read returned: every page (`image`, a full read) or only the pages asked for. */
export type PageRead = { pageSize: number; pageCount: number } & ({ full: true; image: Uint8Array } | { full: false; pages: Map<number, Uint8Array> });

/**
 * Reads committed pages of `db` in one read transaction. `pick` runs inside it, with the page
 * count, and names the pages wanted (null: all of them); nothing can commit between `pick` and
 * the read. BUSY while the caller holds a transaction open (its pages are not committed).
 */
export function readPages(db: Database, pick: (pageCount: number) => ReadonlySet<number> | null): Promise<PageRead> {
  const ins = internals(db);
  return ins.exclusive(() => {
    const { sqlite3, db: conn } = ins.sqlite;
    if (sqlite3.capi.sqlite3_get_autocommit(conn.pointer!) === 0) {
      throw new CipherliteError('BUSY', 'a transaction is open on this database: the replica pushes after it ends');
    }
    const pageSize = ins.container.blockSize;
    ins.call(() => conn.exec('BEGIN'));
    try {
      const pageCount = Number(ins.call(() => conn.selectValue('PRAGMA page_count')));
      const wanted = pick(pageCount);
      if (wanted === null) {
        const image = new Uint8Array(pageCount * pageSize);
        // Each page is copied once, from SQLite's result buffer in the WebAssembly heap straight
        // into `image`: no JavaScript copy per row (a full read is every page of the database, and
        // those copies were a fifth of an initial push's time — and plaintext left to the GC).
        const { capi, wasm } = sqlite3;
        const stmt = ins.call(() => conn.prepare('SELECT pgno, data FROM sqlite_dbpage ORDER BY pgno'));
        try {
          ins.call(() => {
            while (stmt.step()) {
              const pgno = capi.sqlite3_column_int(stmt, 0);
              const n = capi.sqlite3_column_bytes(stmt, 1);
              const at = Number(capi.sqlite3_column_blob(stmt, 1));
              if (pgno < 1 || pgno > pageCount || n !== pageSize)
                throw new CipherliteError('CORRUPT', `sqlite_dbpage returned page ${pgno} of ${n} bytes (expected 1..${pageCount}, ${pageSize} bytes)`);
              image.set(wasm.heap8u().subarray(at, at + n), (pgno - 1) * pageSize);
            }
          });
        } finally {
          stmt.finalize();
        }
        return { pageSize, pageCount, full: true, image };
      }
      const pages = new Map<number, Uint8Array>();
      const stmt = ins.call(() => conn.prepare('SELECT data FROM sqlite_dbpage WHERE pgno = ?'));
      try {
        for (const pgno of wanted) {
          if (pgno < 1 || pgno > pageCount) continue;
          ins.call(() => {
            stmt.bind([pgno]);
            if (stmt.step()) pages.set(pgno, stmt.get(0) as Uint8Array);
            stmt.reset(true);
          });
        }
      } finally {
        stmt.finalize();
      }
      return { pageSize, pageCount, full: false, pages };
    } finally {
      ins.call(() => conn.exec('COMMIT'));
    }
  });
}

/** The pages of `pages` whose hash differs from `known`, with their new hashes. */
export function diffSomePages(pages: Map<number, Uint8Array>, known: Map<number, string>): { changed: [number, Uint8Array][]; hashes: Map<number, string> } {
  const changed: [number, Uint8Array][] = [];
  const hashes = new Map<number, string>();
  for (const [pgno, page] of [...pages].sort((a, b) => a[0] - b[0])) {
    const h = bytesToHex(sha256(page));
    if (known.get(pgno) === h) continue;
    hashes.set(pgno, h);
    changed.push([pgno, page]);
  }
  return { changed, hashes };
}

/** Zero-fills the plaintext pages of a read. */
export function wipeRead(read: PageRead): void {
  if (read.full) read.image.fill(0);
  else for (const page of read.pages.values()) page.fill(0);
}
