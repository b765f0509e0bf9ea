/**
 * The `WorkerPlatform` of a dedicated worker in a browser: `navigator.locks`, `BroadcastChannel`,
 * OPFS storage (`OpfsStorage`), and the worker's console for diagnostics.
 */
import { CipherliteError } from '@cipherlite/core';
import { consoleSink } from './diagnostics.js';
import type { Diagnostics } from './diagnostics.js';
import { OpfsStorage, assertOpfsSupport, opfsDirectory } from './opfs-storage.js';
import { readOpfsFileStart } from './opfs-read.js';
import type { BusChannel, LeaderStorage, WorkerPlatform } from './platform.js';
import type { BusMessage, WorkerOpenOptions } from './protocol.js';

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

async function openOpfsStorage(options: WorkerOpenOptions, log: Diagnostics): Promise<LeaderStorage> {
  const dir = await opfsDirectory(options.directory);
  return OpfsStorage.open(dir, options.acquireTimeoutMs === undefined ? { log } : { acquireTimeoutMs: options.acquireTimeoutMs, log });
}

function assertWorkerSupport(): void {
  assertOpfsSupport();
  if (!globalThis.navigator?.locks) throw new CipherliteError('UNSUPPORTED', 'Web Locks (navigator.locks) are not available in this worker');
  if (typeof BroadcastChannel !== 'function') throw new CipherliteError('UNSUPPORTED', 'BroadcastChannel is not available in this worker');
}

export function browserPlatform(): WorkerPlatform {
  return {
    // Looked up per call: `navigator.locks` is missing in unsupported contexts, which
    // `assertSupport` reports before any lock is requested.
    locks: { request: (name, options, callback) => navigator.locks.request(name, options, callback) },
    openChannel: broadcastChannel,
    openStorage: openOpfsStorage,
    readFileStart: readOpfsFileStart,
    assertSupport: assertWorkerSupport,
    logSink: consoleSink,
  };
}
