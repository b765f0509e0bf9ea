/**
 * The convergence property of sync (docs/SYNC.md), over any log ("world"): N ≤ 5 devices run random schedules — offline periods, local
 * transactions (inserts, price edits, counter sales, deletes, orders, unique-key collisions, the
 * same row edited everywhere), pushes, pulls, schema upgrades, lost requests and lost answers, and
 * crashes in the middle of a rebase (the device reopens from its storage as it was at a random
 * write of the pull), with foreign keys enforced in half of the schedules. At the end every device comes online and syncs; then all devices hold the
 * same rows (same content hash), equal to replaying the agreed log on a fresh database, and every
 * acknowledged transaction is in the log exactly once.
 *
 * A world supplies the devices and the log: the in-memory log (sync.property.test.ts) or the
 * replica's log on an object store (replica/sync-replica.property.test.ts).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isCipherliteError, MemoryStorage } from '../src/index.js';
import { decodeEntry } from '../src/sync/codec.js';
import type { LogEntry, LogFault, LogOperation } from '../src/sync/index.js';
import { contentHash, type Device } from './sync-helpers.js';

/** Where the devices of a schedule live and what their log is. */
export interface World {
  /** A device of a new schedule (the first of the schedule may create the log). */
  device(foreignKeys: boolean): Promise<Device>;
  /** A device restarting from `storage`. */
  reopen(storage: MemoryStorage, foreignKeys: boolean): Promise<Device>;
  /** A new device that has seen nothing, for the replay check. */
  fresh(foreignKeys: boolean): Promise<Device>;
  /** Every entry of the log. */
  entries(): Promise<LogEntry[]>;
  /** Makes the next call of `op` by any device fail this way. */
  injectFault(op: LogOperation, fault: LogFault): void;
  /** Codes a log failure may take in this world, besides IO from injected faults. */
  readonly transient: readonly string[];
  /** Releases what the world holds open. */
  close?(): Promise<void>;
}

/** What the schedules exercised, printed once: a run where nothing collided would prove little. */
const seen = { schedules: 0, devices: 0, entries: 0, acknowledged: 0, crashesDuringPull: 0, migrated: 0, conflicts: {} as Record<string, number> };
const MIGRATION = 'ALTER TABLE items ADD COLUMN note TEXT';

type Step =
  | { t: 'insert'; d: number; id: number; sku: number | null }
  | { t: 'price'; d: number; id: number; price: number }
  | { t: 'sell'; d: number; id: number }
  | { t: 'delete'; d: number; id: number }
  | { t: 'order'; d: number; id: number }
  | { t: 'note'; d: number; id: number; note: string }
  | { t: 'migrate'; d: number }
  | { t: 'push' | 'pull' | 'toggle' | 'reopen'; d: number }
  | { t: 'crash-pull'; d: number; at: number }
  | { t: 'fault'; op: LogOperation; fault: LogFault };

export const transientCodes = (sim: Sim): string[] => ['IO', ...sim.world.transient];
const device = fc.integer({ min: 0, max: 4 });
const rowId = fc.integer({ min: 1, max: 5 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('insert' as const), d: device, id: rowId, sku: fc.option(fc.integer({ min: 1, max: 3 })) }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('price' as const), d: device, id: rowId, price: fc.integer({ min: 0, max: 500 }) }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('sell' as const), d: device, id: rowId }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('delete' as const), d: device, id: rowId }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('order' as const), d: device, id: rowId }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('note' as const), d: device, id: rowId, note: fc.constantFrom('a', 'b', 'c') }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('migrate' as const), d: device }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constantFrom('push' as const, 'pull' as const), d: device }), weight: 5 },
  { arbitrary: fc.record({ t: fc.constantFrom('toggle' as const, 'reopen' as const), d: device }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('crash-pull' as const), d: device, at: fc.integer({ min: 0, max: 8 }) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('fault' as const), op: fc.constantFrom<LogOperation>('read', 'append'), fault: fc.constantFrom<LogFault>('lost-request', 'lost-response') }), weight: 2 },
);

interface Sim {
  world: World;
  /** PRAGMA foreign_keys on every device (orders.item references items). */
  foreignKeys: boolean;
  devices: Device[];
  online: boolean[];
  /** `${device id}/${tx}` of every transaction whose sync.transaction() resolved with changes. */
  acknowledged: Set<string>;
  orders: number;
}

/** A step's expected failures: IO from the log's faults, SQL from the app's own constraint errors. */
async function tolerate(p: Promise<unknown>, ...codes: string[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isCipherliteError(e) || !codes.includes(e.code)) throw e;
  }
}

async function local(sim: Sim, d: number, sql: string, params: (string | number | null)[]): Promise<void> {
  const dev = sim.devices[d]!;
  const before = await dev.sync.status();
  await tolerate(
    dev.sync.transaction((tx) => tx.exec(sql, params)),
    'SQL',
  );
  const after = await dev.sync.status();
  if (after.pending > before.pending) sim.acknowledged.add(`${before.device}/${before.nextTx}`);
}

async function reopen(sim: Sim, d: number, snapshot: Map<string, Uint8Array>): Promise<void> {
  await sim.devices[d]!.db.close();
  sim.devices[d] = track(await sim.world.reopen(MemoryStorage.from(snapshot), sim.foreignKeys));
}

function track(dev: Device): Device {
  dev.sync.onConflict((c) => {
    if (c.origin === 'log') seen.conflicts[c.reason] = (seen.conflicts[c.reason] ?? 0) + 1;
  });
  return dev;
}

async function run(sim: Sim, s: Step): Promise<void> {
  if (s.t === 'fault') return sim.world.injectFault(s.op, s.fault);
  const d = s.d % sim.devices.length;
  const dev = sim.devices[d]!;
  const online = sim.online[d]!;
  switch (s.t) {
    case 'insert':
      return local(sim, d, 'INSERT INTO items (id, name, price, stock, sku) VALUES (?, ?, 100, 20, ?)', [s.id, `item ${s.id} by ${d}`, s.sku === null ? null : `SKU${s.sku}`]);
    case 'price':
      return local(sim, d, 'UPDATE items SET price = ? WHERE id = ?', [s.price, s.id]);
    case 'sell':
      return local(sim, d, 'UPDATE items SET stock = stock - 1 WHERE id = ? AND stock > 0', [s.id]);
    case 'delete':
      return local(sim, d, 'DELETE FROM items WHERE id = ?', [s.id]);
    case 'order':
      return local(sim, d, 'INSERT INTO orders (id, item, qty, device) VALUES (?, ?, 1, ?)', [`o${sim.orders++}`, s.id, `d${d}`]);
    case 'note':
      if ((await dev.sync.status()).schemaVersion < 2) return;
      return local(sim, d, 'UPDATE items SET note = ? WHERE id = ?', [s.note, s.id]);
    case 'migrate':
      if (online) await tolerate(dev.sync.migrate(2, MIGRATION), ...transientCodes(sim));
      return;
    case 'push':
    case 'pull':
      if (online) await tolerate(s.t === 'push' ? dev.sync.push() : dev.sync.pull(), ...transientCodes(sim));
      return;
    case 'toggle':
      sim.online[d] = !online;
      return;
    case 'reopen':
      return reopen(sim, d, dev.storage.snapshot());
    case 'crash-pull': {
      if (!online) return;
      let writes = 0;
      let crashed: Map<string, Uint8Array> | null = null;
      dev.storage.onMutate = () => {
        if (writes++ === s.at) crashed = dev.storage.snapshot();
      };
      await tolerate(dev.sync.pull(), ...transientCodes(sim));
      dev.storage.onMutate = null;
      if (crashed) seen.crashesDuringPull++;
      return reopen(sim, d, crashed ?? dev.storage.snapshot());
    }
  }
}

/** Everyone online, faults drained: sync until nobody has pending transactions and all agree. */
async function settleWithFaults(sim: Sim): Promise<void> {
  for (let round = 0; round < 20; round++) {
    for (const dev of sim.devices) await tolerate(dev.sync.push(), ...transientCodes(sim));
    for (const dev of sim.devices) await tolerate(dev.sync.pull(), ...transientCodes(sim));
    const statuses = await Promise.all(sim.devices.map((dev) => dev.sync.status()));
    const tip = (await sim.world.entries()).length;
    if (statuses.every((st) => st.pending === 0 && st.seq === tip)) return;
  }
  throw new Error('devices did not settle');
}

/**
 * Runs the convergence property `schedules` times in worlds made by `makeWorld` (one per
 * schedule); returns what this run's schedules exercised.
 */
export async function convergence(schedules: number, makeWorld: () => Promise<World>): Promise<typeof seen> {
  Object.assign(seen, { schedules: 0, devices: 0, entries: 0, acknowledged: 0, crashesDuringPull: 0, migrated: 0, conflicts: {} });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.boolean(), fc.array(step, { minLength: 5, maxLength: 40 }), async (n, foreignKeys, steps) => {
      const world = await makeWorld();
      const sim: Sim = { world, foreignKeys, devices: [], online: [], acknowledged: new Set(), orders: 0 };
      for (let i = 0; i < n; i++) {
        sim.devices.push(track(await world.device(foreignKeys)));
        sim.online.push(true);
      }
      try {
        for (const s of steps) await run(sim, s);
        sim.online.fill(true);
        await settleWithFaults(sim);
        const hashes = await Promise.all(sim.devices.map((dev) => contentHash(dev.db)));
        const replay = await world.fresh(foreignKeys);
        await replay.sync.pull();
        hashes.push(await contentHash(replay.db));
        seen.migrated += Number((await replay.sync.status()).schemaVersion === 2);
        await replay.db.close();
        const entries = await world.entries();
        seen.schedules++;
        seen.devices += n;
        seen.entries += entries.length;
        seen.acknowledged += sim.acknowledged.size;
        expect(new Set(hashes).size, 'devices and replay hold the same rows').toBe(1);
        const logged = entries.flatMap((e) => {
          const entry = decodeEntry(e.payload, e.seq);
          return entry.kind === 'changeset' ? [`${e.device}/${entry.tx}`] : [];
        });
        expect(new Set(logged).size, 'no transaction is in the log twice').toBe(logged.length);
        expect(
          [...sim.acknowledged].filter((a) => !logged.includes(a)),
          'acknowledged transactions missing from the log',
        ).toEqual([]);
      } finally {
        for (const dev of sim.devices) await dev.db.close();
        await world.close?.();
      }
    }),
    { numRuns: schedules },
  );
  return seen;
}
