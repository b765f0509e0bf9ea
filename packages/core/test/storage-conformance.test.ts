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
import { storageConformanceCases, type ConformanceOptions, type StorageFactory } from '../src/storage/conformance.js';

const dirs: string[] = [];
/** The directory of each NodeFsStorage, to open another storage over it. */
const dirOf = new Map<SyncStorage, string>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const nodeFs = (d: string): NodeFsStorage => {
  const s = new NodeFsStorage(d);
  dirOf.set(s, d);
  return s;
};

const backends: [string, StorageFactory, ConformanceOptions][] = [
  // The map is the place: "reopening" keeps the same storage.
  ['MemoryStorage', () => new MemoryStorage(), { reopen: async (s) => s }],
  [
    'NodeFsStorage',
    () => {
      const d = mkdtempSync(join(tmpdir(), 'cl-conformance-'));
      dirs.push(d);
      return nodeFs(d);
    },
    {
      async reopen(s) {
        (s as NodeFsStorage).closeAll();
        return nodeFs(dirOf.get(s)!);
      },
    },
  ],
];

for (const [backend, factory, options] of backends) {
  describe(`SyncStorage contract: ${backend}`, () => {
    for (const c of storageConformanceCases) {
      it(c.name, async () => {
        const storage: SyncStorage = await factory();
        await expect(c.run(storage, options)).resolves.toBeUndefined();
      });
    }
  });
}
