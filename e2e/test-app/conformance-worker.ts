/**
 * Runs the shared SyncStorage conformance cases (@cipherlite/core/storage-conformance — the same
 * module Vitest runs against the memory and Node backends) against OPFS, in a dedicated worker
 * (sync access handles exist only there). Each case gets a fresh OPFS directory; every storage is
 * closed afterwards so its handles are released. Posts the results back.
 */
import { runStorageConformance } from '@cipherlite/core/storage-conformance';
import { OpfsStorage, opfsDirectory } from '@cipherlite/worker/opfs-storage';

onmessage = async (e: MessageEvent<string>) => {
  const opened: OpfsStorage[] = [];
  let n = 0;
  try {
    const results = await runStorageConformance(async () => {
      const storage = await OpfsStorage.open(await opfsDirectory(`${e.data}/case-${n++}`));
      opened.push(storage);
      return storage;
    });
    postMessage({ results });
  } catch (err) {
    postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  } finally {
    for (const s of opened) await s.close();
  }
};
