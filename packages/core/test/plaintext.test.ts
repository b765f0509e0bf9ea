/**
 * Zero plaintext at rest (docs/SECURITY-TESTS.md #23, #24): after workloads that touch rows, schema,
 * indexes, the rollback journal and temp files, no stored byte reveals a marker or SQLite's magic.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../src/index.js';
import { findPlaintext, openWithKey } from './helpers.js';

const MARKERS = ['ZEBRAMARKER_ROW', 'TABLEMARKERQX', 'COLUMNMARKERQX', 'INDEXMARKERQX', 'SQLite format 3', 'CREATE TABLE'];

describe('zero plaintext at rest', () => {
  for (const journalMode of ['WAL', 'TRUNCATE', 'DELETE', 'PERSIST'] as const) {
    it(`leaves no marker in any stored file (journal_mode=${journalMode})`, async () => {
      const storage = new MemoryStorage();
      // Scan every buffer as it is written, so a journal that is later truncated or deleted is
      // still checked as it was on storage (a leaked block would be inside one write).
      const everWritten = new Map<string, Uint8Array>();
      const leaks: string[] = [];
      storage.onWrite = (file, bytes) => {
        everWritten.set(`${file.name}@${everWritten.size}`, new Uint8Array(0));
        leaks.push(...findPlaintext(new Map([[file.name, bytes]]), MARKERS));
      };
      const db = await openWithKey(storage, 'plain.db', { journalMode, cacheSizeKiB: 64 });
      await db.exec('CREATE TABLE TABLEMARKERQX(id INTEGER PRIMARY KEY, COLUMNMARKERQX TEXT)');
      await db.exec('CREATE INDEX INDEXMARKERQX ON TABLEMARKERQX(COLUMNMARKERQX)');
      await db.transaction(async (tx) => {
        for (let i = 0; i < 1500; i++) await tx.exec('INSERT INTO TABLEMARKERQX(COLUMNMARKERQX) VALUES (?)', [`ZEBRAMARKER_ROW-${i}-${'x'.repeat(80)}`]);
      });
      // Updates of many pages with a small cache: forces journal writes and cache spills.
      await db.exec("UPDATE TABLEMARKERQX SET COLUMNMARKERQX = COLUMNMARKERQX || '-ZEBRAMARKER_ROW'");
      // A sort that spills to a temp file.
      await db.exec('PRAGMA temp_store = FILE');
      const sorted = await db.query('SELECT COLUMNMARKERQX FROM TABLEMARKERQX ORDER BY random() LIMIT 3');
      expect(sorted).toHaveLength(3);
      await db.exec('DELETE FROM TABLEMARKERQX WHERE id % 2 = 0');
      await db.exec('VACUUM');
      await db.close();
      const finalFiles = storage.snapshot();
      expect(everWritten.size).toBeGreaterThan(10);
      expect([...everWritten.keys()].some((k) => k.startsWith('plain.db-journal'))).toBe(true);
      expect(findPlaintext(finalFiles, MARKERS)).toEqual([]);
      expect(leaks).toEqual([]);
    });
  }

  it('still finds the markers through SQL (the scan would see them if they were stored)', async () => {
    const storage = new MemoryStorage();
    const db = await openWithKey(storage, 'p.db');
    await db.exec('CREATE TABLE t(x)');
    await db.exec('INSERT INTO t VALUES (?)', ['ZEBRAMARKER_ROW']);
    expect(await db.get('SELECT x FROM t')).toEqual({ x: 'ZEBRAMARKER_ROW' });
    await db.close();
    // Sanity check of the scanner itself on a file that does contain the marker.
    expect(findPlaintext(new Map([['x', new TextEncoder().encode('..ZEBRAMARKER_ROW..')]]), ['ZEBRAMARKER_ROW'])).toHaveLength(1);
  });
});
