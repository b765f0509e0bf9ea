/**
 * The direct line's broker in Node tests (shared/line.ts): the real `LineTable` pairing in-memory
 * ports, as the SharedWorker of `broker.ts` pairs MessagePorts. The ports keep what the router and
 * the leader's service depend on: messages structured-cloned and delivered asynchronously, in
 * order, to the other end only. A port owned by a dead tab goes deaf and mute at once, and its
 * other end is told nothing (as in Firefox, which has no `close` event on ports); closing an end
 * tells the other (`onGone`, as Chromium's `close` event). `onPost` sees every message posted on a
 * port (channel name `port`) and may drop or duplicate it, like the bus's.
 */
import { LineTable, type BrokerAnswer, type BrokerPort, type BrokerRequest } from '../src/shared/line.js';
import { BrokerClient, type BrokerLink } from '../src/engine/runtime/broker-client.js';
import type { LineBroker, LinePort } from '../src/engine/runtime/platform.js';
import type { BusMessage } from '../src/shared/bus.js';
import type { Delivery } from './fake-platform.js';

interface End {
  owner: string | null;
  other: End | null;
  handler: ((message: BusMessage) => void) | null;
  gone: (() => void)[];
  open: boolean;
}

export class FakeBroker {
  readonly #table = new LineTable<End>(() => {
    const port1: End = { owner: null, other: null, handler: null, gone: [], open: true };
    const port2: End = { owner: null, other: port1, handler: null, gone: [], open: true };
    port1.other = port2;
    return { port1, port2 };
  });
  readonly #isDead: (tab: string) => boolean;
  readonly #onPost: () => ((message: BusMessage, channel: string, from: string) => Delivery) | null;
  /** Messages delivered over ports so far (a test checks the line was used). */
  delivered = 0;

  constructor(isDead: (tab: string) => boolean, onPost: () => ((message: BusMessage, channel: string, from: string) => Delivery) | null) {
    this.#isDead = isDead;
    this.#onPost = onPost;
  }

  /** Tabs whose workers asked for the broker (a tab alone never does). */
  readonly reached = new Set<string>();

  /**
   * The broker as tab `tab`'s worker reaches it: the worker's real `BrokerClient`, whose ask the
   * "page" answers a turn later with a link to the shared table. The table's answers arrive
   * asynchronously, never at a dead tab.
   */
  clientFor(tab: string): LineBroker {
    let handler: ((answer: BrokerAnswer<End>) => void) | null = null;
    const toTab: BrokerPort<End> = {
      postMessage: (msg: BrokerAnswer<End>) =>
        setTimeout(() => {
          if (!this.#isDead(tab)) handler?.(msg);
        }, 0),
    };
    const link: BrokerLink<End> = {
      post: (msg: BrokerRequest) => {
        if (!this.#isDead(tab)) setTimeout(() => this.#table.receive(toTab, msg), 0);
      },
      listen: (h) => {
        handler = h;
      },
    };
    const client: BrokerClient<End> = new BrokerClient<End>(
      () => {
        this.reached.add(tab);
        setTimeout(() => client.attach(link), 0);
      },
      (end) => this.#port(end, tab),
    );
    return client;
  }

  #port(end: End, owner: string): LinePort {
    end.owner = owner;
    const close = () => {
      if (!end.open) return;
      end.open = false;
      const other = end.other;
      if (other?.open) setTimeout(() => other.owner !== null && !this.#isDead(other.owner) && other.gone.forEach((cb) => cb()), 0);
    };
    return {
      post: (message) => {
        const clone = structuredClone(message); // throws DataCloneError like postMessage
        if (!end.open || this.#isDead(owner)) return; // a closed port's posts go nowhere
        const delivery = this.#onPost()?.(clone, 'port', owner) ?? 'deliver';
        if (delivery === 'drop') return;
        const other = end.other!;
        for (let n = delivery === 'twice' ? 2 : 1; n > 0; n--) {
          const copy = structuredClone(clone);
          setTimeout(() => {
            if (!other.open || other.owner === null || this.#isDead(other.owner)) return;
            this.delivered++;
            other.handler?.(copy);
          }, 0);
        }
      },
      listen: (handler) => {
        end.handler = handler;
      },
      close,
      onGone: (callback) => void end.gone.push(callback),
    };
  }
}

/** Which way a follower's calls go in a test: its port of the direct line, or the BroadcastChannels (an origin without a broker). */
export type Transport = 'port' | 'broadcast';
export const TRANSPORTS: readonly Transport[] = ['port', 'broadcast'];

/**
 * Waits until `follower`'s calls take the port (it paired with the leader it knows): runs a read
 * until a message came over the port. The broker pairs asynchronously after the follower learns
 * the leader's epoch; a test of the port path starts from there.
 */
export async function untilDirect(follower: { run(op: 'query', args: [string]): Promise<unknown>; lineCounts(): Promise<{ direct: number }> }): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await follower.run('query', ['SELECT 1']);
    if ((await follower.lineCounts()).direct > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the follower never got a port of the direct line');
}
