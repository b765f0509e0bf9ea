/**
 * Device identity (docs/SYNC.md "Device identity and removal"): each device holds an ECDSA P-256
 * key pair (WebCrypto: the same code in Node 20, browsers and their workers; Ed25519 reached
 * WebCrypto in Chromium only in 2025). The private half stays in the encrypted database (sync's
 * state table, never captured, never synced); the public half is published in the device's
 * `device` entry. Every entry a device writes after that is signed over
 * SIGNING_DOMAIN ‖ seq (u64) ‖ device id length (u8) ‖ device id ‖ the entry without its
 * signature, so a signature holds only at its position and only for its device.
 *
 * Whether an entry is accepted is a function of the log alone (`judge`), so every device refuses
 * the same entries and stays identical:
 * - an unsigned entry is accepted only before the first accepted device entry (logs written
 *   before device identity existed); after it, it is refused (`unsigned`);
 * - a device entry is accepted when its signature verifies under the key it carries and its
 *   device id was never registered nor removed (`duplicate-device`, `removed`);
 * - any other signed entry needs a registered, not removed device (`unknown-device`, `removed`)
 *   and a signature that verifies under that device's key (`bad-signature`);
 * - a device-removed entry marks its target removed from its position on (a target never
 *   registered can no longer register);
 * - an entry that does not decode is CORRUPT (the pull stops) before the first device entry, and
 *   refused (`malformed`) after it.
 */
import { CipherliteError } from '../errors.js';
import { ENTRY_HEADER_SIZE, readEntry, type ReadEntry, type SyncEntry } from './codec.js';
import { DEVICES_TABLE, type Sql } from './store.js';
const SIGNING_DOMAIN = new TextEncoder().encode('cipherlite/v1/sync-entry\0');
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export type RefusalReason = 'unsigned' | 'bad-signature' | 'unknown-device' | 'removed' | 'duplicate-device' | 'malformed';

/** A log entry every device skips, reported once when it is reached. */
export interface SyncRefusal {
  readonly seq: number;
  /** The device id the entry names as its writer (not authenticated: that is why it was refused). */
  readonly device: string;
  /** 'unknown' for an entry that does not decode. */
  readonly kind: SyncEntry['kind'] | 'unknown';
  readonly reason: RefusalReason;
}

/** A registered device, as the log says. */
export interface SyncDevice {
  readonly device: string;
  readonly name: string;
  /** Where its device entry is (null: removed before it ever registered). */
  readonly addedSeq: number | null;
  /** Where it was removed (null: active). */
  readonly removedSeq: number | null;
}

interface Known {
  key: Uint8Array | null;
  removed: boolean;
}

/** The registry as of the agreed position: who may write, under which key. */
export interface Registry {
  readonly devices: Map<string, Known>;
  /** The position of the first accepted device entry (null: none yet, unsigned entries accepted). */
  signedFrom: number | null;
}

export function readRegistry(sql: Sql, signedFrom: number | null): Registry {
  const devices = new Map<string, Known>();
  for (const [device, key, removed] of sql.rows(`SELECT device, public_key, removed_seq FROM ${DEVICES_TABLE}`)) {
    devices.set(device as string, { key: (key as Uint8Array | null) ?? null, removed: removed !== null });
  }
  return { devices, signedFrom };
}

export function listDevices(sql: Sql): SyncDevice[] {
  return sql.rows(`SELECT device, name, added_seq, removed_seq FROM ${DEVICES_TABLE} ORDER BY coalesce(added_seq, removed_seq), device`).map(([device, name, added, removed]) => ({
    device: device as string,
    name: name as string,
    addedSeq: added === null ? null : Number(added),
    removedSeq: removed === null ? null : Number(removed),
  }));
}

/** Records an accepted device or device-removed entry (inside the pull's transaction). */
export function recordDeviceEntry(sql: Sql, seq: number, device: string, entry: SyncEntry): void {
  if (entry.kind === 'device') {
    sql.run(`INSERT INTO ${DEVICES_TABLE} (device, public_key, name, added_seq) VALUES (?, ?, ?, ?)`, [device, entry.publicKey, entry.name, seq]);
  } else if (entry.kind === 'device-removed') {
    sql.run(`INSERT INTO ${DEVICES_TABLE} (device, removed_seq) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET removed_seq = coalesce(removed_seq, excluded.removed_seq)`, [entry.target, seq]);
  }
}

/** This device's key pair: pkcs8 private key and raw public key, both kept in the encrypted database only. */
export interface DeviceKeys {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export async function generateDeviceKeys(): Promise<DeviceKeys> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  if (!('privateKey' in pair)) throw new CipherliteError('UNSUPPORTED', 'WebCrypto did not return an ECDSA key pair');
  return {
    privateKey: new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
    publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)),
  };
}

function signingInput(seq: number, device: string, covered: Uint8Array): Uint8Array<ArrayBuffer> {
  const id = new TextEncoder().encode(device);
  if (id.length > 255) throw new CipherliteError('INVALID_ARGUMENT', 'sync device ids are at most 255 bytes');
  const out = new Uint8Array(SIGNING_DOMAIN.length + 8 + 1 + id.length + covered.length);
  out.set(SIGNING_DOMAIN);
  new DataView(out.buffer).setBigUint64(SIGNING_DOMAIN.length, BigInt(seq));
  out[SIGNING_DOMAIN.length + 8] = id.length;
  out.set(id, SIGNING_DOMAIN.length + 9);
  out.set(covered, SIGNING_DOMAIN.length + 9 + id.length);
  return out;
}

/** Appends the signature for position `seq` to `unsigned` (an entry encoded with `signed = true`). */
export async function signEntry(privateKey: Uint8Array, seq: number, device: string, unsigned: Uint8Array): Promise<Uint8Array> {
  if (unsigned.length < ENTRY_HEADER_SIZE) throw new CipherliteError('INVALID_ARGUMENT', 'signEntry: not an encoded entry');
  const key = await crypto.subtle.importKey('pkcs8', new Uint8Array(privateKey), ALGORITHM, false, ['sign']);
  const signature = new Uint8Array(await crypto.subtle.sign(SIGN, key, signingInput(seq, device, unsigned)));
  const out = new Uint8Array(unsigned.length + signature.length);
  out.set(unsigned);
  out.set(signature, unsigned.length);
  return out;
}

async function verifies(publicKey: Uint8Array, seq: number, device: string, signature: NonNullable<ReadEntry['signature']>): Promise<boolean> {
  let key: Awaited<ReturnType<typeof crypto.subtle.importKey>>;
  try {
    key = await crypto.subtle.importKey('raw', new Uint8Array(publicKey), ALGORITHM, false, ['verify']);
  } catch {
    return false; // not a point on the curve: nothing can verify under it
  }
  return crypto.subtle.verify(SIGN, key, new Uint8Array(signature.value), signingInput(seq, device, signature.covered));
}

export type JudgedEntry = { readonly seq: number; readonly device: string } & (
  { readonly entry: SyncEntry; readonly refused: null } | { readonly entry: SyncEntry | null; readonly refused: RefusalReason }
);

/**
 * Decides, in log order, which entries are accepted, starting from the registry as of the
 * position before the first one; `registry` is updated as device entries are accepted.
 */
export async function judge(entries: readonly { seq: number; device: string; payload: Uint8Array }[], registry: Registry): Promise<JudgedEntry[]> {
  const out: JudgedEntry[] = [];
  for (const { seq, device, payload } of entries) {
    let read: ReadEntry;
    try {
      read = readEntry(payload, seq);
    } catch (e) {
      // Before device entries a malformed entry stops the pull (CORRUPT); after, any key holder —
      // a removed device included — could stop everyone's sync with one, so it is skipped instead.
      if (registry.signedFrom === null || !(e instanceof CipherliteError && e.code === 'CORRUPT')) throw e;
      out.push({ seq, device, entry: null, refused: 'malformed' });
      continue;
    }
    const refused = await verdict(seq, device, read.entry, read.signature, registry);
    out.push(refused === null ? { seq, device, entry: read.entry, refused } : { seq, device, entry: read.entry, refused });
  }
  return out;
}

async function verdict(seq: number, device: string, entry: SyncEntry, signature: ReadEntry['signature'], registry: Registry): Promise<RefusalReason | null> {
  if (!signature) return registry.signedFrom === null ? null : 'unsigned';
  const known = registry.devices.get(device);
  if (entry.kind === 'device') {
    if (known) return known.removed ? 'removed' : 'duplicate-device';
    if (!(await verifies(entry.publicKey, seq, device, signature))) return 'bad-signature';
    registry.devices.set(device, { key: entry.publicKey, removed: false });
    registry.signedFrom ??= seq;
    return null;
  }
  if (!known?.key) return known?.removed ? 'removed' : 'unknown-device';
  if (known.removed) return 'removed';
  if (!(await verifies(known.key, seq, device, signature))) return 'bad-signature';
  if (entry.kind === 'device-removed') {
    const target = registry.devices.get(entry.target);
    registry.devices.set(entry.target, { key: target?.key ?? null, removed: true });
  }
  return null;
}
