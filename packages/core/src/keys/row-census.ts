/**
 * Row counts taken from the pages of a copy as they are written, so a backup's `meta` needs no
 * second read of the database (`SELECT count(*)` per table decrypts every leaf page again).
 *
 * Every page SQLite writes to the copy's main file passes through the VFS in plaintext; the census
 * keeps, per page number, what a count needs of a b-tree page (SQLite file format §1.6, "B-tree
 * Pages"): its type, its cell count and, for interior pages, its child page numbers. A page
 * written again replaces its record, so at the end the records describe the copy's final content.
 * Counting a table then walks its b-tree from the root page in memory: a table b-tree's rows are
 * the cells of its leaves; an index b-tree's (a WITHOUT ROWID table) are the cells of every page.
 *
 * Nothing here is trusted beyond the counts: the pages were authenticated when the source was
 * read, and any page the walk cannot account for (never written, not a b-tree page, a cycle)
 * makes `rows` return null, and the caller counts that table with SQL instead.
 */
import type { Database as SqliteDb } from '@sqlite.org/sqlite-wasm';
import { ident, USER_TABLE_ROOTS } from './_shared.js';
import type { TableInfo } from './types.js';

/** B-tree page types (file format §1.6). */
const INDEX_INTERIOR = 2;
const TABLE_INTERIOR = 5;
const INDEX_LEAF = 10;
const TABLE_LEAF = 13;
/** Page 1 begins with the 100-byte database header; its b-tree header follows it. */
const DB_HEADER_SIZE = 100;
const LEAF_HEADER_SIZE = 8;
const INTERIOR_HEADER_SIZE = 12;

interface PageRecord {
  type: number;
  cells: number;
  /** Left children of the cells, then the right-most pointer (interior pages only). */
  children: Uint32Array | null;
}

export class RowCensus {
  readonly #pageSize: number;
  readonly #pages = new Map<number, PageRecord | null>();

  constructor(pageSize: number) {
    this.#pageSize = pageSize;
  }

  /**
   * Records a write of the main file. Borrows `data` for the call only (a view of SQLite's
   * memory): everything kept is copied out.
   */
  observe(data: Uint8Array, offset: number): void {
    const size = this.#pageSize;
    if (offset % size !== 0 || data.length % size !== 0) {
      // Not whole pages: forget what these bytes touch, so a count over them falls back to SQL.
      for (let p = Math.floor(offset / size); p * size < offset + data.length; p++) this.#pages.set(p + 1, null);
      return;
    }
    for (let at = 0; at < data.length; at += size) {
      const page = offset / size + at / size + 1;
      this.#pages.set(page, parse(data.subarray(at, at + size), page === 1 ? DB_HEADER_SIZE : 0));
    }
  }

  /** Rows of the b-tree rooted at `root`, or null when its pages do not account for them. */
  rows(root: number): number | null {
    const seen = new Set<number>();
    const stack = [root];
    let rows = 0;
    while (stack.length > 0) {
      const page = stack.pop()!;
      if (seen.has(page)) return null;
      seen.add(page);
      const r = this.#pages.get(page);
      if (!r) return null;
      if (r.type === TABLE_LEAF || r.type === INDEX_LEAF || r.type === INDEX_INTERIOR) rows += r.cells;
      if (r.children) for (const child of r.children) stack.push(child);
    }
    return rows;
  }
}

/** The record of one page, or null when it is not a b-tree page this census can read. */
function parse(page: Uint8Array, h: number): PageRecord | null {
  const type = page[h]!;
  if (type !== INDEX_INTERIOR && type !== TABLE_INTERIOR && type !== INDEX_LEAF && type !== TABLE_LEAF) return null;
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const cells = view.getUint16(h + 3);
  if (type === INDEX_LEAF || type === TABLE_LEAF) return h + LEAF_HEADER_SIZE + 2 * cells <= page.length ? { type, cells, children: null } : null;
  const pointers = h + INTERIOR_HEADER_SIZE;
  if (pointers + 2 * cells > page.length) return null;
  const children = new Uint32Array(cells + 1);
  for (let i = 0; i < cells; i++) {
    const cell = view.getUint16(pointers + 2 * i);
    if (cell + 4 > page.length) return null;
    children[i] = view.getUint32(cell);
  }
  children[cells] = view.getUint32(h + 8);
  return { type, cells, children };
}

/**
 * Row counts of every user table of `db` (the copy), from `census`; a table whose b-tree the
 * census cannot account for (a virtual table, rootpage 0) is counted with SQL. Progress: tables.
 */
export function censusCounts(db: SqliteDb, census: RowCensus, onCount?: (done: number, total: number) => void): TableInfo[] {
  const roots: { name: string; root: number }[] = [];
  db.exec({
    sql: USER_TABLE_ROOTS,
    rowMode: 'array',
    callback: (row: unknown[]) => void roots.push({ name: String(row[0]), root: Number(row[1]) }),
  });
  onCount?.(0, roots.length);
  return roots.map(({ name, root }, i) => {
    const rows = census.rows(root) ?? Number(db.selectValue(`SELECT count(*) FROM ${ident(name)}`));
    onCount?.(i + 1, roots.length);
    return { name, rows };
  });
}
