/**
 * `create: false` through the worker engine (Node, in-memory platform): a missing database
 * rejects with NOT_FOUND as a typed error on the client side of the wire, creates no file, and
 * the passkey challenge read of a missing database answers the same code.
 */
import { MIN_KDF } from '@cipherlite/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerEngine } from '../src/engine/engine.js';
import type { WorkerEvents } from '../src/shared/protocol.js';
import { FakeOrigin } from './fake-platform.js';

const OPTIONS = { name: 'notes', directory: 'test', kdf: MIN_KDF, logLevel: 'debug' as const };
const SINK: WorkerEvents = { lockState: () => undefined, role: () => undefined, change: () => undefined, progress: () => undefined };

let engines: WorkerEngine[] = [];
afterEach(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  engines = [];
});

function engineOn(origin: FakeOrigin, tab: string): WorkerEngine {
  const engine = new WorkerEngine(origin.tab(tab));
  engines.push(engine);
  return engine;
}

describe('create: false on a missing database', () => {
  it('rejects with NOT_FOUND, creates nothing; after a create the same call opens', async () => {
    const origin = new FakeOrigin();
    const first = engineOn(origin, 'A');
    await expect(first.open({ ...OPTIONS, create: false }, { password: 'pw' }, SINK)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'database "notes" does not exist' });
    expect(origin.files.list()).toEqual([]);
    await expect(first.passkeyChallenges(OPTIONS)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const creator = engineOn(origin, 'B');
    await creator.open(OPTIONS, { password: 'pw' }, SINK);
    await creator.close();
    const reopen = engineOn(origin, 'C');
    const info = await reopen.open({ ...OPTIONS, create: false }, { password: 'pw' }, SINK);
    expect(info.role).toBe('leader');
  });
});
