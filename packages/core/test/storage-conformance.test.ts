/**
 * The SyncStorage contract (storage/sync-file.ts), checked by the shared conformance cases
 * (storage/conformance.ts) against the in-memory and Node-fs backends. The e2e suite runs the
 * same cases against OPFS and IndexedDB in Chromium and Firefox (e2e/tests/storage-conformance.e2e.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStorage, NodeFsStorage, type SyncStorage } from '../src/node.js';
import { storageConformanceCases, type StorageFactory } from '../src/storage/conformance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const backends: [string, StorageFactory][] = [
  ['MemoryStorage', () => new MemoryStorage()],
  [
    'NodeFsStorage',
    () => {
      const d = mkdtempSync(join(tmpdir(), 'cl-conformance-'));
      dirs.push(d);
      return new NodeFsStorage(d);
    },
  ],
];

for (const [backend, factory] of backends) {
  describe(`SyncStorage contract: ${backend}`, () => {
    for (const c of storageConformanceCases) {
      it(c.name, async () => {
        const storage: SyncStorage = await factory();
        await expect(c.run(storage)).resolves.toBeUndefined();
      });
    }
  });
}
