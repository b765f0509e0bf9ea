/**
 * Other devices' last contact (docs/SYNC.md "In the browser", `db.sync.devices()`): core records
 * who registered and who was removed, not when a device was last heard of. The log does: every
 * entry carries the time its writer put on it. The leader's scheduler notes, for each device, the
 * newest entry of it that it read (`saw`, on the way from the replica to core's pull), and keeps
 * that in a library table of the local database (`_cipherlite_device_contacts`: never synced,
 * never reported as the app's change), so the last contact survives a reload and a takeover.
 *
 * A device that only pulls writes nothing to the log and so leaves no trace here.
 */
import type { Database } from '@cipherlite/core';
import type { LogEntry, SyncDevice } from '@cipherlite/core/sync';
import type { SyncDeviceContact, SyncDeviceInfo } from '../../shared/sync.js';

export const CONTACTS_TABLE = '_cipherlite_device_contacts';

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS ${CONTACTS_TABLE} (device TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_seen_at INTEGER) WITHOUT ROWID`;

const newestFirst = (a: SyncDeviceContact, b: SyncDeviceContact): number => (b.lastSeenAt ?? 0) - (a.lastSeenAt ?? 0) || b.lastSeq - a.lastSeq;

export class DeviceContacts {
  readonly #self: string;
  readonly #known = new Map<string, SyncDeviceContact>();
  /** Contacts read from the log and not yet written to the table. */
  readonly #unsaved = new Set<string>();

  private constructor(self: string) {
    this.#self = self;
  }

  /** The contacts kept in `db` (none on a database that never synced here). */
  static async load(db: Database, self: string): Promise<DeviceContacts> {
    const contacts = new DeviceContacts(self);
    const table = await db.get(`SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ?`, [CONTACTS_TABLE]);
    if (!table) return contacts;
    for (const row of await db.query(`SELECT device, last_seq, last_seen_at FROM ${CONTACTS_TABLE}`)) {
      const device = String(row.device);
      contacts.#known.set(device, { device, lastSeq: Number(row.last_seq), lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at) });
    }
    return contacts;
  }

  /** Notes the writers of `entries` (other devices only; the newest position wins). */
  saw(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      if (e.device === this.#self) continue;
      const prior = this.#known.get(e.device);
      if (prior && prior.lastSeq >= e.seq) continue;
      this.#known.set(e.device, { device: e.device, lastSeq: e.seq, lastSeenAt: e.time ?? null });
      this.#unsaved.add(e.device);
    }
  }

  /** Writes what `saw` noted since the last save (one transaction; the caller makes it durable). */
  async save(db: Database): Promise<void> {
    if (this.#unsaved.size === 0) return;
    const rows = [...this.#unsaved].map((d) => this.#known.get(d)!);
    await db.transaction(async (tx) => {
      await tx.exec(CREATE_SQL);
      for (const c of rows) {
        await tx.exec(
          `INSERT INTO ${CONTACTS_TABLE} (device, last_seq, last_seen_at) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET last_seq = excluded.last_seq, last_seen_at = excluded.last_seen_at WHERE excluded.last_seq > last_seq`,
          [c.device, c.lastSeq, c.lastSeenAt],
        );
      }
    });
    for (const c of rows) this.#unsaved.delete(c.device);
  }

  /** Other devices, newest contact first (the status's `devices`). */
  list(): SyncDeviceContact[] {
    return [...this.#known.values()].sort(newestFirst);
  }

  /** Core's device list (log order) with each device's last contact; `self` marks this device. */
  describe(devices: readonly SyncDevice[]): SyncDeviceInfo[] {
    return devices.map(({ device, name, addedSeq, removedSeq }) => {
      const contact = this.#known.get(device);
      return { device, name: name || null, addedSeq, removedSeq, self: device === this.#self, lastSeq: contact?.lastSeq ?? null, lastSeenAt: contact?.lastSeenAt ?? null };
    });
  }
}
