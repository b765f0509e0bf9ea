/**
 * NodeFsStorage never writes through a symbolic link (storage/node-fs.ts). A side file of a
 * database — its journal, its WAL — that is a link planted in the database's directory used to
 * make the database write its journal into the file the link names: a file elsewhere overwritten
 * with journal bytes, or created where a dangling link pointed. Now every such open is IO, and
 * the file the link names stays as it was (or absent).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Database, NodeFsStorage } from '../src/node.js';
import { expectCode } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'cl-links-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const key = new Uint8Array(32).fill(3);

it('a journal, WAL or ~new that is a symbolic link (to a short file, or dangling): IO, the named file untouched', async () => {
  let n = 0;
  for (const side of ['-journal', '-wal', '~new']) {
    for (const target of ['short file', 'dangling']) {
      const dir = join(root, `case-${n++}`);
      const seed = await Database.open({ storage: new NodeFsStorage(dir), name: 'a.db', key });
      await seed.exec('CREATE TABLE t(x)');
      await seed.close();
      const named = join(root, `named-${n}`);
      if (target === 'short file') writeFileSync(named, 'precious');
      rmSync(join(dir, `a.db${side}`), { force: true });
      symlinkSync(named, join(dir, `a.db${side}`));
      const label = `${side} → ${target}`;
      const work = async (): Promise<void> => {
        const db = await Database.open({ storage: new NodeFsStorage(dir), name: 'a.db', key, create: false, ...(side === '-wal' ? { journalMode: 'WAL' as const } : {}) });
        try {
          await db.exec('INSERT INTO t VALUES (randomblob(20000))');
          // A rekey writes its copy to ~new.
          if (side === '~new') await (await import('../src/keys/index.js')).rekey(db, { key }).then((r) => r.db.close());
        } finally {
          if (!db.closed) await db.close().catch(() => undefined);
        }
      };
      const e = await expectCode(work(), 'IO');
      expect(e.message, label).toMatch(/symbolic link/);
      if (target === 'short file') expect(readFileSync(named, 'utf8'), label).toBe('precious');
      else expect(existsSync(named), label).toBe(false);
    }
  }
});
