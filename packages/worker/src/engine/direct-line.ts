/**
 * A follower's direct line to the leader's worker (shared/line.ts): a `MessagePort` the broker
 * paired with the worker leading at one epoch. The router sends its requests (and cancels) over
 * it when it has one for the leader it knows, and over the `rpc` BroadcastChannel otherwise; the
 * leader answers on the transport a request came by. The line never decides anything: a port
 * that is gone, or a leader that changed, only means the next message takes the BroadcastChannel,
 * and the router's resend and probe rules apply to every call alike.
 */
import type { BusMessage } from '../shared/bus.js';
import type { Diagnostics } from '../shared/diagnostics.js';
import type { LineCounts } from '../shared/protocol.js';
import type { LineBroker, LinePort } from './runtime/platform.js';

/** How long a retired port still delivers (the router's grace for a vanished leader's last messages). */
export const RETIRE_MS = 1000;

export class DirectLine {
  readonly #broker: LineBroker | null;
  readonly #key: string;
  readonly #tabId: string;
  readonly #log: Diagnostics;
  readonly #onMessage: (message: BusMessage) => void;
  /** The epoch a port is wanted (or held) for; null: none. */
  #epoch: string | null = null;
  #port: LinePort | null = null;
  readonly #counts: LineCounts = { direct: 0, broadcast: 0 };

  constructor(broker: LineBroker | null, key: string, tabId: string, log: Diagnostics, onMessage: (message: BusMessage) => void) {
    this.#broker = broker;
    this.#key = key;
    this.#tabId = tabId;
    this.#log = log;
    this.#onMessage = onMessage;
  }

  /**
   * The leader this tab knows leads at `epoch`: use (or ask the broker for) a port to it. The
   * port to the previous leader is retired: what that leader posted before it went still arrives.
   */
  use(epoch: string): void {
    if (this.#epoch === epoch || !this.#broker) return;
    this.retire();
    this.#epoch = epoch;
    this.#broker.connect(this.#key, epoch, this.#tabId).then((port) => {
      if (!port) return;
      if (this.#epoch !== epoch || this.#port) {
        port.close();
        return;
      }
      this.#port = port;
      // Also once retired: a message its leader posted before it went is still an answer.
      port.listen((message) => {
        this.#counts.direct++;
        this.#onMessage(message);
      });
      port.onGone(() => {
        if (this.#port === port) this.drop();
      });
      this.#log.report('debug', 'router.direct-line-open');
    }, this.#log.ignored('router.direct-line-failed'));
  }

  /** No port from now on (its other end is gone). */
  drop(): void {
    this.#epoch = null;
    const port = this.#port;
    this.#port = null;
    port?.close();
  }

  /**
   * No port from now on (the leader changed, or this tab leads); the old one goes on delivering
   * what its leader posted before it went (`started`, a refusal, an answer) for `RETIRE_MS`.
   */
  retire(): void {
    this.#epoch = null;
    const port = this.#port;
    this.#port = null;
    if (port) setTimeout(() => port.close(), RETIRE_MS);
  }

  /** Sends over the port when there is one, else over `bus`. */
  send(message: BusMessage, bus: { post(message: BusMessage): void }): void {
    if (this.#port) {
      this.#port.post(message);
      this.#counts.direct++;
    } else {
      bus.post(message);
      this.#counts.broadcast++;
    }
  }

  /** A message from the leader arrived on the BroadcastChannel. */
  countBroadcast(): void {
    this.#counts.broadcast++;
  }

  counts(): LineCounts {
    return { ...this.#counts };
  }
}
