/**
 * The `WorkerPlatform` of a dedicated worker in a browser: `navigator.locks`, `BroadcastChannel`,
 * the direct line's broker the page hands over when asked (`runtime/broker-client.ts`), OPFS or IndexedDB storage (`storage/backend.ts`), and the worker's console for diagnostics.
 */
import { CipherliteError } from '@cipherlite/core';
import { consoleSink } from '../shared/diagnostics.js';
import type { BusChannel, WorkerPlatform } from './runtime/platform.js';
import type { BusMessage } from '../shared/bus.js';
import { BrokerClient, linePort, messagePortLink } from './runtime/broker-client.js';
import { BROKER_WANTED } from '../shared/protocol.js';
import { chooseBackend, openLeaderStorage } from './storage/backend.js';
import { readFileStart } from '../shared/file-start.js';

function broadcastChannel(name: string): BusChannel {
  const channel = new BroadcastChannel(name);
  return {
    post: (message) => channel.postMessage(message),
    listen: (handler) => {
      channel.onmessage = (ev: MessageEvent<BusMessage>) => handler(ev.data);
    },
    close: () => channel.close(),
  };
}

function assertWorkerSupport(): void {
  // Storage (OPFS or IndexedDB) is checked by `chooseBackend`.
  if (!globalThis.navigator?.locks) throw new CipherliteError('UNSUPPORTED', 'Web Locks (navigator.locks) are not available in this worker');
  if (typeof BroadcastChannel !== 'function') throw new CipherliteError('UNSUPPORTED', 'BroadcastChannel is not available in this worker');
}

export function browserPlatform(): WorkerPlatform {
  // The page answers BROKER_WANTED with `attachBroker` (page/broker-port.ts).
  const broker = new BrokerClient<MessagePort>(() => postMessage(BROKER_WANTED), linePort);
  return {
    // Looked up per call: `navigator.locks` is missing in unsupported contexts, which
    // `assertSupport` reports before any lock is requested.
    locks: { request: (name, options, callback) => navigator.locks.request(name, options, callback) },
    openChannel: broadcastChannel,
    broker,
    attachBroker: (port) => broker.attach(port ? messagePortLink(port) : null),
    chooseBackend,
    openStorage: (options, backend, log) => openLeaderStorage(backend, options, log),
    readFileStart,
    assertSupport: assertWorkerSupport,
    logSink: consoleSink,
  };
}
