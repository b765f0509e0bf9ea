/**
 * Convergence (docs/SYNC.md) over the in-memory log: N ≤ 5 devices run random schedules — offline
 * periods, local transactions, pushes, pulls, schema upgrades, lost requests and answers, crashes
 * in the middle of a rebase — and end identical, equal to a replay of the log, with no
 * acknowledged transaction lost (sync-sim.ts). The same property runs over the replica's log in
 * replica/sync-replica.property.test.ts.
 *
 * Default: SYNC_SCHEDULES (120) schedules; `SYNC_SCHEDULES=2000` for a long run.
 */
import { describe, expect, it } from 'vitest';
import { MemorySyncLog } from '../src/sync/index.js';
import { openDevice } from './sync-helpers.js';
import { convergence } from './sync-sim.js';

const SCHEDULES = Number(process.env['SYNC_SCHEDULES'] ?? 120);

describe('sync convergence (property)', () => {
  it(`${SCHEDULES} random schedules: every device ends identical and equal to a replay of the log; no acknowledged transaction lost`, { timeout: Math.max(120_000, SCHEDULES * 2_000) }, async () => {
    const seen = await convergence(SCHEDULES, () => {
      const log = new MemorySyncLog();
      return Promise.resolve({
        device: (foreignKeys) => openDevice(log, { foreignKeys, deviceEntries: true }),
        reopen: (storage, foreignKeys) => openDevice(log, { storage, foreignKeys, deviceEntries: true }),
        fresh: (foreignKeys) => openDevice(log, { foreignKeys, deviceEntries: true }),
        entries: () => Promise.resolve(log.entries()),
        injectFault: (op, fault) => log.injectFault(op, fault),
        transient: [],
      });
    });
    console.info(`sync convergence: ${JSON.stringify(seen)}`);
    expect(seen.crashesDuringPull).toBeGreaterThan(0);
    expect(seen.conflicts['constraint']).toBeGreaterThan(0);
  });
});
