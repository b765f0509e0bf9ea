/**
 * Key management on a WAL database through the worker: rekey, backup, restore, export and stats
 * used to refuse WAL with UNSUPPORTED. The leader now checkpoints the WAL into the main file
 * (switching to TRUNCATE for the call) and returns to WAL; rows still only in the WAL are part
 * of every copy, and the database stays in WAL mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_KDF } from '@cipherlite/core';
import { WorkerEngine } from '../src/engine/engine.js';
import { FakeOrigin } from './fake-platform.js';

const KEY = { password: 'wal password' };

let engines: WorkerEngine[] = [];

afterEach(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  engines = [];
});

async function openWal(origin: FakeOrigin, name: string): Promise<WorkerEngine> {
  const engine = new WorkerEngine(origin.tab(name));
  engines.push(engine);
  await engine.open({ name: 'pos', directory: 'test', kdf: MIN_KDF, journalMode: 'WAL' }, KEY, {
    lockState: () => undefined,
    role: () => undefined,
    change: () => undefined,
    progress: () => undefined,
  });
  return engine;
}

async function journalMode(e: WorkerEngine): Promise<unknown> {
  return (await e.run('get', ['PRAGMA journal_mode']))?.journal_mode;
}

describe('key management on a WAL database', () => {
  it('backup, export, stats, rekey, inspect + confirm restore all work and the database stays in WAL', async () => {
    const origin = new FakeOrigin();
    const a = await openWal(origin, 'A');
    await a.run('exec', ['CREATE TABLE items(x)']);
    await a.run('exec', ["INSERT INTO items VALUES ('in the WAL')"]);
    expect(await journalMode(a)).toBe('wal');
    expect(origin.files.exists('pos-wal')).toBe(true);

    const backup = await a.run('backup', [KEY]);
    expect(backup.bytes.length).toBeGreaterThan(0);
    const plain = await a.run('exportPlaintext', []);
    expect(new TextDecoder().decode(plain)).toContain('in the WAL'); // the WAL's row reached the copy
    expect((await a.run('stats', [])).tables).toContainEqual(expect.objectContaining({ name: 'items', rows: 1 }));
    await a.run('rekey', [KEY]);
    expect(await journalMode(a)).toBe('wal');
    expect((await a.run('verify', [])).ok).toBe(true);

    await a.run('exec', ["INSERT INTO items VALUES ('after backup')"]);
    const pending = await a.run('inspectBackup', [backup.bytes, KEY]);
    await a.run('confirmRestore', [pending.id, KEY]);
    expect(await a.run('query', ['SELECT x FROM items'])).toEqual([{ x: 'in the WAL' }]);
    expect(await journalMode(a)).toBe('wal');
    // A follower's call takes the same path on the leader.
    const b = await openWal(origin, 'B');
    expect((await b.run('backup', [KEY])).bytes.length).toBeGreaterThan(0);
  });
});
