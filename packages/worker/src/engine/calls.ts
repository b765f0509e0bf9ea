/**
 * The calls of this tab's client that carry `CallOptions`, by the client's call id: what
 * `cancel(callId)` aborts, and where their progress goes.
 *
 * Progress goes through the client's one long-lived event proxy, tagged with the call id, rather
 * than through a `Comlink.proxy` callback per call: that would open a MessageChannel per call and
 * need releasing, and a follower's calls reach the leader's worker as bus messages anyway, so an
 * id has to name the call on that path in any case.
 */
import type { Diagnostics } from '../shared/diagnostics.js';
import type { CallTag, WorkerEvents } from '../shared/protocol.js';
import type { CallHooks } from './runtime/progress.js';

/** How long a finished call waits for the client to acknowledge its last progress event. */
const LAST_PROGRESS_WAIT_MS = 1000;

export interface OpenCall {
  readonly id: number;
  readonly abort: AbortController;
  hooks: CallHooks;
  /** Settles when the client ran the newest progress event sent so far. */
  delivered: Promise<unknown>;
}

export class OpenCalls {
  readonly #calls = new Map<number, OpenCall>();
  readonly #events: () => WorkerEvents | null;
  readonly #log: () => Diagnostics;

  /** `events`: the client's callbacks of the moment (none once closed); `log`: the worker's diagnostics. */
  constructor(events: () => WorkerEvents | null, log: () => Diagnostics) {
    this.#events = events;
    this.#log = log;
  }

  /**
   * Registers call `tag` for `cancel` and, if the client listens, sends it its progress (to
   * `events`: a call of a worker that opens no database, e.g. `verifyReplica`).
   */
  begin(tag: CallTag, events?: Pick<WorkerEvents, 'progress'>): OpenCall {
    const abort = new AbortController();
    const call: OpenCall = { id: tag.id, abort, hooks: { signal: abort.signal }, delivered: Promise.resolve() };
    if (tag.progress) {
      const failed = this.#log().ignored('engine.progress-delivery-failed', 'debug');
      call.hooks = {
        signal: abort.signal,
        onProgress: (progress) => {
          const to = events ?? this.#events();
          if (!to) return;
          try {
            call.delivered = Promise.resolve(to.progress(tag.id, progress)).catch(failed);
          } catch (e) {
            failed(e);
          }
        },
      };
    }
    this.#calls.set(tag.id, call);
    return call;
  }

  /**
   * The result travels on another MessagePort than the events, and a browser may deliver it
   * first: wait (briefly) until the client has the last progress event, so `onProgress` never
   * runs after the call settled.
   */
  async end(call: OpenCall): Promise<void> {
    this.#calls.delete(call.id);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([call.delivered, new Promise((resolve) => (timer = setTimeout(resolve, LAST_PROGRESS_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Aborts call `id` (a no-op once it ended). */
  cancel(id: number): void {
    this.#calls.get(id)?.abort.abort();
  }
}
