/**
 * The main-thread side: `openDatabase()` spawns this tab's worker, unlocks, and returns a handle
 * that owns the worker and its Comlink proxy. Nothing secret lives here after the call: the
 * password is posted to the worker once, and errors come back as data (`WireError`) that is
 * rebuilt into a `CipherliteError` with its `code`.
 */
import { CipherliteError, fromWire, isWireError } from '@cipherlite/core/errors';
import { PASSKEY_SALT_SIZE } from '@cipherlite/core/header';
import type { BindParams, KeyMaterial, PasskeyUnlock, Row, RunResult, StatementTables, Transaction as CoreTransaction, UnlockSecret, ValuesResult } from '@cipherlite/core';
import * as Comlink from 'comlink';
import type {
  BackupFile,
  BackupOptions,
  BackupResult,
  ChangePasswordOptions,
  ConfirmOptions,
  DatabaseStats,
  KeyslotInfo,
  NewSecret,
  ProgressCallback,
  RecoveryKeyResult,
  RekeyPhase,
  RestoreResult,
  VerifyResult,
} from '@cipherlite/core/keys';
import { Diagnostics, consoleSink } from '../shared/diagnostics.js';
import { DEFAULT_UNRESPONSIVE_MS, WorkerLiveness } from './liveness.js';
import { assertPasskey, registerPasskey, type PasskeyRegistration } from './passkey-ceremony.js';
import { DEFAULT_DIRECTORY, busNames } from '../shared/protocol.js';
import type {
  CallOptions,
  CallTag,
  LockState,
  PendingRestoreInfo,
  Role,
  Statement,
  StorageBackend,
  StorageChoice,
  WorkerApi,
  WorkerEvents,
  WorkerOpenOptions,
  OpArgs,
  OpName,
  OpResult,
  WireOptions,
} from '../shared/protocol.js';

export interface OpenDatabaseBaseOptions extends Omit<WorkerOpenOptions, 'directory'> {
  /** OPFS directory for the files (default `cipherlite`). */
  directory?: string;
  /** Ask the browser to keep this origin's storage (`navigator.storage.persist()`); default `true`. */
  persist?: boolean;
  /**
   * The worker to run in. Default: this package's worker entry, spawned with
   * `new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })` (`../worker.ts` in
   * the workspace), which Vite and webpack 5 bundle.
   */
  worker?: Worker | (() => Worker);
  /**
   * A worker that answers nothing (not even the heartbeat) for this long while calls wait is
   * declared lost (`WORKER_LOST`). Default 60 000 ms; 0 turns the heartbeat off (a worker that
   * dies is still noticed at once).
   */
  unresponsiveTimeoutMs?: number;
}

/** Options of `openDatabase`: a name, exactly one of `password` / `key` / `recoveryKey` / `passkey`, and tuning. */
export type OpenDatabaseOptions = OpenDatabaseBaseOptions & (KeyMaterial | PasskeyUnlock);

/** `addPasskey` options: where the passkey lives and what the authenticator and `listKeyslots` show. */
export interface AddPasskeyOptions extends PasskeyRegistration {
  /** Shown by `listKeyslots` (at most 42 UTF-8 bytes); default `userName`. */
  label?: string;
}

/** Statements available inside `transaction(fn)`: core's `Transaction`, plus `batch`. */
export interface Transaction extends CoreTransaction {
  batch(statements: readonly Statement[]): Promise<RunResult[]>;
}

type Remote = Comlink.Remote<WorkerApi>;

/** `close()` waits this long for the worker to close cleanly before terminating it anyway. */
const CLOSE_TIMEOUT_MS = 5000;

/** Throws `UNSUPPORTED` when this page cannot run the database (checked before spawning anything). */
export function assertBrowserSupport(): void {
  if (typeof Worker !== 'function') throw new CipherliteError('UNSUPPORTED', 'Web Workers are not available in this context (on a server: open the database in an effect or an event handler)');
  // A sandboxed frame without allow-same-origin has an opaque origin: no storage of its own, and
  // Firefox then refuses to load the worker script at all (which would read as a bundler problem).
  if (globalThis.origin === 'null') throw new CipherliteError('UNSUPPORTED', 'this page has an opaque origin (a sandboxed frame without allow-same-origin): it has no storage');
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  // The worker decides between OPFS and IndexedDB (engine/storage/backend.ts); here: is either there at all?
  if (typeof storage?.getDirectory !== 'function' && typeof indexedDB === 'undefined') {
    throw new CipherliteError('UNSUPPORTED', 'neither the Origin Private File System nor IndexedDB is available; use a current browser outside embedded modes');
  }
}

function defaultWorker(name: string): Worker {
  // Vite (and webpack 5, Parcel, rsbuild) recognize this exact pattern and bundle the worker.
  return new Worker(new URL('../worker.ts', import.meta.url), { type: 'module', name: `cipherlite:${name}` });
}

/**
 * The browser only says "the worker failed" (no URL, no status). The usual cause is the app's
 * bundler: the worker file was not emitted, or was pre-bundled away from the URL the client asks
 * for. Say so, and where the fix is, instead of a code that reads like an unsupported browser.
 */
function workerLoadFailedMessage(detail: string): string {
  return (
    `the database worker script did not load${detail ? ` (${detail})` : ''}. ` +
    'This is usually the bundler setup: with Vite, add @cipherlite/worker, @cipherlite/core and @sqlite.org/sqlite-wasm ' +
    'to optimizeDeps.exclude; with webpack 5, keep @cipherlite/worker an ES module import so it bundles ' +
    "`new Worker(new URL('./worker.js', import.meta.url))`; or pass `worker: () => new Worker(...)` to openDatabase. " +
    'See "Install" in the cipherlite README.'
  );
}

/** A bare string means a password. */
function asKey(secret: string | KeyMaterial): KeyMaterial {
  return typeof secret === 'string' ? { password: secret } : secret;
}

function isPasskeyUnlock(secret: UnlockSecret): secret is PasskeyUnlock {
  if (typeof secret !== 'object' || secret === null || secret.passkey === undefined) return false;
  return secret.passkey === true || !(secret.passkey as { prfOutput?: unknown }).prfOutput;
}

/**
 * Runs the passkey ceremony for the slots the worker reads from the file, and returns key
 * material marked for transfer: posting it moves the PRF output's buffer to the worker, which
 * leaves nothing of it on this thread.
 */
async function passkeyKeyMaterial(remote: Remote, where: { name: string; directory: string }, request: PasskeyUnlock['passkey']): Promise<KeyMaterial> {
  const challenges = await remote.passkeyChallenges(where);
  const assertion = await assertPasskey(challenges, request === true ? {} : request);
  return transferKey({ passkey: assertion });
}

/** Marks `value` so posting it moves the given PRF outputs' buffers (default: `value.passkey`'s). */
function transferKey<T extends object>(value: T, ...prfOutputs: (Uint8Array | undefined)[]): T {
  const outs = (prfOutputs.length > 0 ? prfOutputs : [(value as KeyMaterial).passkey?.prfOutput]).filter((o): o is Uint8Array => o !== undefined);
  return outs.length > 0
    ? Comlink.transfer(
        value,
        outs.map((o) => o.buffer),
      )
    : value;
}

/** Validates `CallOptions` (INVALID_ARGUMENT), so a bad one fails here and not in the worker. */
function checkCallOptions(options: CallOptions): CallOptions {
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { onProgress, signal } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new CipherliteError('INVALID_ARGUMENT', 'onProgress must be a function');
  const s = signal as { aborted?: unknown; addEventListener?: unknown } | undefined | null;
  if (s !== undefined && (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function')) {
    throw new CipherliteError('INVALID_ARGUMENT', 'signal must be an AbortSignal');
  }
  return options;
}

/** Splits options into what crosses `postMessage` and the `CallOptions` that stay here. */
function splitCallOptions<T extends object, P extends string>(options: (T & CallOptions<P>) | undefined): [T | undefined, CallOptions | undefined] {
  if (options === undefined) return [undefined, undefined];
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  // A callback for some phases receives every phase's events; the worker sends only this call's.
  const { onProgress, signal, ...wire } = options as unknown as T & CallOptions;
  const call: CallOptions = { ...(onProgress !== undefined ? { onProgress } : {}), ...(signal !== undefined ? { signal } : {}) };
  return [Object.keys(wire).length > 0 ? (wire as T) : undefined, Object.keys(call).length > 0 ? call : undefined];
}

function rebuild(e: unknown): unknown {
  if (isWireError(e)) return fromWire(e);
  if (e instanceof DOMException && e.name === 'DataCloneError') {
    return new CipherliteError('INVALID_ARGUMENT', `a value cannot be sent to the database worker: ${e.message}`, {}, { cause: e });
  }
  return e;
}

/**
 * Requests persistent storage; `null` when the browser cannot tell or the app opted out. Never
 * awaited by `openDatabase`: Firefox asks the user (a permission prompt) and keeps the promise
 * pending until they answer, possibly forever; the answer reaches the handle when it comes.
 */
async function askPersistence(wanted: boolean): Promise<boolean | null> {
  // Optional chaining: WebKit builds without the Storage API have no navigator.storage at all.
  const storage = navigator.storage as StorageManager | undefined;
  if (!wanted || typeof storage?.persist !== 'function') return null;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return null;
  }
}

/**
 * Opens (creating by default) the encrypted database `name` in OPFS and unlocks it.
 * Rejects with `WRONG_KEY`, `UNSUPPORTED`, `CORRUPT`, `NOT_A_DATABASE`, `BUSY`, ...
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<CipherliteDatabase> {
  assertBrowserSupport();
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  return launch(options);
}

/** What `importDatabase` takes: a new name, the SQLite file, its new secret, and `openDatabase`'s tuning. */
export type ImportDatabaseOptions = Omit<OpenDatabaseBaseOptions, 'create' | 'pageSize'> &
  CallOptions<'copy'> & {
    /** A standard (unencrypted) SQLite database file, e.g. from `exportPlaintext` or the `sqlite3` shell. Zeroed in the worker after the import; the caller's array is not touched. */
    bytes: Uint8Array;
  } & ({ password: string; key?: never } | { key: Uint8Array; password?: never });

/**
 * Creates the encrypted database `name` from a standard SQLite file and opens it, like
 * `openDatabase` (same handle, same options; the page size is the file's own). The bytes are
 * copied into the worker, checked (`integrity_check`) and encrypted under `password` or `key`
 * there; the database is created in one transaction. Rejects with INVALID_ARGUMENT if `name`
 * exists (or is open in another tab), NOT_A_DATABASE if `bytes` is not a SQLite file, CORRUPT if
 * SQLite finds it damaged, CANCELLED if `signal` aborts first (what was created is deleted).
 * `onProgress` reports `copy` (pages encrypted).
 */
export async function importDatabase(options: ImportDatabaseOptions): Promise<CipherliteDatabase> {
  assertBrowserSupport();
  if (typeof options !== 'object' || options === null) throw new CipherliteError('INVALID_ARGUMENT', 'expected an options object');
  const { bytes, onProgress, signal, ...open } = options as ImportDatabaseOptions & { recoveryKey?: unknown; passkey?: unknown; create?: unknown; pageSize?: unknown };
  if (!(bytes instanceof Uint8Array)) throw new CipherliteError('INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  if (open.recoveryKey !== undefined || open.passkey !== undefined) throw new CipherliteError('INVALID_ARGUMENT', 'a new database needs a password or a key');
  if ((open.password === undefined) === (open.key === undefined)) throw new CipherliteError('INVALID_ARGUMENT', 'expected exactly one of password or key');
  if (open.create !== undefined || open.pageSize !== undefined)
    throw new CipherliteError('INVALID_ARGUMENT', 'importDatabase always creates, with the page size of the file; drop create and pageSize');
  const call = checkCallOptions({ ...(onProgress !== undefined ? { onProgress: onProgress as ProgressCallback } : {}), ...(signal !== undefined ? { signal } : {}) });
  if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the import was cancelled before it started');
  return launch(open as OpenDatabaseOptions, { bytes, call });
}

/** Spawns the worker and opens (or, with `importing`, imports and opens) the database. */
async function launch(options: OpenDatabaseOptions, importing?: { bytes: Uint8Array; call: CallOptions }): Promise<CipherliteDatabase> {
  const { worker: workerOption, persist = true, password, key, recoveryKey, passkey, directory = DEFAULT_DIRECTORY, unresponsiveTimeoutMs = DEFAULT_UNRESPONSIVE_MS, ...rest } = options;
  const keyMaterial = { password, key, recoveryKey, passkey } as KeyMaterial | PasskeyUnlock;
  for (const k of ['password', 'key', 'recoveryKey', 'passkey'] as const) if (keyMaterial[k] === undefined) delete keyMaterial[k];
  const workerOptions: WorkerOpenOptions = { ...rest, directory };

  const persisted = askPersistence(persist);
  // A worker the app handed over as an instance cannot be spawned again after it is lost.
  let given: Worker | null = typeof workerOption === 'object' ? workerOption : null;
  const spawn = (): Worker => {
    if (given) {
      const w = given;
      given = null;
      return w;
    }
    if (workerOption !== undefined && typeof workerOption !== 'function') {
      throw new CipherliteError('WORKER_LOST', 'the database worker was lost and the app passed a Worker instance, which cannot be started again; open the database again');
    }
    return typeof workerOption === 'function' ? workerOption() : defaultWorker(options.name);
  };
  const db = new CipherliteDatabase(options.name, spawn, workerOptions, unresponsiveTimeoutMs, new Diagnostics(options.logLevel ?? 'off', consoleSink));
  try {
    await db.start(keyMaterial, importing);
    db.opened();
    void persisted.then((answer) => db.persistenceDecided(answer));
    return db;
  } catch (e) {
    await db.dispose();
    throw rebuild(e);
  }
}

/** This handle's current worker, its Comlink proxy and what watches it. */
interface Attached {
  readonly worker: Worker;
  /** Pinned for the worker's life (a collected Comlink proxy hangs its calls). */
  readonly remote: Remote;
  readonly liveness: WorkerLiveness;
  /** Rejects with `WORKER_LOST` when the worker is found dead or wedged. */
  readonly lost: Promise<never>;
}

export class CipherliteDatabase implements AsyncDisposable {
  readonly name: string;
  readonly #spawn: () => Worker;
  readonly #workerOptions: WorkerOpenOptions;
  readonly #unresponsiveMs: number;
  #attached: Attached | null = null;
  /** Set when the worker was lost; cleared when `unlock()` started a new one. */
  #lostError: CipherliteError | null = null;
  readonly #log: Diagnostics;
  #lockState: LockState = 'unlocking';
  #role: Role = 'none';
  #persisted: boolean | null = null;
  #storageBackend: StorageBackend | null = null;
  #closing: Promise<void> | null = null;
  readonly #lockListeners = new Set<(state: LockState) => void>();
  readonly #persistedListeners = new Set<(persisted: boolean) => void>();
  readonly #changeListeners = new Set<(tables: readonly string[]) => void>();
  /** Ends each open `transaction()` with CLOSED (see `close()`). */
  readonly #openTransactions = new Set<(e: CipherliteError) => void>();
  /** `onProgress` of the calls in flight that have one, by call id. */
  readonly #progressListeners = new Map<number, ProgressCallback>();
  #lastCallId = 0;

  /** @internal Receives the worker's events (kept as one object so the proxy stays pinned). */
  readonly eventSink: WorkerEvents = {
    lockState: (state) => {
      if (this.#lockState === state) return;
      this.#lockState = state;
      for (const cb of [...this.#lockListeners]) cb(state);
    },
    change: (tables) => {
      for (const cb of [...this.#changeListeners]) cb(tables);
    },
    role: (role) => {
      this.#role = role;
    },
    progress: (callId, progress) => {
      const listener = this.#progressListeners.get(callId);
      if (!listener) return;
      // The app's callback must not break the call (nor the worker's delivery of the next event).
      try {
        listener(progress);
      } catch (e) {
        this.#log.report('warn', 'client.progress-callback-failed', e);
      }
    },
  };

  /** @internal Use `openDatabase()`. */
  constructor(name: string, spawn: () => Worker, workerOptions: WorkerOpenOptions, unresponsiveMs: number, log: Diagnostics) {
    this.name = name;
    this.#spawn = spawn;
    this.#workerOptions = workerOptions;
    this.#unresponsiveMs = unresponsiveMs;
    this.#log = log;
  }

  /**
   * @internal Spawns a worker and opens the database in it with `key` (first open, or `unlock()`
   * after the worker was lost). Rejects (after terminating it) if the worker fails to start or open.
   */
  async start(secret: KeyMaterial | PasskeyUnlock, importing?: { bytes: Uint8Array; call: CallOptions }): Promise<void> {
    let worker: Worker;
    try {
      worker = this.#spawn();
    } catch (e) {
      if (e instanceof CipherliteError) throw e;
      // e.g. SecurityError in an opaque-origin (sandboxed) frame, which has no OPFS either.
      throw new CipherliteError('UNSUPPORTED', `cannot start the database worker here (${e instanceof Error ? e.name : String(e)})`, {}, { cause: e });
    }
    const remote = Comlink.wrap<WorkerApi>(worker);
    let declareLost!: (e: CipherliteError) => void;
    const lost = new Promise<never>((_, reject) => (declareLost = reject));
    lost.catch(() => undefined); // observed through the calls racing it
    const liveness = new WorkerLiveness(
      worker,
      {
        ping: () => remote.ping(),
        lost: (e) => this.#workerLost(attached, e, declareLost),
        lockUnreliable: () => this.#log.report('warn', 'client.lifetime-lock-unreliable'),
      },
      this.#unresponsiveMs,
    );
    const attached: Attached = { worker, remote, liveness, lost };
    this.#attached = attached;
    // A worker that fails to load never answers: turn its `error` event into a rejection.
    let onError!: (ev: ErrorEvent) => void;
    const failedToStart = new Promise<never>((_, reject) => {
      onError = (ev) => {
        ev.preventDefault();
        reject(new CipherliteError('WORKER_LOAD_FAILED', workerLoadFailedMessage(ev.message)));
      };
      worker.addEventListener('error', onError);
    });
    try {
      // A passkey: the prompt runs here, for the slots the new worker reads from the file.
      const key = isPasskeyUnlock(secret) ? await Promise.race([passkeyKeyMaterial(remote, this.#where(), secret.passkey), failedToStart]) : secret;
      const events = Comlink.proxy(this.eventSink);
      const opening = importing
        ? this.#tracked(importing.call, (tag) => (r) => r.importDatabase(this.#workerOptions, key, importing.bytes, events, tag), remote)
        : remote.open(this.#workerOptions, key, events);
      const info = await Promise.race([opening, failedToStart]);
      liveness.watchLifetimeLock(busNames(this.#workerOptions.directory, this.#workerOptions.name).tabLock(info.tabId));
      this.#role = info.role;
      this.#storageBackend = info.storageBackend;
      this.#lostError = null;
    } catch (e) {
      this.#detach();
      throw e;
    } finally {
      worker.removeEventListener('error', onError);
    }
  }

  /** The worker died or wedged: every waiting call fails now; the handle is locked until `unlock()`. */
  #workerLost(attached: Attached, error: CipherliteError, declare: (e: CipherliteError) => void): void {
    if (this.#attached !== attached) return;
    this.#log.report('error', 'client.worker-lost', error);
    this.#lostError = error;
    declare(error);
    this.#detach();
    this.#role = 'none';
    this.eventSink.lockState('locked');
  }

  /** Stops watching and terminates the current worker. */
  #detach(): void {
    const attached = this.#attached;
    this.#attached = null;
    if (!attached) return;
    attached.liveness.stop();
    attached.remote[Comlink.releaseProxy]();
    attached.worker.terminate();
  }

  /** @internal */
  opened(): void {
    this.eventSink.lockState('unlocked');
  }

  /** @internal The browser answered `navigator.storage.persist()` (after `openDatabase` returned). */
  persistenceDecided(persisted: boolean | null): void {
    if (persisted === null) return;
    this.#persisted = persisted;
    for (const cb of [...this.#persistedListeners]) cb(persisted);
    this.#persistedListeners.clear();
  }

  /** `'locked' | 'unlocking' | 'unlocked'` — what this tab can do right now. */
  get lockState(): LockState {
    return this.#lockState;
  }

  /** Whether this tab owns the files (`leader`) or forwards to another tab (`follower`). */
  get role(): Role {
    return this.#role;
  }

  /**
   * Result of `navigator.storage.persist()`: `true` = the browser will not evict this origin's
   * data. `null` until the browser answers (`openDatabase` does not wait: Firefox asks the user),
   * or when the app passed `persist: false` or the browser has no Storage API; see `onPersisted`.
   */
  get persisted(): boolean | null {
    return this.#persisted;
  }

  /**
   * Calls `listener` once with the browser's answer to `navigator.storage.persist()` — at once
   * (in a microtask) if it is already known. Never called while the answer is pending (a Firefox
   * prompt nobody answered), nor with `persist: false`.
   */
  onPersisted(listener: (persisted: boolean) => void): () => void {
    const known = this.#persisted;
    if (known !== null) {
      let cancelled = false;
      queueMicrotask(() => cancelled || listener(known));
      return () => void (cancelled = true);
    }
    this.#persistedListeners.add(listener);
    return () => void this.#persistedListeners.delete(listener);
  }

  /**
   * Where this database is stored: `'opfs'` (sync access handles) or `'indexeddb'` (the fallback:
   * held in the worker's memory, each commit saved in one IndexedDB transaction).
   */
  get storageBackend(): StorageBackend | null {
    return this.#storageBackend;
  }

  get closed(): boolean {
    return this.#closing !== null;
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
    const salt = crypto.getRandomValues(new Uint8Array(PASSKEY_SALT_SIZE));
    const { credentialId, prfOutput } = await registerPasskey(salt, options);
    const args = transferKey([proof, { credentialId, salt, prfOutput, label: options.label ?? options.userName }] as OpArgs<'addPasskey'>, prfOutput, proof.passkey?.prfOutput);
    return this.#run('addPasskey', args);
  }

  /** Removes keyslot `index` (never the last one, nor the only one `current` opens). */
  removeKeyslot(current: UnlockSecret, index: number): Promise<KeyslotInfo[]> {
    return this.#runWithProof('removeKeyslot', current, (km) => [km, index]);
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
   */
  inspectBackup(bytes: Uint8Array, secret: string | KeyMaterial): Promise<PendingRestoreInfo> {
    return this.#run('inspectBackup', [bytes, asKey(secret)]);
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
  async transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T> {
    const txId = await this.#call((r) => r.txBegin());
    const tx: Transaction = {
      exec: (sql, params) => this.#run('exec', params === undefined ? [sql] : [sql, params], txId),
      query: <R extends Row = Row>(sql: string, params?: BindParams) => this.#run('query', params === undefined ? [sql] : [sql, params], txId) as Promise<R[]>,
      get: <R extends Row = Row>(sql: string, params?: BindParams) => this.#run('get', params === undefined ? [sql] : [sql, params], txId) as Promise<R | undefined>,
      values: (sql, params) => this.#run('values', params === undefined ? [sql] : [sql, params], txId),
      batch: (statements) => this.#run('batch', [statements], txId),
    };
    // close() ends a transaction whose callback never settles (the worker rolls it back).
    let endByClose!: (e: CipherliteError) => void;
    const closed = new Promise<never>((_, reject) => (endByClose = reject));
    this.#openTransactions.add(endByClose);
    let result: T;
    try {
      result = await Promise.race([fn(tx), closed]);
    } catch (e) {
      // The caller's error is the one to report; a failed rollback only gets logged.
      await this.#call((r) => r.txEnd(txId, false)).catch(this.#log.ignored('client.rollback-failed'));
      throw e;
    } finally {
      this.#openTransactions.delete(endByClose);
    }
    await this.#call((r) => r.txEnd(txId, true));
    return result;
  }

  /** Calls `listener` after every committed write in any tab, with the changed tables. */
  onChange(listener: (tables: readonly string[]) => void): () => void {
    this.#changeListeners.add(listener);
    return () => void this.#changeListeners.delete(listener);
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
    this.#lockListeners.add(listener);
    return () => void this.#lockListeners.delete(listener);
  }

  /** Wipes this tab's keys and closes SQLite here; calls reject with `LOCKED` until `unlock`. */
  async lock(options: { allTabs?: boolean } = {}): Promise<void> {
    await this.#call((r) => r.lock(options.allTabs === true));
    this.eventSink.lockState('locked');
  }

  /** Changes this tab's idle auto-lock (`autoLockMs`; 0 = never lock by itself) from now on. */
  setAutoLock(ms: number): Promise<void> {
    return this.#call((r) => r.setAutoLock(ms));
  }

  /**
   * Unlocks with a password (string), key material, or `{ passkey: true }` (the browser's passkey
   * prompt); `WRONG_KEY` leaves it locked. Passkeys: `NO_PASSKEY` when the database has none,
   * `CANCELLED` when the prompt is dismissed, `UNSUPPORTED` without the PRF extension. After the
   * worker was lost (`WORKER_LOST`), this starts a new worker and opens the database in it.
   */
  async unlock(secret: UnlockSecret): Promise<void> {
    if (this.#closing) throw new CipherliteError('CLOSED', `database "${this.name}" is closed`);
    try {
      if (this.#lostError) {
        try {
          await this.start(isPasskeyUnlock(secret) ? secret : asKey(secret));
        } catch (e) {
          throw rebuild(e);
        }
      } else {
        const km = isPasskeyUnlock(secret) ? await this.#call((r) => passkeyKeyMaterial(r, this.#where(), secret.passkey)) : asKey(secret);
        await this.#call((r) => r.unlock(km));
      }
    } catch (e) {
      // A failed unlock of a locked tab leaves it locked. The worker says so through its event
      // callback too, but that travels on another MessagePort, which Firefox may deliver after
      // this reply: without this line `lockState` could still read 'unlocking' here.
      if (this.#lockState !== 'unlocked' && !this.closed) this.eventSink.lockState('locked');
      throw e;
    }
    this.eventSink.lockState('unlocked');
  }

  /** Closes the database (keys wiped) and terminates the worker. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const end of this.#openTransactions) end(new CipherliteError('CLOSED', 'the database was closed during this transaction; it was rolled back'));
      try {
        const attached = this.#attached;
        // Closing on purpose releases the worker's lifetime lock: that is not a lost worker.
        attached?.liveness.stop();
        // A worker stuck in a browser call must not make close() hang: terminate it regardless.
        if (attached) await Promise.race([attached.remote.close().catch(this.#log.ignored('client.close-failed')), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS))]);
      } finally {
        await this.dispose();
      }
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Terminates the worker without asking it (failed open, or after close). */
  async dispose(): Promise<void> {
    this.#closing ??= Promise.resolve();
    this.#detach();
    this.#lockListeners.clear();
    this.#changeListeners.clear();
  }

  /** Where the files are, for the worker's keyless header read. */
  #where(): { name: string; directory: string; storage?: StorageChoice } {
    const { storage } = this.#workerOptions;
    return { name: this.name, directory: this.#workerOptions.directory, ...(storage === undefined ? {} : { storage }) };
  }

  /**
   * `current` as key material: a password, key material, or — for `{ passkey: true }` — the PRF
   * output of a passkey ceremony run on this page for the database's passkey slots.
   */
  async #proof(current: UnlockSecret): Promise<KeyMaterial> {
    return isPasskeyUnlock(current) ? this.#call((r) => passkeyKeyMaterial(r, this.#where(), current.passkey)) : asKey(current);
  }

  /** Runs a key operation proved by `current`; a passkey's PRF output is transferred, not copied. */
  async #runWithProof<K extends OpName>(op: K, current: UnlockSecret, args: (km: KeyMaterial) => unknown[], options?: CallOptions): Promise<OpResult<K>> {
    const km = await this.#proof(current);
    return this.#run(op, transferKey(args(km) as OpArgs<K>, km.passkey?.prfOutput), undefined, options);
  }

  #run<K extends OpName>(op: K, args: OpArgs<K>, txId?: number, options?: CallOptions): Promise<OpResult<K>> {
    if (options === undefined) return this.#call((r) => r.run(op, args, txId) as Promise<OpResult<K>>);
    return this.#call((r) => this.#tracked(options, (tag) => (remote) => remote.run(op, args, txId, tag) as Promise<OpResult<K>>, r));
  }

  /**
   * Runs a call with `CallOptions`: it gets an id; the worker's progress events for that id go to
   * `onProgress`, and aborting `signal` asks the worker to cancel it. The call settles with the
   * worker's answer (CANCELLED once the operation stopped and cleaned up), not at the abort.
   */
  async #tracked<T>(options: CallOptions, fn: (tag: CallTag) => (remote: Remote) => Promise<T>, remote: Remote): Promise<T> {
    const { onProgress, signal } = checkCallOptions(options);
    if (signal?.aborted) throw new CipherliteError('CANCELLED', 'the call was cancelled before it was sent');
    const id = ++this.#lastCallId;
    if (onProgress) this.#progressListeners.set(id, onProgress);
    const onAbort = () => void remote.cancel(id).catch(this.#log.ignored('client.cancel-failed'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn({ id, progress: onProgress !== undefined })(remote);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#progressListeners.delete(id);
    }
  }

  async #call<T>(fn: (remote: Remote) => Promise<T>): Promise<T> {
    if (this.#closing) throw new CipherliteError('CLOSED', `database "${this.name}" is closed`);
    const attached = this.#attached;
    if (!attached) throw this.#lostError ?? new CipherliteError('WORKER_LOST', 'the database worker is not running');
    const ended = attached.liveness.callStarted();
    try {
      return await Promise.race([fn(attached.remote), attached.lost]);
    } catch (e) {
      throw rebuild(e);
    } finally {
      ended();
    }
  }
}
