/**
 * Device identity and removal (docs/SYNC.md "Device identity and removal"), over the in-memory
 * log: device entries, signatures, refusals that every device makes alike, removal, the
 * migration from logs written before device entries. Hostile writers are simulated by appending
 * to the log directly, with keys taken from a device's own database.
 */
import { describe, expect, it } from 'vitest';
import { encodeEntry, ENTRY_VERSION_SIGNED, readEntry, type SyncEntry } from '../src/sync/codec.js';
import { signEntry } from '../src/sync/devices.js';
import { MemorySyncLog, type SyncRefusal } from '../src/sync/index.js';
import { expectCode } from './helpers.js';
import { contentHash, openDevice, settle, type Device } from './sync-helpers.js';

interface Tablet extends Device {
  id: string;
  refusals: SyncRefusal[];
}

async function tablet(log: MemorySyncLog, options: Parameters<typeof openDevice>[1] = {}): Promise<Tablet> {
  const d = await openDevice(log, { deviceEntries: true, ...options });
  const refusals: SyncRefusal[] = [];
  d.sync.onRefused((r) => refusals.push(r));
  return { ...d, id: (await d.sync.status()).device, refusals };
}

async function sale(d: Device, id: string): Promise<void> {
  await d.sync.transaction((tx) => tx.exec('INSERT INTO orders (id, qty, device) VALUES (?, 1, ?)', [id, 'till']));
}

/** The device's private key, read from its own database (what a removed device still holds). */
async function signingKey(d: Device): Promise<Uint8Array> {
  return (await d.db.get<{ value: Uint8Array }>(`SELECT value FROM _cipherlite_sync_state WHERE key = 'signing_key'`))!.value;
}

/** Appends `entry` at the next position under `device`, signed with `key`: a writer that bypasses the engine. */
async function forge(log: MemorySyncLog, device: string, entry: SyncEntry, key: Uint8Array): Promise<number> {
  const seq = log.entries().length + 1;
  expect(await log.tryAppend(seq, { device, payload: await signEntry(key, seq, device, encodeEntry(entry, true)) })).toBe('ok');
  return seq;
}

/** The 32-byte private scalar inside a P-256 PKCS#8 key (RFC 5915 ECPrivateKey: version 1, then OCTET STRING of 32 bytes). */
function privateScalar(pkcs8: Uint8Array): Buffer {
  const at = Buffer.from(pkcs8).indexOf(Buffer.from([0x02, 0x01, 0x01, 0x04, 0x20]));
  expect(at).toBeGreaterThan(0);
  return Buffer.from(pkcs8.subarray(at + 5, at + 5 + 32));
}

async function pendingChangeset(d: Device): Promise<Uint8Array> {
  return (await d.db.get<{ changeset: Uint8Array }>('SELECT changeset FROM _cipherlite_sync_pending ORDER BY tx LIMIT 1'))!.changeset;
}

function kinds(log: MemorySyncLog): string[] {
  return log.entries().map((e) => `${readEntry(e.payload, e.seq).entry.kind}:${e.device.slice(0, 4)}`);
}

async function pullAll(devices: readonly Device[]): Promise<string[]> {
  for (const d of devices) await d.sync.pull();
  return Promise.all(devices.map((d) => contentHash(d.db)));
}

describe('device entries', () => {
  it('a device registers (signed device entry with its public key) before its first write; every entry it writes is signed; the private key never leaves the database', async () => {
    const log = new MemorySyncLog();
    const a = await tablet(log, { deviceName: 'till 1' });
    const b = await tablet(log);
    await sale(a, 'a1');
    await sale(b, 'b1');
    await settle([a, b]);
    expect(kinds(log)).toEqual([`device:${a.id.slice(0, 4)}`, `changeset:${a.id.slice(0, 4)}`, `device:${b.id.slice(0, 4)}`, `changeset:${b.id.slice(0, 4)}`]);
    expect(log.entries().every((e) => e.payload[0] === ENTRY_VERSION_SIGNED)).toBe(true);
    expect(await b.sync.devices()).toEqual([
      { device: a.id, name: 'till 1', addedSeq: 1, removedSeq: null },
      { device: b.id, name: '', addedSeq: 3, removedSeq: null },
    ]);
    const secrets = [await signingKey(a), await signingKey(b)];
    for (const e of log.entries()) for (const k of secrets) expect(Buffer.from(e.payload).includes(privateScalar(k))).toBe(false);
    expect(a.refusals.concat(b.refusals)).toEqual([]);
  });

  it('removal: the removed device learns it at its next pull (SYNC_DEVICE_REMOVED), keeps its queue and pushes nothing; its later write is refused identically by three devices', async () => {
    const log = new MemorySyncLog();
    const [a, b, c, r] = [await tablet(log), await tablet(log), await tablet(log), await tablet(log)];
    for (const [k, d] of [a, b, c, r].entries()) await sale(d, `first-${k}`);
    await settle([a, b, c, r]);
    await a.sync.removeDevice(r.id);
    const removedAt = log.entries().length;
    expect(readEntry(log.entries()[removedAt - 1]!.payload, removedAt).entry).toEqual({ kind: 'device-removed', tx: 0, target: r.id });

    await sale(r, 'after-removal');
    const err = await expectCode(r.sync.push(), 'SYNC_DEVICE_REMOVED');
    expect(err.details.seq).toBe(removedAt);
    expect(log.entries()).toHaveLength(removedAt);
    expect(await r.sync.status()).toMatchObject({ pending: 1, seq: removedAt });
    await expectCode(r.sync.pull(), 'SYNC_DEVICE_REMOVED');
    await expectCode(r.sync.removeDevice(a.id), 'SYNC_DEVICE_REMOVED');

    // The removed device bypasses its engine and signs its write with its own key.
    const seq = await forge(log, r.id, { kind: 'changeset', tx: 99, changeset: await pendingChangeset(r) }, await signingKey(r));
    const hashes = await pullAll([a, b, c]);
    expect(new Set(hashes).size).toBe(1);
    for (const d of [a, b, c]) {
      expect(d.refusals).toEqual([{ seq, device: r.id, kind: 'changeset', reason: 'removed' }]);
      expect(await d.db.query(`SELECT id FROM orders WHERE id = 'after-removal'`)).toEqual([]);
      expect((await d.sync.status()).seq).toBe(seq);
    }
    const replay = await tablet(log);
    await replay.sync.pull();
    expect(await contentHash(replay.db)).toBe(hashes[0]);
    expect(replay.refusals).toEqual(a.refusals);
    expect((await a.sync.devices()).find((d) => d.device === r.id)).toMatchObject({ removedSeq: removedAt });
  });

  it('a forged signature, an entry under another device id, an unregistered writer and a malformed entry are refused by every device', async () => {
    const log = new MemorySyncLog();
    const [a, b] = [await tablet(log), await tablet(log)];
    await sale(a, 'a1');
    await sale(b, 'b1');
    await settle([a, b]);
    const before = await contentHash(a.db);
    await sale(b, 'stolen');
    const changeset = await pendingChangeset(b);
    // b writes under a's id, signing with its own key
    const asA = await forge(log, a.id, { kind: 'changeset', tx: 50, changeset }, await signingKey(b));
    // a genuine entry of a with one bit of its signature flipped
    const genuine = await signEntry(await signingKey(a), asA + 1, a.id, encodeEntry({ kind: 'changeset', tx: 51, changeset }, true));
    genuine[genuine.length - 1]! ^= 1;
    expect(await log.tryAppend(asA + 1, { device: a.id, payload: genuine })).toBe('ok');
    // a device id nobody registered, with a key of its own
    const stranger = await tablet(new MemorySyncLog());
    await forge(log, 'stranger', { kind: 'changeset', tx: 1, changeset }, await signingKey(stranger));
    // an unsigned entry after device entries exist
    expect(await log.tryAppend(asA + 3, { device: b.id, payload: encodeEntry({ kind: 'changeset', tx: 52, changeset }) })).toBe('ok');
    // an entry that does not decode: CORRUPT on a log without device entries (sync.test.ts), skipped here
    expect(await log.tryAppend(asA + 4, { device: b.id, payload: Uint8Array.of(2, 9, 0, 0, 0, 0) })).toBe('ok');
    const watcher = await tablet(log);
    const hashes = await pullAll([a, watcher]);
    expect(hashes).toEqual([before, before]);
    const expected = [
      { seq: asA, device: a.id, kind: 'changeset', reason: 'bad-signature' },
      { seq: asA + 1, device: a.id, kind: 'changeset', reason: 'bad-signature' },
      { seq: asA + 2, device: 'stranger', kind: 'changeset', reason: 'unknown-device' },
      { seq: asA + 3, device: b.id, kind: 'changeset', reason: 'unsigned' },
      { seq: asA + 4, device: b.id, kind: 'unknown', reason: 'malformed' },
    ];
    expect(a.refusals).toEqual(expected);
    expect(watcher.refusals).toEqual(expected);
    // b's own pending sale is still pushed, properly, and accepted
    await settle([a, b, watcher]);
    expect(await a.db.query(`SELECT id FROM orders WHERE id = 'stolen'`)).toEqual([{ id: 'stolen' }]);
    expect(new Set(await pullAll([a, b, watcher])).size).toBe(1);
  });

  it('replays are refused: a device entry copied to a later position, a signed changeset copied to a later position, a removed device registering again', async () => {
    const log = new MemorySyncLog();
    const [a, r] = [await tablet(log), await tablet(log)];
    await a.sync.transaction((tx) => tx.exec(`INSERT INTO items (id, name, price, stock) VALUES (1, 'tea', 3, 10)`));
    await settle([a, r]);
    await r.sync.transaction((tx) => tx.exec('UPDATE items SET stock = stock - 1 WHERE id = 1'));
    await settle([a, r]);
    const entries = log.entries();
    const device = entries.find((e) => e.device === a.id && readEntry(e.payload, e.seq).entry.kind === 'device')!;
    const sold = entries.find((e) => e.device === r.id && readEntry(e.payload, e.seq).entry.kind === 'changeset')!;
    let seq = entries.length;
    expect(await log.tryAppend(++seq, { device: a.id, payload: device.payload })).toBe('ok');
    expect(await log.tryAppend(++seq, { device: r.id, payload: sold.payload })).toBe('ok'); // the counter sale again
    await a.sync.removeDevice(r.id);
    seq = log.entries().length;
    const again = (await tablet(new MemorySyncLog())).db; // a new key pair for the removed id
    const newKey = (await again.get<{ value: Uint8Array }>(`SELECT value FROM _cipherlite_sync_state WHERE key = 'signing_key'`))!.value;
    const publicKey = (await again.get<{ value: Uint8Array }>(`SELECT value FROM _cipherlite_sync_state WHERE key = 'public_key'`))!.value;
    await forge(log, r.id, { kind: 'device', tx: 0, publicKey, name: 'back' }, newKey);
    const watcher = await tablet(log);
    await pullAll([a, watcher]);
    for (const d of [a, watcher]) {
      expect(d.refusals.map((x) => [x.seq, x.kind, x.reason])).toEqual([
        [entries.length + 1, 'device', 'duplicate-device'],
        [entries.length + 2, 'changeset', 'bad-signature'],
        [seq + 1, 'device', 'removed'],
      ]);
      expect(await d.db.get('SELECT stock FROM items WHERE id = 1')).toEqual({ stock: 9 });
    }
  });
});

describe('a device id registered under another key', () => {
  it('the device whose id someone registered first gets SYNC_DEVICE_REMOVED at its push and appends nothing; its queue stays', async () => {
    const log = new MemorySyncLog();
    const a = await tablet(log);
    await sale(a, 'a1');
    await a.sync.push();
    const victim = await tablet(log);
    const squatter = await tablet(new MemorySyncLog());
    const publicKey = (await squatter.db.get<{ value: Uint8Array }>(`SELECT value FROM _cipherlite_sync_state WHERE key = 'public_key'`))!.value;
    const squat = await forge(log, victim.id, { kind: 'device', tx: 0, publicKey, name: 'squatter' }, await signingKey(squatter));
    await sale(victim, 'v1');
    const tip = log.entries().length;
    const err = await expectCode(victim.sync.push(), 'SYNC_DEVICE_REMOVED');
    expect(err.message).toContain('another key');
    expect(err.details.seq).toBe(squat);
    expect(log.entries()).toHaveLength(tip);
    expect(await victim.sync.status()).toMatchObject({ pending: 1, seq: tip });
    // The squatter's writes under that id are accepted (it holds the registered key): the app sees it in devices() and can remove it.
    await a.sync.pull();
    expect((await a.sync.devices()).map((d) => d.name)).toEqual(['', 'squatter']);
  });
});

describe('logs written before device entries', () => {
  it('unsigned entries are accepted before the first device entry; from it on, every device registers and signs, and unsigned entries are refused', async () => {
    const log = new MemorySyncLog();
    const legacy = await tablet(log, { deviceEntries: false });
    const other = await tablet(log, { deviceEntries: false });
    await sale(legacy, 'l1');
    await sale(other, 'o1');
    await settle([legacy, other]);
    expect(log.entries().map((e) => e.payload[0])).toEqual([1, 1]);
    const modern = await tablet(log);
    await sale(modern, 'm1');
    await settle([legacy, other, modern]);
    await sale(legacy, 'l2'); // the log has device entries now: the legacy device registers and signs too
    await settle([legacy, other, modern]);
    expect(kinds(log).slice(2)).toEqual([`device:${modern.id.slice(0, 4)}`, `changeset:${modern.id.slice(0, 4)}`, `device:${legacy.id.slice(0, 4)}`, `changeset:${legacy.id.slice(0, 4)}`]);
    expect(log.entries().map((e) => e.payload[0])).toEqual([1, 1, 2, 2, 2, 2]);
    // an unsigned writer after the first device entry
    await log.tryAppend(7, { device: other.id, payload: encodeEntry({ kind: 'changeset', tx: 9, changeset: new Uint8Array(0) }) });
    const hashes = await pullAll([legacy, other, modern]);
    expect(new Set(hashes).size).toBe(1);
    for (const d of [legacy, other, modern]) expect(d.refusals).toEqual([{ seq: 7, device: other.id, kind: 'changeset', reason: 'unsigned' }]);
    expect(await modern.db.query('SELECT id FROM orders ORDER BY id')).toEqual([{ id: 'l1' }, { id: 'l2' }, { id: 'm1' }, { id: 'o1' }]);
  });
});
