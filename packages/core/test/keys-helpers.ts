/**
 * Shared helpers of the keys-*.test.ts suites (not a test file itself).
 *
 * `RecordingStorage` is the crash model: a real `MemoryStorage` behind a thin wrapper that takes a
 * snapshot of every file after each mutating call (write, truncate, delete) — and, optionally, a
 * "torn" snapshot in the middle of each write, with only the first half of the buffer applied.
 * Reopening each snapshot = "the process died right there". Flush is not modelled separately:
 * writes reach the snapshot in program order, which is what a flush-ordered protocol relies on.
 */
import { Database, MemoryStorage, type KeyMaterial, type SyncFile, type SyncStorage } from '../src/index.js';

export const KEY = new Uint8Array(32).fill(7);
export const KEY2 = new Uint8Array(32).fill(9);
/** The minimum Argon2id cost (fast enough for tests). */
export const FAST_KDF = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

export type Snapshot = { label: string; files: Map<string, Uint8Array> };

class RecordingFile implements SyncFile {
  constructor(
    readonly inner: SyncFile,
    readonly owner: RecordingStorage,
    readonly name: string,
  ) {}
  read(buf: Uint8Array, o: { at: number }): number {
    return this.inner.read(buf, o);
  }
  write(buf: Uint8Array, o: { at: number }): number {
    if (this.owner.recording && this.owner.torn && buf.length > 1) {
      const half = Math.floor(buf.length / 2);
      // Apply only the first half, snapshot, then complete the write.
      this.inner.write(buf.subarray(0, half), o);
      this.owner.snap(`torn write ${this.name}@${o.at}+${buf.length}`);
    }
    const n = this.inner.write(buf, o);
    this.owner.snap(`write ${this.name}@${o.at}+${buf.length}`);
    return n;
  }
  truncate(size: number): void {
    this.inner.truncate(size);
    this.owner.snap(`truncate ${this.name} ${size}`);
  }
  getSize(): number {
    return this.inner.getSize();
  }
  flush(): void {
    this.inner.flush();
  }
  close(): void {
    this.inner.close();
  }
}

export class RecordingStorage implements SyncStorage {
  readonly inner: MemoryStorage;
  recording = false;
  torn = false;
  readonly snapshots: Snapshot[] = [];

  /** Only with `{ rename: true }`: the inner storage's atomic rename, one snapshot after it. */
  rename?: (from: string, to: string) => Promise<void>;

  constructor(inner = new MemoryStorage(), o: { rename?: boolean } = {}) {
    this.inner = inner;
    if (o.rename) {
      this.rename = async (from, to) => {
        await this.inner.rename(from, to);
        this.snap(`rename ${from} ${to}`);
      };
    }
  }
  start({ torn = false } = {}): void {
    this.snapshots.length = 0;
    this.recording = true;
    this.torn = torn;
    this.snap('start');
  }
  stop(): Snapshot[] {
    this.snap('end');
    this.recording = false;
    return this.snapshots;
  }
  snap(label: string): void {
    if (this.recording) this.snapshots.push({ label, files: this.inner.snapshot() });
  }
  open(name: string, o: { create: boolean }): SyncFile {
    return new RecordingFile(this.inner.open(name, o), this, name);
  }
  exists(name: string): boolean {
    return this.inner.exists(name);
  }
  delete(name: string): void {
    this.inner.delete(name);
    this.snap(`delete ${name}`);
  }
  list(): string[] {
    return this.inner.list();
  }
}

/** A database with table `t(id, v)` holding `rows` rows of ~100 bytes, plus an index. */
export async function seeded(storage: SyncStorage, rows = 200, o: { name?: string; pageSize?: number } = {}): Promise<Database> {
  const db = await Database.open({ storage, name: o.name ?? 'a.db', key: KEY, ...(o.pageSize ? { pageSize: o.pageSize } : {}) });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL, b BLOB)');
  await db.exec('CREATE INDEX t_v ON t(v)');
  await db.transaction(async (tx) => {
    for (let i = 1; i <= rows; i++) await tx.exec('INSERT INTO t(id, v, b) VALUES (?, ?, ?)', [i, `row-${i}-${'x'.repeat(90)}`, new Uint8Array([i & 255, (i >> 8) & 255])]);
  });
  return db;
}

/** Every row of `t` (and the list of tables) as one comparable string. */
export async function content(db: Database): Promise<string> {
  const tables = await db.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  const rows = await db.query('SELECT id, v, hex(b) AS b FROM t ORDER BY id');
  return JSON.stringify({ tables, rows });
}

export function fileBytes(storage: MemoryStorage, name: string): Uint8Array {
  const f = storage.files.get(name);
  if (!f) throw new Error(`no file ${name}`);
  return f.bytes();
}

/** Opens `name` in a copy of `files`, runs `fn`, closes; returns fn's result or the error code (of open or fn). */
export async function tryOpen<R>(
  files: Map<string, Uint8Array>,
  material: KeyMaterial,
  fn: (db: Database, storage: MemoryStorage) => Promise<R>,
  name = 'a.db',
): Promise<{ ok: true; value: R } | { ok: false; code: string; message: string }> {
  const storage = MemoryStorage.from(files);
  let db: Database;
  try {
    db = await Database.open({ storage, name, ...material, create: false });
  } catch (e) {
    return { ok: false, code: (e as { code?: string }).code ?? 'THROWN', message: String(e) };
  }
  try {
    return { ok: true, value: await fn(db, storage) };
  } catch (e) {
    return { ok: false, code: (e as { code?: string }).code ?? 'THROWN', message: String(e) };
  } finally {
    await db.close().catch(() => undefined);
  }
}
