/**
 * The direct line between tabs: a broker every tab of the origin reaches (the SharedWorker of
 * `broker.ts`) hands a follower's worker a `MessagePort` to the leader's worker, so the follower's
 * requests, `started`, progress and answers skip the BroadcastChannels (which pass through the
 * browser process). The broker only pairs ports: it never sees a request, an answer or a key.
 *
 * Its table here is free of the SharedWorker's globals. A leader registers under its database's
 * location (`busNames(…).leaderLock`) and epoch; a follower asks for a port to one epoch, and is
 * paired only with a registration of exactly that epoch — an older leader's port is never handed
 * out for a newer one. A request for an epoch not registered (yet) waits for it; the next
 * registration of another epoch answers it with no port.
 */

/** worker → broker. */
export type BrokerRequest =
  { kind: 'register'; key: string; epoch: string } | { kind: 'unregister'; key: string; epoch: string } | { kind: 'connect'; id: number; key: string; epoch: string; tabId: string };

/** broker → worker: a follower's end (to the leader), or the answer to `connect` `id` (to the follower). */
export type BrokerAnswer<Port> = { kind: 'follower'; key: string; epoch: string; tabId: string; port: Port } | { kind: 'connected'; id: number; port: Port | null };

/** What the table needs of a port: posting with transfer. */
export interface BrokerPort<Port> {
  postMessage(message: BrokerAnswer<Port>, transfer: Port[]): void;
}

/** Connect requests kept per database while their epoch is not registered. */
const WAITING_LIMIT = 64;

interface Waiting<Port> {
  readonly from: BrokerPort<Port>;
  readonly id: number;
  readonly epoch: string;
  readonly tabId: string;
}

export class LineTable<Port> {
  readonly #leaders = new Map<string, { epoch: string; port: BrokerPort<Port> }>();
  readonly #waiting = new Map<string, Waiting<Port>[]>();
  readonly #channel: () => { port1: Port; port2: Port };

  /** `channel` makes a connected pair of ports (`new MessageChannel()`). */
  constructor(channel: () => { port1: Port; port2: Port }) {
    this.#channel = channel;
  }

  receive(from: BrokerPort<Port>, msg: BrokerRequest): void {
    switch (msg.kind) {
      case 'register': {
        const leader = { epoch: msg.epoch, port: from };
        this.#leaders.set(msg.key, leader);
        const waiting = this.#waiting.get(msg.key) ?? [];
        this.#waiting.delete(msg.key);
        for (const w of waiting) {
          if (w.epoch === msg.epoch) this.#pair(msg.key, leader, w);
          else w.from.postMessage({ kind: 'connected', id: w.id, port: null }, []);
        }
        return;
      }
      case 'unregister':
        if (this.#leaders.get(msg.key)?.port === from && this.#leaders.get(msg.key)?.epoch === msg.epoch) this.#leaders.delete(msg.key);
        return;
      case 'connect': {
        const w: Waiting<Port> = { from, id: msg.id, epoch: msg.epoch, tabId: msg.tabId };
        const leader = this.#leaders.get(msg.key);
        if (leader?.epoch === msg.epoch) {
          this.#pair(msg.key, leader, w);
          return;
        }
        const waiting = this.#waiting.get(msg.key) ?? [];
        this.#waiting.set(msg.key, waiting);
        waiting.push(w);
        if (waiting.length > WAITING_LIMIT) {
          const old = waiting.shift()!;
          old.from.postMessage({ kind: 'connected', id: old.id, port: null }, []);
        }
        return;
      }
      default:
        return;
    }
  }

  #pair(key: string, leader: { epoch: string; port: BrokerPort<Port> }, w: Waiting<Port>): void {
    const { port1, port2 } = this.#channel();
    leader.port.postMessage({ kind: 'follower', key, epoch: leader.epoch, tabId: w.tabId, port: port1 }, [port1]);
    w.from.postMessage({ kind: 'connected', id: w.id, port: port2 }, [port2]);
  }
}
