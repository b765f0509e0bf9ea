/**
 * A dedicated worker's side of the direct line's broker (shared/line.ts), reached lazily: a tab
 * alone never spawns the broker's SharedWorker. The worker asks its page for a port to the broker
 * (`ask`, which posts `BROKER_WANTED`) only once another tab is about — when this worker, as a
 * follower, wants a port to its leader (`connect`), or, as a leader, hears from another tab over
 * the BroadcastChannels (`wanted`). The page answers with `attach`: a port, or null where it
 * cannot have one (no SharedWorker, a constructor that throws). Until then a registration is kept
 * here and a `connect` waits; with null, every `connect` answers null and the worker stays on
 * BroadcastChannels. The broker keeps a follower's request until the leader's registration of that
 * epoch arrives (shared/line.ts), so the two tabs may reach it in either order.
 *
 * Generic over the port type: a browser's broker answers carry `MessagePort`s, the Node tests'
 * in-memory ports (test/fake-line.ts) run this same class.
 */
import type { BrokerAnswer, BrokerRequest } from '../../shared/line.js';
import type { BusMessage } from '../../shared/bus.js';
import type { LineBroker, LinePort } from './platform.js';

/** The worker's link to the broker, once the page handed one over. */
export interface BrokerLink<Port> {
  post(request: BrokerRequest): void;
  listen(handler: (answer: BrokerAnswer<Port>) => void): void;
}

/** A `MessagePort` of the direct line as a `LinePort`. */
export function linePort(port: MessagePort): LinePort {
  return {
    post: (message: BusMessage) => port.postMessage(message),
    listen: (handler) => {
      port.onmessage = (ev: MessageEvent<BusMessage>) => handler(ev.data);
    },
    close: () => port.close(),
    // MessagePort's `close` event (Chromium 122+); elsewhere the leader's epoch change tells.
    onGone: (callback) => port.addEventListener('close', callback),
  };
}

/** The page's port to the broker's SharedWorker as a `BrokerLink`. */
export function messagePortLink(port: MessagePort): BrokerLink<MessagePort> {
  return {
    post: (request) => port.postMessage(request),
    listen: (handler) => {
      port.onmessage = (ev: MessageEvent<BrokerAnswer<MessagePort>>) => handler(ev.data);
    },
  };
}

/** Where this worker stands with the broker. */
type Reach<Port> = { kind: 'not-asked' } | { kind: 'asked' } | { kind: 'reached'; link: BrokerLink<Port> } | { kind: 'none' };

interface Connecting {
  readonly key: string;
  readonly epoch: string;
  readonly tabId: string;
  readonly resolve: (port: LinePort | null) => void;
}

export class BrokerClient<Port> implements LineBroker {
  readonly #ask: () => void;
  readonly #toLine: (port: Port) => LinePort;
  #reach: Reach<Port> = { kind: 'not-asked' };
  #lastId = 0;
  /** This worker's registrations as leader, by `key\nepoch`. */
  readonly #leading = new Map<string, { key: string; epoch: string; onFollower: (tabId: string, port: LinePort) => void }>();
  /** `connect` calls not answered yet, by id; those made before the broker was reached are sent on `attach`. */
  readonly #connecting = new Map<number, Connecting>();

  /** `ask` asks the page for a port to the broker (answered by `attach`); `toLine` wraps a paired port. */
  constructor(ask: () => void, toLine: (port: Port) => LinePort) {
    this.#ask = ask;
    this.#toLine = toLine;
  }

  /** The page's answer to `ask`: a link to the broker, or null where it has none (once; later answers are ignored). */
  attach(link: BrokerLink<Port> | null): void {
    if (this.#reach.kind === 'reached' || this.#reach.kind === 'none') return;
    if (!link) {
      this.#reach = { kind: 'none' };
      for (const c of this.#connecting.values()) c.resolve(null);
      this.#connecting.clear();
      return;
    }
    this.#reach = { kind: 'reached', link };
    link.listen((answer) => this.#receive(answer));
    for (const { key, epoch } of this.#leading.values()) link.post({ kind: 'register', key, epoch });
    for (const [id, c] of this.#connecting) link.post({ kind: 'connect', id, key: c.key, epoch: c.epoch, tabId: c.tabId });
  }

  /** Another tab is about (a leader heard from one): reach the broker if not yet asked. */
  wanted(): void {
    if (this.#reach.kind !== 'not-asked') return;
    this.#reach = { kind: 'asked' };
    this.#ask();
  }

  register(key: string, epoch: string, onFollower: (tabId: string, port: LinePort) => void): () => void {
    const id = `${key}\n${epoch}`;
    this.#leading.set(id, { key, epoch, onFollower });
    this.#post({ kind: 'register', key, epoch });
    return () => {
      if (this.#leading.delete(id)) this.#post({ kind: 'unregister', key, epoch });
    };
  }

  connect(key: string, epoch: string, tabId: string): Promise<LinePort | null> {
    if (this.#reach.kind === 'none') return Promise.resolve(null);
    const id = ++this.#lastId;
    const answer = new Promise<LinePort | null>((resolve) => this.#connecting.set(id, { key, epoch, tabId, resolve }));
    this.#post({ kind: 'connect', id, key, epoch, tabId });
    this.wanted();
    return answer;
  }

  /** Sends to the broker once reached; before, `attach` sends what is still wanted then. */
  #post(request: BrokerRequest): void {
    if (this.#reach.kind === 'reached') this.#reach.link.post(request);
  }

  #receive(msg: BrokerAnswer<Port>): void {
    if (msg.kind === 'connected') {
      const c = this.#connecting.get(msg.id);
      this.#connecting.delete(msg.id);
      if (c) c.resolve(msg.port ? this.#toLine(msg.port) : null);
      else if (msg.port) this.#toLine(msg.port).close();
      return;
    }
    const leading = this.#leading.get(`${msg.key}\n${msg.epoch}`);
    // A follower paired with a leadership that ended here meanwhile: it falls back on its own.
    if (leading) leading.onFollower(msg.tabId, this.#toLine(msg.port));
    else this.#toLine(msg.port).close();
  }
}
