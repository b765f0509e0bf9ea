/**
 * The SharedWorker entry of the direct line between tabs (shared/line.ts): the page spawns it with
 * `new SharedWorker(new URL('./broker.js', import.meta.url), { type: 'module', name: 'cipherlite:broker' })`
 * and hands the port to its own database worker, which registers (as leader) or asks for a port
 * (as follower) here. It pairs ports and forgets them: nothing else passes through it.
 */
import { LineTable, type BrokerRequest } from './shared/line.js';

const table = new LineTable<MessagePort>(() => new MessageChannel());

(globalThis as unknown as { onconnect: ((ev: MessageEvent) => void) | null }).onconnect = (ev) => {
  const port = ev.ports[0];
  if (!port) return;
  port.onmessage = (msg: MessageEvent<BrokerRequest>) => table.receive(port, msg.data);
};
