/**
 * transferBytes: a whole-file result moves through a real MessageChannel (Comlink, as between
 * the worker and the page) instead of being copied — the sender's buffer is detached afterwards —
 * and a view into a larger buffer is copied, never transferred.
 */
import { MessageChannel } from 'node:worker_threads';
import { expose, wrap, type Endpoint } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { transferBytes } from '../src/engine/runtime/transfer.js';

const ports: { close(): void }[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

/** A Comlink link whose remote side answers `get()` with `transferBytes(value())`. */
function link<T>(value: () => T): { get(): Promise<T> } {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  expose({ get: () => transferBytes(value()) }, port1 as unknown as Endpoint);
  return wrap<{ get(): T }>(port2 as unknown as Endpoint) as unknown as { get(): Promise<T> };
}

describe('transferBytes', () => {
  it('moves a backup-shaped result: the receiver gets the bytes, the sender keeps none', async () => {
    const sent = { bytes: Uint8Array.from({ length: 1 << 16 }, (_, i) => i & 255), meta: { sizeBytes: 1 << 16 } };
    const got = await link(() => sent).get();
    expect(got.meta).toEqual({ sizeBytes: 1 << 16 });
    expect(got.bytes.length).toBe(1 << 16);
    expect(got.bytes[1000]).toBe(1000 & 255);
    expect(sent.bytes.byteLength).toBe(0); // detached: transferred, not copied
  });

  it('moves a bare Uint8Array (exportPlaintext, readBackup)', async () => {
    const sent = new Uint8Array(4096).fill(9);
    const got = await link(() => sent).get();
    expect(got).toEqual(new Uint8Array(4096).fill(9));
    expect(sent.byteLength).toBe(0);
  });

  it('copies a view into a larger buffer (it may share memory) and leaves other results alone', async () => {
    const whole = new Uint8Array(8192).fill(4);
    const view = whole.subarray(0, 4096);
    const got = await link(() => view).get();
    expect(got).toEqual(new Uint8Array(4096).fill(4));
    expect(whole.byteLength).toBe(8192);
    expect(view.byteLength).toBe(4096);
    const plain = { rows: [1, 2] };
    expect(transferBytes(plain)).toBe(plain);
    expect(await link(() => plain).get()).toEqual(plain);
  });
});
