/**
 * The public handle, `CipherliteDatabase`: what an app holds after `openDatabase()`. Every method
 * is one line over the page's connection to its worker (`connection.ts`: the worker, its Comlink
 * proxy, liveness, progress, events) and a row of the operation table (`OPERATIONS` in
 * shared/protocol.ts).
 *
 * Adding a method: its row in `OPERATIONS` (with its `DbOps` signature), its core call in the
 * leader's `LEADER_OPS`, then here a method of the operation's name whose body is one call of
 * `#run` with that name and the arguments — the one call path (test/operations.test.ts reads the
 * names passed to it and fails for a row without its method). Key material a method takes goes
 * through `asKey` (a bare string is a password); options that mix wire fields with
 * `onProgress`/`signal` through `splitCallOptions`. Calls that are no operation (lock, unlock,
 * transactions) are one line over the connection.
 */
import type { BindParams, KeyMaterial, Row, RunResult, StatementTables, UnlockSecret, ValuesResult } from '@cipherlite/core';
import type {
  BackupFile,
  BackupOptions,
  BackupResult,
  ChangePasswordOptions,
  ConfirmOptions,
  DatabaseStats,
  KeyslotInfo,
  NewSecret,
  RecoveryKeyResult,
  RekeyPhase,
  RestoreResult,
  VerifyResult,
} from '../shared/public-types.js';
import type { CallOptions, LineCounts, LockState, OpArgs, OpName, OpResult, PendingRestoreInfo, Role, Statement, StorageBackend, WireOptions } from '../shared/protocol.js';
import { splitCallOptions } from './call-options.js';
import type { Connection } from './connection.js';
import type { PasskeyRegistration } from './passkey-ceremony.js';
import { loadPasskeys } from './passkey-loader.js';
import type { PersistenceAnswer } from './persistence.js';
import { ReplicaControl } from './replica.js';
import { SyncControl } from './sync.js';
import { asKey, isPasskeyUnlock, transferKey } from './secrets.js';
import { runTransaction, type Transaction } from './transaction.js';

export type { Transaction } from './transaction.js';

/** `addPasskey` options: where the passkey lives and what the authenticator and `listKeyslots` show. */
export interface AddPasskeyOptions extends PasskeyRegistration {
  /** Shown by `listKeyslots` (at most 42 UTF-8 bytes); default `userName`. */
  label?: string;
}

export class CipherliteDatabase implements AsyncDisposable {
  readonly name: string;
  readonly #connection: Connection;
  readonly #persistence: PersistenceAnswer;
  /**
   * The replica writer (`openDatabase({ replica })`), run by the tab that leads: status, an
   * event per change heard by every tab, start, pushNow, pause, resume, new credentials.
   */
  readonly replica: ReplicaControl;
  /**
   * Multi-device sync (`openDatabase({ sync })`, `joinSyncReplica`, `db.sync.create`), run by
   * the tab that leads: sync transactions, status and events heard by every tab, pushNow, pause,
   * resume, new credentials.
   */
  readonly sync: SyncControl;

  /** @internal Use `openDatabase()`. */
  constructor(connection: Connection, persistence: PersistenceAnswer) {
    this.name = connection.name;
    this.#connection = connection;
    this.#persistence = persistence;
    this.replica = new ReplicaControl(connection);
    this.sync = new SyncControl(connection);
  }

  /** `'locked' | 'unlocking' | 'unlocked'` — what this tab can do right now. */
  get lockState(): LockState {
    return this.#connection.lockState;
  }

  /** Whether this tab owns the files (`leader`) or forwards to another tab (`follower`). */
  get role(): Role {
    return this.#connection.role;
  }

  /**
   * Result of `navigator.storage.persist()`: `true` = the browser will not evict this origin's
   * data. `null` until the browser answers (`openDatabase` does not wait: Firefox asks the user),
   * or when the app passed `persist: false` or the browser has no Storage API; see `onPersisted`.
   */
  get persisted(): boolean | null {
    return this.#persistence.answer;
  }

  /**
   * Calls `listener` once with the browser's answer to `navigator.storage.persist()` — at once
   * (in a microtask) if it is already known. Never called while the answer is pending (a Firefox
   * prompt nobody answered), nor with `persist: false`.
   */
  onPersisted(listener: (persisted: boolean) => void): () => void {
    return this.#persistence.onAnswer(listener);
  }

  /**
   * Where this database is stored: `'opfs'` (sync access handles) or `'indexeddb'` (the fallback:
   * held in the worker's memory, each commit saved in one IndexedDB transaction).
   */
  get storageBackend(): StorageBackend | null {
    return this.#connection.storageBackend;
  }

  get closed(): boolean {
    return this.#connection.closed;
  }

  exec(sql: string, params?: BindParams): Promise<RunResult> {
    return this.#run('exec', params === undefined ? [sql] : [sql, params]);
  }

  query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    return this.#run('query', params === undefined ? [sql] : [sql, params]) as Promise<T[]>;
  }

  get<T extends Row = Row>(sql: string, params?: BindParams): Promise<T | undefined> {
    return this.#run('get', params === undefined ? [sql] : [sql, params]) as Promise<T | undefined>;
  }

  /**
   * Rows as arrays of values in column order, plus the column names: every column survives even
   * when names repeat (`SELECT a.id, b.id FROM a JOIN b …`), where `query` keeps only the last.
   */
  values(sql: string, params?: BindParams): Promise<ValuesResult> {
    return this.#run('values', params === undefined ? [sql] : [sql, params]);
  }

  /** Runs all statements in one transaction and one round trip to the worker. */
  batch(statements: readonly Statement[]): Promise<RunResult[]> {
    return this.#run('batch', [statements]);
  }

  /** Tables `sql` reads and writes (for live queries). */
  tables(sql: string): Promise<StatementTables> {
    return this.#run('tables', [sql]);
  }

  // ---- key management (core's `@cipherlite/core/keys`, run by the owning tab's worker) ----

  /**
   * Replaces the keyslot `current` opens with one for `next` (no page is rewritten). This tab
   * keeps working; every other open tab re-proves the secret it holds at once and, since the old
   * password no longer opens, locks (`lockState` 'locked'): its user enters the new password.
   */
  changePassword(current: UnlockSecret, next: string | NewSecret, options?: ChangePasswordOptions): Promise<KeyslotInfo> {
    const nextKey: NewSecret = typeof next === 'string' ? { password: next } : next;
    return this.#runWithProof('changePassword', current, (km) => (options === undefined ? [km, nextKey] : [km, nextKey, options]));
  }

  /** Public facts about each keyslot (kind, creation time, KDF cost); never key material. */
  listKeyslots(): Promise<KeyslotInfo[]> {
    return this.#run('listKeyslots', []);
  }

  /**
   * Adds a recovery keyslot (max 4 slots) and returns the recovery key, formatted for people
   * (`K7QJ-2MXA-…`). Show it once and let the user write it down: it is not stored anywhere
   * readable, and it unlocks the database like the password (`unlock({ recoveryKey })`).
   */
  addRecoveryKey(current: UnlockSecret): Promise<RecoveryKeyResult> {
    return this.#runWithProof('addRecoveryKey', current, (km) => [km]);
  }

  /**
   * Re-encrypts the whole database under a new random data key (after a suspected key leak).
   * Crash-safe: a copy is built and verified, then swapped in; an interruption leaves the old or
   * the new database, both opening with `current`. Recovery keys are dropped (listed in the
   * result); add a new one afterwards. Other tabs keep working. `options.signal` cancels it
   * until the copy is verified (phases `copy`, `check`); from the swap on it is ignored.
   */
  rekey(current: UnlockSecret, options?: CallOptions<RekeyPhase>): Promise<{ droppedKeyslots: KeyslotInfo[] }> {
    return this.#runWithProof('rekey', current, (km) => [km], options as CallOptions | undefined);
  }

  /**
   * Adds a passkey keyslot: creates a passkey on this device's authenticator (fingerprint,
   * face, PIN or security key — the browser prompts), evaluates its PRF on a random salt, and
   * stores the slot. Needs an existing secret (`current`). UNSUPPORTED when the browser or
   * authenticator lacks the PRF extension (the password keeps working), CANCELLED when the user
   * dismisses the prompt. Unlock with it: `unlock({ passkey: true })`.
   */
  async addPasskey(current: UnlockSecret, options: AddPasskeyOptions): Promise<KeyslotInfo> {
    const proof = await this.#proof(current);
    const { credentialId, salt, prfOutput } = await (await loadPasskeys()).createPasskey(options);
    const args = transferKey([proof, { credentialId, salt, prfOutput, label: options.label ?? options.userName }] as OpArgs<'addPasskey'>, prfOutput, proof.passkey?.prfOutput);
    return this.#run('addPasskey', args);
  }

  /**
   * Removes keyslot `index` (never the last one, nor the only one `current` opens). With
   * `{ passkey: true }` the prompt leaves out the passkey being removed (NO_PASSKEY when no other
   * passkey remains to prove it).
   */
  async removeKeyslot(current: UnlockSecret, index: number): Promise<KeyslotInfo[]> {
    if (!isPasskeyUnlock(current)) return this.#runWithProof('removeKeyslot', current, (km) => [km, index]);
    const removed = (await this.listKeyslots()).find((k) => k.index === index);
    const km = await this.#connection.passkeyKeyMaterial(current.passkey, removed?.credentialId);
    return this.#run('removeKeyslot', transferKey([km, index] as OpArgs<'removeKeyslot'>, km.passkey?.prfOutput));
  }

  /**
   * **Leaves the protection:** a standard, unencrypted SQLite file of the current content (for a
   * deliberate export the user asked for). Fails with CORRUPT rather than export a damaged page.
   */
  exportPlaintext(options?: CallOptions<'copy'>): Promise<Uint8Array> {
    return this.#run('exportPlaintext', [], undefined, options as CallOptions | undefined);
  }

  /** Authenticates every stored block and runs `integrity_check`; reports damage, never throws for it. */
  verify(options?: CallOptions<'main' | 'journal' | 'integrity'>): Promise<VerifyResult> {
    return this.#run('verify', [], undefined, options as CallOptions | undefined);
  }

  /** Sizes, format facts, keyslots (no secrets), key epochs, per-table rows and bytes. */
  stats(): Promise<DatabaseStats> {
    return this.#run('stats', []);
  }

  /** A consistent encrypted snapshot as bytes (a complete cipherlite database file); cancellable until it returns. */
  backup(current: UnlockSecret, options?: WireOptions<BackupOptions> & CallOptions<'copy' | 'count'>): Promise<BackupResult> {
    const [wire, call] = splitCallOptions(options);
    return this.#runWithProof('backup', current, (km) => (wire === undefined ? [km] : [km, wire]), call);
  }

  /**
   * Validates `bytes` as a backup of this database (format, key, every block's authentication,
   * size, `integrity_check`) without changing anything, and compares it with the current content.
   * Rejects with NOT_A_DATABASE, WRONG_KEY or CORRUPT. The validated backup waits in the worker
   * that owns the files under `id`: follow with `confirmRestore(id, …)` or `cancelRestore(id)`.
   * `{ passkey: true }` runs the ceremony for the backup's own passkey slots (read from its header
   * here, where the bytes are): NO_PASSKEY when the backup has none.
   */
  async inspectBackup(bytes: Uint8Array, secret: UnlockSecret): Promise<PendingRestoreInfo> {
    if (!isPasskeyUnlock(secret)) return this.#run('inspectBackup', [bytes, asKey(secret)]);
    const km = await (await loadPasskeys()).backupPasskeyKeyMaterial(bytes, secret.passkey);
    return this.#run('inspectBackup', transferKey([bytes, km] as OpArgs<'inspectBackup'>, km.passkey?.prfOutput));
  }

  /**
   * Replaces the whole content with pending restore `id`, atomically, after saving an automatic
   * backup of the current content (`<name>.bak-<time>`, encrypted under `current`). Change events
   * for every affected table reach all tabs. `keepBackups` prunes older automatic backups.
   * `options.signal` cancels it during the safety backup (nothing changes, the restore stays
   * pending); once the `restore` phase began it is ignored.
   */
  confirmRestore(id: number, current: UnlockSecret, options?: WireOptions<ConfirmOptions> & CallOptions<'safety-backup' | 'restore'>): Promise<RestoreResult> {
    const [wire, call] = splitCallOptions(options);
    return this.#runWithProof('confirmRestore', current, (km) => (wire === undefined ? [id, km] : [id, km, wire]), call);
  }

  /** Drops pending restore `id` (its keys are wiped). */
  cancelRestore(id: number): Promise<void> {
    return this.#run('cancelRestore', [id]);
  }

  /** The automatic backups kept next to the database (before each restore), newest first. */
  listBackups(): Promise<BackupFile[]> {
    return this.#run('listBackups', []);
  }

  /** Deletes all but the newest `keep` (default 5) automatic backups; returns the deleted names. */
  pruneBackups(keep?: number): Promise<string[]> {
    return this.#run('pruneBackups', keep === undefined ? [] : [keep]);
  }

  /** The encrypted bytes of automatic backup `name` (from `listBackups`): download it, or restore it with `inspectBackup`. */
  readBackup(name: string): Promise<Uint8Array> {
    return this.#run('readBackup', [name]);
  }

  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Other
   * calls — from this tab and every other — wait until it ends, so keep it short.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    return runTransaction(this.#connection, fn);
  }

  /** Calls `listener` after every committed write in any tab, with the changed tables. */
  onChange(listener: (tables: readonly string[]) => void): () => void {
    return this.#connection.onChange(listener);
  }

  /** Calls `listener` after any tab commits a change to one of `tables` (case-insensitive). */
  subscribe(tables: readonly string[], listener: (changed: readonly string[]) => void): () => void {
    const wanted = new Set(tables.map((t) => t.toLowerCase()));
    return this.onChange((changed) => {
      if (changed.some((t) => wanted.has(t.toLowerCase()))) listener(changed);
    });
  }

  /** Calls `listener` on every lock-state change of this tab. */
  onLockState(listener: (state: LockState) => void): () => void {
    return this.#connection.onLockState(listener);
  }

  /** Wipes this tab's keys and closes SQLite here; calls reject with `LOCKED` until `unlock`. */
  async lock(options: { allTabs?: boolean } = {}): Promise<void> {
    await this.#connection.call((r) => r.lock(options.allTabs === true));
    this.#connection.setLockState('locked');
  }

  /** Changes this tab's idle auto-lock (`autoLockMs`; 0 = never lock by itself) from now on. */
  setAutoLock(ms: number): Promise<void> {
    return this.#connection.call((r) => r.setAutoLock(ms));
  }

  /**
   * Unlocks with a password (string), key material, or `{ passkey: true }` (the browser's passkey
   * prompt); `WRONG_KEY` leaves it locked. Passkeys: `NO_PASSKEY` when the database has none,
   * `CANCELLED` when the prompt is dismissed, `UNSUPPORTED` without the PRF extension. After the
   * worker was lost (`WORKER_LOST`), this starts a new worker and opens the database in it.
   */
  unlock(secret: UnlockSecret): Promise<void> {
    return this.#connection.unlock(secret);
  }

  /** Closes the database (keys wiped) and terminates the worker. Idempotent. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Diagnostics: the messages this tab's worker exchanged with another tab's leader, per transport (the direct line's port, the BroadcastChannels). */
  lineCounts(): Promise<LineCounts> {
    return this.#connection.call((r) => r.lineCounts());
  }

  /** @internal Terminates the worker without asking it. */
  async dispose(): Promise<void> {
    this.#connection.dispose();
  }

  /** The one call path of the operations (`OPERATIONS`): `options` adds progress and cancel. */

  /**
   * `current` as key material: a password, key material, or — for `{ passkey: true }` — the PRF
   * output of a passkey ceremony run on this page for the database's passkey slots.
   */
  #proof(current: UnlockSecret): Promise<KeyMaterial> {
    return isPasskeyUnlock(current) ? this.#connection.passkeyKeyMaterial(current.passkey) : Promise.resolve(asKey(current));
  }

  /** Runs a key operation proved by `current`; a passkey's PRF output is transferred, not copied. */
  async #runWithProof<K extends OpName>(op: K, current: UnlockSecret, args: (km: KeyMaterial) => unknown[], options?: CallOptions): Promise<OpResult<K>> {
    const km = await this.#proof(current);
    return this.#run(op, transferKey(args(km) as OpArgs<K>, km.passkey?.prfOutput), undefined, options);
  }
  #run<K extends OpName>(op: K, args: OpArgs<K>, txId?: number, options?: CallOptions): Promise<OpResult<K>> {
    return this.#connection.run(op, args, txId, options);
  }
}
