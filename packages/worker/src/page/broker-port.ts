/**
 * The page's part of the direct line between tabs (shared/line.ts): when its database worker asks
 * (`BROKER_WANTED`: another tab is about), it spawns the broker's SharedWorker — a dedicated worker
 * cannot — and hands the worker its own port to it. A tab alone never spawns the broker.
 */
import * as Comlink from 'comlink';
import { BROKER_WANTED, type WorkerApi } from '../shared/protocol.js';

/**
 * A new port to the direct line's broker (the SharedWorker of `../broker.ts`, shared by every tab
 * of this origin that loads the same script), or null where the page cannot have one: no
 * SharedWorker (Chrome on Android), or a constructor that throws (a CSP without it in
 * `worker-src`). A broker script that fails to load later only means no port is ever paired: the
 * database worker then stays on BroadcastChannels.
 */
export function brokerPort(): MessagePort | null {
  if (typeof SharedWorker !== 'function') return null;
  try {
    // Vite and webpack 5 recognize this exact pattern, as the database worker's (tsdown.config.ts rewrites it for dist/).
    const broker = new SharedWorker(new URL('../broker.ts', import.meta.url), { type: 'module', name: 'cipherlite:broker' });
    broker.addEventListener('error', (ev) => ev.preventDefault());
    return broker.port;
  } catch {
    return null;
  }
}

/** Answers `worker`'s `BROKER_WANTED` with a port to the broker, or null where there is none. */
export function answerBrokerWanted(worker: Worker, remote: Comlink.Remote<WorkerApi>): void {
  worker.addEventListener('message', (ev: MessageEvent<unknown>) => {
    if (ev.data !== BROKER_WANTED) return;
    const port = brokerPort();
    remote.attachBroker(port ? Comlink.transfer(port, [port]) : null).catch(() => undefined);
  });
}
