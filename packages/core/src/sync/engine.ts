/**
 * Multi-device sync of one database over an ordered log (docs/SYNC.md): local transactions are
 * captured as SQLite session changesets in the same SQLite transaction as the change, pushed to
 * the next free log position, and rebased on top of other devices' entries, so every device's
 * state is a function of the agreed log plus its own not-yet-pushed transactions.
 */
import type { Database } from '../database/database.js';
import { internals, type DatabaseInternals } from '../database/internals.js';
import { CipherliteError } from '../errors.js';
import type { Transaction } from '../types.js';
import { encodeEntry, type SyncEntry } from './codec.js';
import { generateDeviceKeys, judge, listDevices, readRegistry, signEntry, type SyncDevice, type SyncRefusal } from './devices.js';
import type { AppendResult, SyncLog } from './log.js';
import { Merger, type SyncConflict, type TablePolicy } from './merge.js';
import { rebase } from './rebase.js';
import { Session } from './session.js';
import { createTables, DEVICES_TABLE, isInternalTable, PENDING_TABLE, STATE_TABLE, readPending, readState, recordTables, Sql, userTables, writeState, type SyncState } from './store.js';

export interface SyncOptions {
  /** The ordered log shared by every device of this database. */
  readonly log: SyncLog;
  /** Conflict policies per table (docs/SYNC.md); every device must use the same. */
  readonly tables?: Readonly<Record<string, TablePolicy>>;
  /** This device's id, used the first time sync is enabled on this database (default: random). */
  readonly deviceId?: string;
  /** The highest schema version this app understands; a newer schema entry is refused with SYNC_SCHEMA. */
  readonly maxSchemaVersion?: number;
  /**
   * Register this device in the log (a signed `device` entry before its first write) and sign its
   * entries (default true). With false, a device writes unsigned entries for as long as the log
   * holds no device entry; once one does, every device registers and signs (docs/SYNC.md).
   */
  readonly deviceEntries?: boolean;
  /** A label for this device in its device entry (for the app's list of devices; not secret, not checked). */
  readonly deviceName?: string;
}

export interface SyncStatus {
  readonly device: string;
  /** The last log position applied here (0: none). */
  readonly seq: number;
  /** Local transactions not yet in the log. */
  readonly pending: number;
  /** The number the next local transaction gets. */
  readonly nextTx: number;
  readonly schemaVersion: number;
}

/** How often push retries after losing a position to another device before giving up with BUSY. */
const MAX_PUSH_ROUNDS = 1000;

/**
 * Enables sync on `db`: every user table needs an explicit PRIMARY KEY (SYNC_TABLE names the
 * ones that have none). Creates sync's bookkeeping tables on first use.
 */
export async function enableSync(db: Database, options: SyncOptions): Promise<Sync> {
  const i = internals(db);
  const sql = new Sql(i);
  const keys = await generateDeviceKeys(); // used only when this database has no key pair yet
  await i.exclusive(() => {
    const { withoutPk } = userTables(sql);
    if (withoutPk.length) {
      throw new CipherliteError('SYNC_TABLE', `sync needs an explicit PRIMARY KEY on every table (SQLite's session extension ignores the others); without one: ${withoutPk.join(', ')}`, {
        tables: withoutPk,
      });
    }
    sql.transaction(() => {
      createTables(sql);
      if (Number(sql.value(`SELECT count(*) FROM _cipherlite_sync_state WHERE key = 'device'`)) === 0) {
        writeState(sql, 'device', options.deviceId ?? randomDeviceId());
        recordTables(sql);
      }
      if (Number(sql.value(`SELECT count(*) FROM _cipherlite_sync_state WHERE key = 'signing_key'`)) === 0) {
        writeState(sql, 'signing_key', keys.privateKey);
        writeState(sql, 'public_key', keys.publicKey);
      }
    });
    keys.privateKey.fill(0);
  });
  return new Sync(db, i, sql, options);
}

export class Sync {
  readonly #db: Database;
  readonly #internals: DatabaseInternals;
  readonly #sql: Sql;
  readonly #log: SyncLog;
  readonly #merger: Merger;
  readonly #maxSchemaVersion: number;
  readonly #deviceEntries: boolean;
  readonly #deviceName: string;
  readonly #listeners = new Set<(c: SyncConflict) => void>();
  readonly #refusalListeners = new Set<(r: SyncRefusal) => void>();
  /** pull/push/migrate run one at a time. */
  #network: Promise<unknown> = Promise.resolve();

  /** Use `enableSync`. */
  constructor(db: Database, i: DatabaseInternals, sql: Sql, options: SyncOptions) {
    this.#db = db;
    this.#internals = i;
    this.#sql = sql;
    this.#log = options.log;
    this.#merger = new Merger(sql, options.tables ?? {});
    this.#maxSchemaVersion = options.maxSchemaVersion ?? Infinity;
    this.#deviceEntries = options.deviceEntries ?? true;
    this.#deviceName = options.deviceName ?? '';
  }

  /**
   * Runs `fn` as one local transaction whose changes are recorded for sync, in the same SQLite
   * transaction. Writes to synced tables must go through here (plain `db.exec` is not captured).
   * Writing a table that is not enabled for sync fails with SYNC_TABLE and rolls back.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    return this.#db.transaction(async (tx) => {
      const state = readState(this.#sql);
      const synced = new Set(state.tables);
      const refused = new Set<string>();
      const { sqlite3, db } = this.#internals.sqlite;
      const session = new Session(sqlite3, db.pointer!, (t) => {
        if (isInternalTable(t)) return false;
        if (!synced.has(t)) refused.add(t);
        return synced.has(t);
      });
      try {
        // Numbered up front (inside the session: the bookkeeping tables must stay out of the changeset).
        writeState(this.#sql, 'next_tx', state.nextTx + 1);
        const result = await fn(tx);
        if (refused.size)
          throw new CipherliteError('SYNC_TABLE', `tables not enabled for sync were written: ${[...refused].join(', ')}; create tables through sync.migrate()`, { tables: [...refused] });
        const changeset = session.changeset();
        if (changeset.length) {
          this.#sql.run(`INSERT INTO ${PENDING_TABLE} (tx, changeset, applied) VALUES (?, ?, ?)`, [state.nextTx, changeset, changeset]);
        }
        return result;
      } finally {
        session.close();
      }
    });
  }

  /** Applies new log entries (rebasing pending local transactions); returns how many. */
  pull(): Promise<number> {
    return this.#serial(() => this.#pull());
  }

  /** Pulls, then appends pending transactions in order until none is left; returns how many were appended. */
  push(): Promise<number> {
    return this.#serial(() => this.#push());
  }

  /**
   * Changes the schema on every device: the DDL is checked here (it must leave every table with
   * an explicit PRIMARY KEY), appended to the log as a `schema` entry and applied in log order
   * everywhere. A version at or below the current one is a no-op (two devices running the same
   * upgrade append it twice; the second is skipped).
   */
  migrate(version: number, ddl: string): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 1) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `migrate: version must be an integer ≥ 1, got ${version}`));
    if (version > this.#maxSchemaVersion) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', `migrate: version ${version} is above maxSchemaVersion ${this.#maxSchemaVersion}`));
    return this.#serial(async () => {
      for (let round = 0; round < MAX_PUSH_ROUNDS; round++) {
        await this.#push();
        const state = await this.#read();
        if (state.schemaVersion >= version) return;
        await this.#internals.exclusive(() => this.#checkDdl(ddl));
        if ((await this.#append(state, { kind: 'schema', tx: 0, version, sql: ddl })) === 'ok') {
          await this.#pull();
          return;
        }
      }
      throw new CipherliteError('BUSY', `migrate: lost the next log position ${MAX_PUSH_ROUNDS} times in a row`);
    });
  }

  /**
   * Removes a device (docs/SYNC.md "Device identity and removal"): appends a `device-removed`
   * entry; every entry that device writes at a later position is refused by every device. Its
   * own next pull fails with SYNC_DEVICE_REMOVED. It keeps the data key, so it can still read the
   * replica until the database is rekeyed.
   */
  removeDevice(deviceId: string): Promise<void> {
    if (typeof deviceId !== 'string' || deviceId.length === 0) return Promise.reject(new CipherliteError('INVALID_ARGUMENT', 'removeDevice: expected a device id'));
    return this.#serial(async () => {
      for (let round = 0; round < MAX_PUSH_ROUNDS; round++) {
        await this.#pull();
        const state = await this.#read();
        const result = await this.#append(state, { kind: 'device-removed', tx: 0, target: deviceId }, true);
        if (result === 'ok') {
          await this.#pull().catch((e: unknown) => {
            if (!(e instanceof CipherliteError && e.code === 'SYNC_DEVICE_REMOVED' && deviceId === state.device)) throw e;
          });
          return;
        }
      }
      throw new CipherliteError('BUSY', `removeDevice: lost the next log position ${MAX_PUSH_ROUNDS} times in a row`);
    });
  }

  /** The devices the log registered or removed, in log order. */
  devices(): Promise<SyncDevice[]> {
    return this.#internals.exclusive(() => listDevices(this.#sql));
  }

  /** Registers a listener for log entries every device skips (unsigned, forged, from a removed device); returns its removal. */
  onRefused(listener: (r: SyncRefusal) => void): () => void {
    this.#refusalListeners.add(listener);
    return () => this.#refusalListeners.delete(listener);
  }

  /** Registers a listener for dropped changes (docs/SYNC.md, "Conflicts"); returns its removal. */
  onConflict(listener: (c: SyncConflict) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async status(): Promise<SyncStatus> {
    const state = await this.#read();
    const pending = await this.#internals.exclusive(() => Number(this.#sql.value(`SELECT count(*) FROM ${PENDING_TABLE}`)));
    return { ...state, pending };
  }

  #read(): Promise<SyncState> {
    return this.#internals.exclusive(() => readState(this.#sql));
  }

  #serial<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.#network.then(fn, fn);
    this.#network = run.catch(() => undefined);
    return run;
  }

  async #pull(): Promise<number> {
    const { state, registry } = await this.#internals.exclusive(() => {
      const state = readState(this.#sql);
      return { state, registry: readRegistry(this.#sql, state.signedFrom) };
    });
    const read = await this.#log.read(state.seq + 1);
    read.forEach((e, k) => {
      if (e.seq !== state.seq + 1 + k) throw new CipherliteError('CORRUPT', `the sync log answered position ${e.seq} where ${state.seq + 1 + k} was expected`, { seq: e.seq });
    });
    const entries = await judge(read, registry);
    if (entries.length === 0) return this.#checkNotRemoved(state.device);
    const result = await this.#internals.exclusive(() => {
      const { sqlite3, db } = this.#internals.sqlite;
      return rebase({ sql: this.#sql, sqlite3, db: db.pointer!, merger: this.#merger, maxSchemaVersion: this.#maxSchemaVersion }, entries);
    });
    const touched = this.#merger.takeTouched();
    if (touched.length) this.#internals.notifyChanged(touched);
    emit(this.#listeners, result.conflicts);
    emit(this.#refusalListeners, result.refusals);
    if (result.refused) throw result.refused;
    await this.#checkNotRemoved(state.device);
    return result.applied;
  }

  /** SYNC_DEVICE_REMOVED once the log removed this device (its queue stays, nothing more is pushed). */
  async #checkNotRemoved(device: string): Promise<0> {
    const at = await this.#internals.exclusive(() => this.#sql.value(`SELECT removed_seq FROM ${DEVICES_TABLE} WHERE device = ?`, [device]));
    if (at !== undefined && at !== null) {
      const removed = Number(at);
      throw new CipherliteError('SYNC_DEVICE_REMOVED', `this device was removed from sync at log position ${removed}: its writes are refused; its unsent transactions stay queued`, {
        seq: removed,
      });
    }
    return 0;
  }

  /**
   * Offers `entry` at the next position, signed when the log has device entries or this device
   * registers itself; a device that is not registered yet first appends its device entry
   * (answering 'registered': the caller pulls and comes back). `force` signs even with device
   * entries off (device-removed entries exist only signed).
   */
  async #append(state: SyncState, entry: SyncEntry, force = false): Promise<AppendResult | 'registered'> {
    const seq = state.seq + 1;
    if (!force && !this.#deviceEntries && state.signedFrom === null) return this.#log.tryAppend(seq, { device: state.device, payload: encodeEntry(entry) });
    const own = await this.#internals.exclusive(() => ({
      keys: this.#sql.rows(`SELECT key, value FROM ${STATE_TABLE} WHERE key IN ('signing_key', 'public_key')`),
      registered: this.#sql.rows(`SELECT public_key, coalesce(added_seq, removed_seq) FROM ${DEVICES_TABLE} WHERE device = ?`, [state.device])[0],
    }));
    const keys = new Map(own.keys.map(([k, v]) => [k as string, v as Uint8Array]));
    const publicKey = keys.get('public_key')!;
    const privateKey = keys.get('signing_key')!;
    try {
      if (own.registered === undefined) {
        const payload = await signEntry(privateKey, seq, state.device, encodeEntry({ kind: 'device', tx: 0, publicKey, name: this.#deviceName }, true));
        return (await this.#log.tryAppend(seq, { device: state.device, payload })) === 'ok' ? 'registered' : 'taken';
      }
      const [registeredKey, at] = own.registered;
      if (!(registeredKey instanceof Uint8Array) || !equalBytes(registeredKey, publicKey)) {
        throw new CipherliteError('SYNC_DEVICE_REMOVED', `the log registered another key under this device id at position ${Number(at)}: this device cannot write under it`, {
          seq: Number(at),
        });
      }
      const payload = await signEntry(privateKey, seq, state.device, encodeEntry(entry, true));
      return this.#log.tryAppend(seq, { device: state.device, payload });
    } finally {
      privateKey.fill(0);
    }
  }

  async #push(): Promise<number> {
    let pushed = 0;
    // Only positions lost in a row count towards BUSY: a long queue pushes any number of entries.
    for (let lost = 0; lost < MAX_PUSH_ROUNDS;) {
      await this.#pull();
      const next = await this.#internals.exclusive(() => ({ state: readState(this.#sql), first: readPending(this.#sql)[0] }));
      if (!next.first) return pushed;
      const { state, first } = next;
      const result = await this.#append(state, { kind: 'changeset', tx: first.tx, changeset: first.changeset });
      if (result === 'registered') continue; // pull it, then push
      if (result !== 'ok') {
        lost++;
        continue;
      }
      lost = 0;
      // The first pending transaction sits directly on the agreed state: appending it makes the
      // current state the agreed one at seq + 1, with nothing to re-apply.
      await this.#internals.exclusive(() =>
        this.#sql.transaction(() => {
          if (readState(this.#sql).seq !== state.seq) throw new CipherliteError('BUSY', 'the agreed sync position moved during a push');
          this.#sql.run(`DELETE FROM ${PENDING_TABLE} WHERE tx = ?`, [first.tx]);
          writeState(this.#sql, 'seq', state.seq + 1);
        }),
      );
      pushed++;
    }
    throw new CipherliteError('BUSY', `push: lost the next log position ${MAX_PUSH_ROUNDS} times in a row`);
  }

  /** Runs `ddl` in a transaction that is always rolled back: it must work and leave no table without a PRIMARY KEY. */
  #checkDdl(ddl: string): void {
    this.#sql.run('BEGIN IMMEDIATE');
    try {
      this.#sql.script(ddl);
      const { withoutPk } = userTables(this.#sql);
      if (withoutPk.length) throw new CipherliteError('SYNC_TABLE', `migrate: the DDL leaves tables without an explicit PRIMARY KEY: ${withoutPk.join(', ')}`, { tables: withoutPk });
    } finally {
      this.#sql.run('ROLLBACK');
    }
  }
}

function emit<T>(listeners: ReadonlySet<(event: T) => void>, events: readonly T[]): void {
  for (const event of events) {
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure must not undo or stop sync
      }
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, k) => x === b[k]);
}

function randomDeviceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
