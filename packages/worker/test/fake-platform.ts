/**
 * In-memory fakes of the worker's platform (`WorkerPlatform`) for Node tests: Web Locks, named
 * broadcast channels and one shared storage, with a "tab" per worker engine.
 *
 * They keep the browser semantics the coordination depends on: exclusive locks granted in
 * request order, `ifAvailable`, abort signals, locks released when their holder's promise
 * settles; channel messages structured-cloned, delivered asynchronously to every other open end
 * of the same name, never back to the sender. `kill(tab)` is a tab dying without cleanup (a
 * crashed renderer): its locks are freed and its channel ends go deaf and mute at once.
 * `onPost` lets a test drop or duplicate messages in flight. Tabs reach the direct line's broker
 * (fake-line.ts) unless the origin is made with `{ broker: false }`.
 */
import { MemoryStorage } from '@cipherlite/core';
import type { SyncFile, SyncStorage } from '@cipherlite/core';
import type { LogRecord } from '../src/shared/diagnostics.js';
import type { BusChannel, LeaderStorage, LockRequester, WorkerPlatform } from '../src/engine/runtime/platform.js';
import type { BusMessage } from '../src/shared/bus.js';
import { busNames } from '../src/shared/protocol.js';
import { FakeBroker } from './fake-line.js';

interface Waiter {
  readonly owner: string;
  readonly grant: () => void;
}

class FakeLocks {
  readonly #held = new Map<string, { owner: string; token: object }>();
  readonly #queues = new Map<string, Waiter[]>();
  readonly #dead = new Set<string>();

  holder(name: string): string | undefined {
    return this.#held.get(name)?.owner;
  }

  requesterFor(owner: string): LockRequester {
    return { request: (name, options, callback) => this.#request(owner, name, options, callback) };
  }

  #request(owner: string, name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: object | null) => unknown): Promise<unknown> {
    if (this.#dead.has(owner)) return new Promise(() => undefined); // a dead tab's code never resumes
    if (options.ifAvailable && (this.#held.has(name) || (this.#queues.get(name)?.length ?? 0) > 0)) {
      return Promise.resolve().then(() => callback(null));
    }
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(new DOMException('the lock request was aborted', 'AbortError'));
        return;
      }
      const waiter: Waiter = {
        owner,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          const token = {};
          this.#held.set(name, { owner, token });
          Promise.resolve()
            .then(() => callback({ name }))
            .then(
              (value) => {
                this.#release(name, token);
                resolve(value);
              },
              (e: unknown) => {
                this.#release(name, token);
                reject(e);
              },
            );
        },
      };
      const onAbort = () => {
        const queue = this.#queues.get(name) ?? [];
        const i = queue.indexOf(waiter);
        if (i < 0) return;
        queue.splice(i, 1);
        reject(new DOMException('the lock request was aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', onAbort);
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      queue.push(waiter);
      this.#pump(name);
    });
  }

  #release(name: string, token: object): void {
    if (this.#held.get(name)?.token !== token) return;
    this.#held.delete(name);
    this.#pump(name);
  }

  #pump(name: string): void {
    if (this.#held.has(name)) return;
    const next = this.#queues.get(name)?.shift();
    next?.grant();
  }

  /** The tab `owner` died: every lock it holds is free, its queued requests are gone. */
  kill(owner: string): void {
    this.#dead.add(owner);
    for (const [name, queue] of this.#queues)
      this.#queues.set(
        name,
        queue.filter((w) => w.owner !== owner),
      );
    for (const [name, held] of [...this.#held]) {
      if (held.owner !== owner) continue;
      this.#held.delete(name);
      this.#pump(name);
    }
  }
}

/** What `onPost` decides for one message: deliver it, lose it, or deliver it twice. */
export type Delivery = 'deliver' | 'drop' | 'twice';

interface End {
  readonly name: string;
  readonly owner: string;
  handler: ((message: BusMessage) => void) | null;
  open: boolean;
}

class FakeBus {
  readonly #ends = new Set<End>();
  readonly #dead = new Set<string>();
  /** Sees every message a live tab posts (already cloned); decides what happens to it. */
  onPost: ((message: BusMessage, channel: string, from: string) => Delivery) | null = null;

  open(name: string, owner: string): BusChannel {
    const end: End = { name, owner, handler: null, open: true };
    this.#ends.add(end);
    return {
      post: (message) => {
        if (!end.open) throw new DOMException('the channel is closed', 'InvalidStateError');
        const clone = structuredClone(message); // throws DataCloneError like postMessage
        if (this.#dead.has(owner)) return;
        const delivery = this.onPost?.(clone, name, owner) ?? 'deliver';
        if (delivery === 'drop') return;
        for (let n = delivery === 'twice' ? 2 : 1; n > 0; n--) {
          for (const other of this.#ends) {
            if (other === end || other.name !== name || !other.open) continue;
            const copy = structuredClone(clone);
            setTimeout(() => {
              if (other.open && !this.#dead.has(other.owner)) other.handler?.(copy);
            }, 0);
          }
        }
      },
      listen: (handler) => {
        end.handler = handler;
      },
      close: () => {
        end.open = false;
        this.#ends.delete(end);
      },
    };
  }

  kill(owner: string): void {
    this.#dead.add(owner);
  }
}

/**
 * One storage shared by every tab, like an origin's OPFS directory; closing it keeps the files.
 * A dead tab's handles fail every call (its process is gone: nothing it had not written yet
 * reaches the files); `origin.onWrite` sees each write of a live tab before it lands.
 */
class SharedFiles implements SyncStorage {
  readonly #files: MemoryStorage;
  readonly #origin: FakeOrigin;
  readonly #tab: string;

  constructor(files: MemoryStorage, origin: FakeOrigin, tab: string) {
    this.#files = files;
    this.#origin = origin;
    this.#tab = tab;
  }

  open(name: string, options: { create: boolean }): SyncFile {
    const file = this.#files.open(name, options);
    const alive = () => {
      if (this.#origin.isDead(this.#tab)) throw new Error(`tab ${this.#tab} is dead`);
    };
    return {
      read: (buf, opts) => (alive(), file.read(buf, opts)),
      write: (buf, opts) => {
        alive();
        this.#origin.onWrite?.(this.#tab, name);
        alive();
        return file.write(buf, opts);
      },
      truncate: (size) => (alive(), file.truncate(size)),
      getSize: () => (alive(), file.getSize()),
      flush: () => (alive(), file.flush()),
      close: () => file.close(),
    };
  }

  exists(name: string): boolean {
    return this.#files.exists(name);
  }

  delete(name: string): void {
    this.#files.delete(name);
  }

  list(): string[] {
    return this.#files.list();
  }
}

/** The leader's view of the shared files: durable as written, like OPFS. */
function sharedStorage(files: MemoryStorage, origin: FakeOrigin, tab: string): LeaderStorage {
  return {
    backend: 'opfs',
    files: new SharedFiles(files, origin, tab),
    commit: async () => undefined,
    revert: async () => undefined,
    stillThere: async (name) => files.exists(name),
    close: async () => undefined,
  };
}

/** One origin: shared locks, channels and files; `tab(name)` is the platform of one tab's worker. */
export class FakeOrigin {
  readonly files = new MemoryStorage();
  readonly locks = new FakeLocks();
  readonly bus = new FakeBus();
  readonly #dead = new Set<string>();
  /** The direct line's broker, null in an origin made with `{ broker: false }`. */
  readonly broker: FakeBroker | null;

  constructor(options: { broker?: boolean } = {}) {
    this.broker =
      options.broker === false
        ? null
        : new FakeBroker(
            (tab) => this.isDead(tab),
            () => this.bus.onPost,
          );
  }

  /** Called before each write a live tab makes to the shared files (a test may kill the tab here). */
  onWrite: ((tab: string, file: string) => void) | null = null;
  /**
   * When set, reading a file's start without its handle fails while a tab leads, as Chromium's
   * OPFS `getFile()` does while another context holds a sync access handle.
   */
  refuseReadsWhileHeld = false;
  /** Every diagnostics record, with the tab that logged it. */
  readonly log: (LogRecord & { tab: string })[] = [];

  tab(name: string): WorkerPlatform {
    return {
      locks: this.locks.requesterFor(name),
      openChannel: (channel) => this.bus.open(channel, name),
      broker: this.broker?.clientFor(name) ?? null,
      chooseBackend: async () => 'opfs',
      openStorage: async () => sharedStorage(this.files, this, name),
      readFileStart: async (o, length) => {
        if (this.refuseReadsWhileHeld && this.locks.holder(busNames(o.directory, o.name).leaderLock) !== undefined) {
          throw new DOMException('the file is locked by another context', 'NoModificationAllowedError');
        }
        return this.files.files.get(o.name)?.bytes().slice(0, length) ?? null;
      },
      assertSupport: () => undefined,
      logSink: (record) => this.log.push({ ...record, tab: name }),
    };
  }

  isDead(name: string): boolean {
    return this.#dead.has(name);
  }

  /** The tab `name` dies without any cleanup: locks freed, channels silent. */
  kill(name: string): void {
    this.#dead.add(name);
    this.bus.kill(name);
    this.locks.kill(name);
  }
}
