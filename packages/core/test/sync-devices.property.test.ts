/**
 * Removal as a property (docs/SYNC.md "Device identity and removal"): 3–4 devices ring up sales
 * and sell stock over random schedules of offline periods, pushes and pulls; at a random step one
 * device removes another, which goes on selling offline and, past its engine, appends its pending
 * changes signed with its own key (what a removed device holding the data key can do). At the end
 * the remaining devices and a device replaying the log hold the same rows, report the same refused
 * entries, and hold nothing the removed device wrote after its removal — while every sale it had
 * pushed before is there. `SYNC_DEVICE_SCHEDULES` runs more.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEntry } from '../src/sync/codec.js';
import { signEntry } from '../src/sync/devices.js';
import { MemorySyncLog, type SyncRefusal } from '../src/sync/index.js';
import { expectCode } from './helpers.js';
import { contentHash, openDevice, settle, type Device } from './sync-helpers.js';

const SCHEDULES = Number(process.env['SYNC_DEVICE_SCHEDULES'] ?? 60);

type Step = { t: 'sale' | 'sell' | 'push' | 'pull'; d: number } | { t: 'remove'; by: number } | { t: 'forge' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constantFrom('sale' as const, 'sell' as const, 'push' as const, 'pull' as const), d: fc.integer({ min: 0, max: 3 }) }), weight: 8 },
  { arbitrary: fc.record({ t: fc.constant('remove' as const), by: fc.integer({ min: 0, max: 3 }) }), weight: 1 },
  { arbitrary: fc.constant({ t: 'forge' as const }), weight: 2 },
);

interface Tablet extends Device {
  id: string;
  refusals: SyncRefusal[];
}

async function tablet(log: MemorySyncLog): Promise<Tablet> {
  const d = await openDevice(log, { deviceEntries: true });
  const refusals: SyncRefusal[] = [];
  d.sync.onRefused((r) => refusals.push(r));
  return { ...d, id: (await d.sync.status()).device, refusals };
}

/** The removed device appends its oldest pending change at the tip, signed with its own key. */
async function forge(log: MemorySyncLog, r: Tablet): Promise<void> {
  const row = await r.db.get<{ tx: number; changeset: Uint8Array }>('SELECT tx, changeset FROM _cipherlite_sync_pending ORDER BY tx LIMIT 1');
  if (!row) return;
  const key = (await r.db.get<{ value: Uint8Array }>(`SELECT value FROM _cipherlite_sync_state WHERE key = 'signing_key'`))!.value;
  const seq = log.entries().length + 1;
  const payload = await signEntry(key, seq, r.id, encodeEntry({ kind: 'changeset', tx: Number(row.tx), changeset: row.changeset }, true));
  expect(await log.tryAppend(seq, { device: r.id, payload })).toBe('ok');
}

describe('device removal (property)', () => {
  it(`${SCHEDULES} random schedules: a removed device's later writes are refused alike by every device; its earlier ones stay`, { timeout: 900_000 }, async () => {
    let refusedSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 3, max: 4 }), fc.array(step, { minLength: 6, maxLength: 30 }), async (n, steps) => {
        const log = new MemorySyncLog();
        const devices: Tablet[] = [];
        for (let k = 0; k < n; k++) devices.push(await tablet(log));
        await devices[0]!.sync.transaction((tx) => tx.exec(`INSERT INTO items (id, name, price, stock) VALUES (1, 'tea', 3, 1000)`));
        await devices[0]!.sync.push();
        const r = devices[n - 1]!;
        let removed = false;
        let orders = 0;
        /** Sales of the removed device that a push of its own confirmed before it was removed. */
        const acknowledged = new Set<string>();
        const rSales: string[] = [];
        try {
          for (const s of steps) {
            if (s.t === 'remove') {
              const by = devices[s.by % (n - 1)]!;
              if (!removed) await by.sync.removeDevice(r.id);
              removed = true;
            } else if (s.t === 'forge') {
              if (removed) await forge(log, r);
            } else {
              const d = devices[s.d % n]!;
              if (s.t === 'sale') {
                const id = `${d === r && removed ? 'late' : 'ok'}-${++orders}`;
                await d.sync.transaction((tx) => tx.exec('INSERT INTO orders (id, item, qty, device) VALUES (?, 1, 1, ?)', [id, d.id]));
                if (d === r) rSales.push(id);
              } else if (s.t === 'sell') {
                await d.sync.transaction((tx) => tx.exec('UPDATE items SET stock = stock - 1 WHERE id = 1'));
              } else if (d === r && removed) {
                await expectCode(s.t === 'push' ? d.sync.push() : d.sync.pull(), 'SYNC_DEVICE_REMOVED');
              } else {
                await d.sync[s.t]();
                if (d === r && s.t === 'push') rSales.forEach((id) => acknowledged.add(id));
              }
            }
          }
          // The removed device's own sales before its removal reach the log first (it does not know yet).
          if (!removed) {
            await settle([r]);
            rSales.forEach((id) => acknowledged.add(id));
            await devices[0]!.sync.removeDevice(r.id);
          } else {
            await expectCode(r.sync.push(), 'SYNC_DEVICE_REMOVED');
          }
          await forge(log, r);
          const rest = devices.slice(0, n - 1);
          await settle(rest);
          const replay = await tablet(log);
          await replay.sync.pull();
          const all = [...rest, replay];
          const hashes = await Promise.all(all.map((d) => contentHash(d.db)));
          expect(new Set(hashes).size, 'every device and the replay hold the same rows').toBe(1);
          const refusals = JSON.stringify(replay.refusals);
          for (const d of rest) expect(JSON.stringify(d.refusals), 'the same refusals everywhere').toBe(refusals);
          expect(replay.refusals.every((x) => x.device === r.id && x.reason === 'removed')).toBe(true);
          refusedSeen += replay.refusals.length;
          expect(await replay.db.query(`SELECT id FROM orders WHERE id LIKE 'late-%'`), 'nothing written after the removal').toEqual([]);
          const inLog = new Set((await replay.db.query<{ id: string }>(`SELECT id FROM orders WHERE device = ?`, [r.id])).map((o) => o.id));
          expect(
            [...acknowledged].filter((id) => !inLog.has(id)),
            'sales it pushed before its removal are kept',
          ).toEqual([]);
          await replay.db.close();
        } finally {
          for (const d of devices) await d.db.close();
        }
      }),
      { numRuns: SCHEDULES },
    );
    expect(refusedSeen, 'the schedules forged at least one refused entry').toBeGreaterThan(0);
  });
});
