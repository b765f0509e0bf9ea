/**
 * Which database pages an xWrite touched, for a replica that pushes only what changed.
 *
 * - Main file: the pages covered by the byte range written (SQLite writes whole pages, and the
 *   first 100 bytes of page 1 on their own in some paths).
 * - WAL (wal.c): after the 32-byte WAL header, frame k sits at `WAL_HEADER + k·(FRAME_HEADER +
 *   pageSize)`; SQLite writes each frame header as its own 24-byte xWrite, and its first 4 bytes
 *   (big-endian) are the page number the frame holds.
 * - Rollback journals hold old page images: nothing the replica needs.
 */
export const WAL_HEADER_SIZE = 32;
export const WAL_FRAME_HEADER_SIZE = 24;

/** Calls `onPage` for each page number the write names (none for a write that is not a page or frame header). */
export function reportPageWrites(file: 'main' | 'wal', data: Uint8Array, offset: number, pageSize: number, onPage: (pgno: number) => void): void {
  if (file === 'main') {
    if (data.length === 0) return;
    const first = Math.floor(offset / pageSize) + 1;
    const last = Math.floor((offset + data.length - 1) / pageSize) + 1;
    for (let pgno = first; pgno <= last; pgno++) onPage(pgno);
    return;
  }
  if (data.length !== WAL_FRAME_HEADER_SIZE || offset < WAL_HEADER_SIZE) return;
  if ((offset - WAL_HEADER_SIZE) % (WAL_FRAME_HEADER_SIZE + pageSize) !== 0) return;
  const pgno = new DataView(data.buffer, data.byteOffset, 4).getUint32(0);
  if (pgno > 0) onPage(pgno);
}
