/**
 * What the worker's coordination needs from its surroundings, in one small interface: Web Locks,
 * BroadcastChannels, the direct line's broker, the storage the leader opens, and a place for diagnostics.
 *
 * `WorkerEngine`, `Leader` and `Router` reach the browser only through a `WorkerPlatform`, so the
 * election, forwarding, resend and transaction rules run in Node tests against in-memory fakes
 * (`test/fake-platform.ts`) and a real core `Database`; the browser implementation is
 * `engine/browser-platform.ts`, and the browser tests (e2e/) then only have to prove that glue.
 */
import type { SyncStorage } from '@cipherlite/core';
import type { Diagnostics, LogSink } from '../../shared/diagnostics.js';
import type { BusMessage } from '../../shared/bus.js';
import type { StorageBackend, StorageChoice, WorkerOpenOptions } from '../../shared/protocol.js';

/** The subset of `navigator.locks` (`LockManager.request`) the worker uses. */
export interface LockRequester {
  /**
   * Requests the exclusive lock `name`; `callback` gets `null` when `ifAvailable` is set and the
   * lock is held elsewhere. The lock is held until the promise `callback` returns settles.
   * Rejects (`AbortError`) when `signal` aborts before the lock was granted.
   */
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: object | null) => unknown): Promise<unknown>;
}

/** One end of a named broadcast channel: delivers to every other open end of the same name. */
export interface BusChannel {
  /** Sends a structured clone of `message`; throws (`DataCloneError`) when it cannot be cloned. */
  post(message: BusMessage): void;
  /** Replaces the handler of incoming messages. */
  listen(handler: (message: BusMessage) => void): void;
  close(): void;
}

/** One end of a port of the direct line (shared/line.ts): a `BusChannel` to one other worker. */
export interface LinePort extends BusChannel {
  /** Calls `callback` if the other end is known to be gone (where the engine reports it). */
  onGone(callback: () => void): void;
}

/**
 * The broker of the direct line between tabs (shared/line.ts, engine/direct-line.ts). A worker
 * without one (no SharedWorker in this browser, or none handed over) sends everything over the
 * BusChannels; one whose broker never answers does too. It is reached lazily (a tab alone never
 * spawns it): on the first `connect`, or on `wanted`; until then a registration is only kept.
 */
export interface LineBroker {
  /**
   * This worker leads `key` at `epoch`: `onFollower` receives each follower's port from now on
   * (from when the broker is reached). Returns what ends the registration.
   */
  register(key: string, epoch: string, onFollower: (tabId: string, port: LinePort) => void): () => void;
  /** A port to the worker leading `key` at exactly `epoch`, or null when the broker has none to give. */
  connect(key: string, epoch: string, tabId: string): Promise<LinePort | null>;
  /** Another tab is about (a leader heard from one over the BusChannels): reach the broker now. */
  wanted(): void;
}

/**
 * The storage a leader opens the database on: core's `SyncStorage` (`files`) plus the leader's
 * needs, the same for every backend (storage/backend.ts).
 */
export interface LeaderStorage {
  readonly backend: StorageBackend;
  /** What core's `Database` runs on. */
  readonly files: SyncStorage;
  /** Makes every change so far durable; resolves when it is (nothing to do on OPFS). */
  commit(): Promise<void>;
  /** After a failed `commit()`, with the database closed: drops what was not made durable. */
  revert(): Promise<void>;
  /** False once `name` vanished from under the open database (site data cleared). */
  stillThere(name: string): Promise<boolean>;
  /** Releases every file handle (the next leader must be able to open the files). */
  close(): Promise<void>;
}

export interface WorkerPlatform {
  readonly locks: LockRequester;
  openChannel(name: string): BusChannel;
  /** The direct line's broker, null where there is none (everything then goes over `openChannel`). */
  readonly broker: LineBroker | null;
  /** Takes the page's answer to `BROKER_WANTED`: its port to the broker's SharedWorker, or null (browser only; see `WorkerApi.attachBroker`). */
  attachBroker?(port: MessagePort | null): void;
  /** Resolves the `storage` option to the backend this context will use (UNSUPPORTED if none). */
  chooseBackend(choice: StorageChoice | undefined): Promise<StorageBackend>;
  /** Opens the storage holding the database files of `options` on `backend`. */
  openStorage(options: WorkerOpenOptions, backend: StorageBackend, log: Diagnostics): Promise<LeaderStorage>;
  /**
   * The first `length` bytes of database file `name` (fewer if it is shorter), read without
   * taking its handle, on `backend` — or `null` when it does not exist. It may fail while another
   * tab leads (Chromium refuses OPFS `getFile()` while a sync access handle is open).
   */
  readFileStart(options: Pick<WorkerOpenOptions, 'directory' | 'name'>, length: number, backend: StorageBackend): Promise<Uint8Array | null>;
  /** Throws `UNSUPPORTED` when this context lacks something the worker needs. */
  assertSupport(): void;
  /** Where diagnostics go when `logLevel` lets them through (the worker's console in the browser). */
  readonly logSink: LogSink;
}

/** A held Web Lock: `granted` says whether we got it, `release` lets it go (or stops waiting for it). */
export interface HeldLock {
  readonly granted: Promise<boolean>;
  readonly release: () => void;
}

/** Requests `name` and keeps it until `release()`; an aborted or unavailable request grants `false`. */
export function holdLock(locks: LockRequester, name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }): HeldLock {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const granted = new Promise<boolean>((resolve) => {
    locks
      .request(name, options, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : held;
      })
      .catch(() => resolve(false)); // aborted: the only way this request rejects
  });
  return { granted, release };
}
