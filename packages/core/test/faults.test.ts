/**
 * Injected storage failures (docs/SECURITY-TESTS.md #17, #18): a quota error (or any I/O error) at the
 * N-th write, flush or truncate makes the statement fail with a clear error; SQLite rolls back;
 * the database stays readable and consistent, and accepts writes again once space is freed.
 */
import { describe, expect, it } from 'vitest';
import { Database, MemoryStorage, type SyncFile, type SyncStorage } from '../src/index.js';
import { KEY } from './helpers.js';

type Op = 'write' | 'flush' | 'truncate';

/** Wraps a MemoryStorage; `arm(op, n, error)` makes the n-th such call (counted from arming) throw. */
class FaultyStorage implements SyncStorage {
  readonly inner: MemoryStorage;
  #armed: { op: Op; n: number; make: () => Error; persistent: boolean } | null = null;
  #count = 0;
  fired = 0;
  constructor(inner: MemoryStorage) {
    this.inner = inner;
  }
  arm(op: Op, n: number, make: () => Error, persistent = false): void {
    this.#armed = { op, n, make, persistent };
    this.#count = 0;
    this.fired = 0;
  }
  disarm(): void {
    this.#armed = null;
  }
  #maybeFail(op: Op): void {
    const a = this.#armed;
    if (!a || a.op !== op) return;
    this.#count++;
    if (this.#count === a.n || (a.persistent && this.#count > a.n)) {
      this.fired++;
      throw a.make();
    }
  }
  open(name: string, o: { create: boolean }): SyncFile {
    const f = this.inner.open(name, o);
    return {
      read: (b, at) => f.read(b, at),
      write: (b, at) => {
        this.#maybeFail('write');
        return f.write(b, at);
      },
      truncate: (n) => {
        this.#maybeFail('truncate');
        f.truncate(n);
      },
      getSize: () => f.getSize(),
      flush: () => {
        this.#maybeFail('flush');
        f.flush();
      },
      close: () => f.close(),
    };
  }
  exists(name: string): boolean {
    return this.inner.exists(name);
  }
  delete(name: string): void {
    this.inner.delete(name);
  }
  list(): string[] {
    return this.inner.list();
  }
}

const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
const ioError = () => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });

async function content(db: Database): Promise<string> {
  return JSON.stringify(await db.query('SELECT id, v FROM t ORDER BY id'));
}

async function setup(): Promise<{ storage: FaultyStorage; db: Database; before: string }> {
  const storage = new FaultyStorage(new MemoryStorage());
  const db = await Database.open({ storage, name: 'f.db', key: KEY, cacheSizeKiB: 64 });
  await db.exec(`CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) INSERT INTO t(v) SELECT printf('%0300d', i) FROM n;`);
  return { storage, db, before: await content(db) };
}

const work = (db: Database) => db.exec("UPDATE t SET v = 'changed-' || id || substr(v, 1, 200)");

describe('injected storage faults', () => {
  for (const [label, op, make, code] of [
    ['quota exceeded on write', 'write', quota, 'QUOTA_EXCEEDED'],
    ['I/O error on write', 'write', ioError, 'IO'],
    ['quota exceeded on flush', 'flush', quota, 'QUOTA_EXCEEDED'],
    ['I/O error on truncate', 'truncate', ioError, 'IO'],
  ] as const) {
    it(`${label} at every position: clean error, old or new state (never mixed), writable afterwards`, async () => {
      // The content the update produces, from a fault-free run.
      const reference = await setup();
      await work(reference.db);
      const after = await content(reference.db);
      await reference.db.close();

      let position = 1;
      let failures = 0;
      for (;;) {
        const { storage, db, before } = await setup();
        storage.arm(op, position, make);
        const result: 'ok' | { code: string; message: string } = await work(db).then(
          () => 'ok' as const,
          (e: { code: string; message: string }) => e,
        );
        storage.disarm();
        if (storage.fired === 0) {
          expect(result).toBe('ok'); // past the last such call: the update simply succeeded
          await db.close();
          break;
        }
        failures++;
        const now = await content(db);
        if (result !== 'ok') {
          expect(result.code, `position ${position}: ${result.message}`).toBe(code);
          expect(result.message).not.toMatch(/[0-9a-f]{64}/); // no key material in messages
        }
        // SQLite rolled the statement back — or, for a fault after the commit point (journal
        // clean-up), the commit stands. Never anything in between.
        expect([before, after], `position ${position}`).toContain(now);
        expect(await db.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
        await db.close();
        // Reopening (replaying any hot journal) shows the same state the connection saw.
        const again = await Database.open({ storage, name: 'f.db', key: KEY, cacheSizeKiB: 64 });
        expect(await content(again), `position ${position} after reopen`).toBe(now);
        expect(await again.get('PRAGMA integrity_check')).toEqual({ integrity_check: 'ok' });
        // … and it accepts writes again once the fault has cleared.
        await work(again);
        expect(await content(again)).not.toBe(before);
        await again.close();
        position++;
      }
      expect(failures).toBeGreaterThanOrEqual(1);
    });
  }

  it('a persistent quota error fails every write but keeps the database readable', async () => {
    const { storage, db, before } = await setup();
    storage.arm('write', 1, quota, true);
    for (let i = 0; i < 3; i++) await expect(work(db)).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await content(db)).toBe(before);
    storage.disarm();
    await work(db);
    await db.close();
  });
});
