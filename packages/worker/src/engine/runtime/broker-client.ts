/**
 * A dedicated worker's side of the direct line's broker (shared/line.ts): the page hands over a
 * port to the broker's SharedWorker (`attach`, before `open`), and this speaks the broker's
 * protocol over it. Until a port arrives — or forever, where the page has no SharedWorker —
 * `register` does nothing and `connect` answers null: the worker stays on BroadcastChannels.
 */
import type { BrokerAnswer, BrokerRequest } from '../../shared/line.js';
import type { BusMessage } from '../../shared/bus.js';
import type { LineBroker, LinePort } from './platform.js';

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

export class BrokerClient implements LineBroker {
  #port: MessagePort | null = null;
  #lastId = 0;
  readonly #leading = new Map<string, (tabId: string, port: LinePort) => void>();
  readonly #connecting = new Map<number, (port: LinePort | null) => void>();

  /** The page's port to the broker (once; a second is closed). */
  attach(port: MessagePort): void {
    if (this.#port) {
      port.close();
      return;
    }
    this.#port = port;
    port.onmessage = (ev: MessageEvent<BrokerAnswer<MessagePort>>) => this.#receive(ev.data);
  }

  register(key: string, epoch: string, onFollower: (tabId: string, port: LinePort) => void): () => void {
    const broker = this.#port;
    if (!broker) return () => undefined;
    const id = `${key}\n${epoch}`;
    this.#leading.set(id, onFollower);
    this.#send(broker, { kind: 'register', key, epoch });
    return () => {
      if (!this.#leading.delete(id)) return;
      this.#send(broker, { kind: 'unregister', key, epoch });
    };
  }

  connect(key: string, epoch: string, tabId: string): Promise<LinePort | null> {
    const broker = this.#port;
    if (!broker) return Promise.resolve(null);
    const id = ++this.#lastId;
    return new Promise((resolve) => {
      this.#connecting.set(id, resolve);
      this.#send(broker, { kind: 'connect', id, key, epoch, tabId });
    });
  }

  #send(broker: MessagePort, request: BrokerRequest): void {
    broker.postMessage(request);
  }

  #receive(msg: BrokerAnswer<MessagePort>): void {
    if (msg.kind === 'connected') {
      const resolve = this.#connecting.get(msg.id);
      this.#connecting.delete(msg.id);
      if (resolve) resolve(msg.port ? linePort(msg.port) : null);
      else msg.port?.close();
      return;
    }
    const onFollower = this.#leading.get(`${msg.key}\n${msg.epoch}`);
    // A follower paired with a leadership that ended here meanwhile: it falls back on its own.
    if (onFollower) onFollower(msg.tabId, linePort(msg.port));
    else msg.port.close();
  }
}
