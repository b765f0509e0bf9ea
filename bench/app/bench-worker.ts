/**
 * Dedicated worker that runs every workload on every target and posts the timings back.
 * Runs in the same worker for all targets, so they share the JIT, the CPU and the OPFS.
 */
import { createAesGcmKey, Database, MemoryStorage, nobleAesGcm, type AeadKeyFactory } from '@cipherlite/core';
import { setDefaultAead } from '@cipherlite/core/internal';
import type { BenchConfig, BenchResult, Target, WorkloadTimes } from './protocol.ts';
import { ioStats, makeOpener } from './targets.ts';
import { bulkInsert, createSchema, durableUpdates, mixed, pointSelects, scan } from './workloads.ts';

const log = (msg: string) => postMessage({ type: 'log', msg });

async function runTarget(target: Target, cfg: BenchConfig): Promise<BenchResult> {
  const runs: WorkloadTimes[] = [];
  for (let r = 0; r < cfg.runs; r++) {
    const open = await makeOpener(target, cfg, true);
    let t = await open();
    createSchema(t.db);
    const bulk = bulkInsert(t.db, cfg);
    const selects = pointSelects(t.db, cfg);
    const warm = scan(t.db);
    await t.close();
    t = await open();
    const cold = scan(t.db);
    for (const k of Object.keys(ioStats)) delete ioStats[k];
    const updates = durableUpdates(t.db, cfg);
    if (cfg.ioStats && target === 'cipherlite-opfs')
      log(`io during updates: ${JSON.stringify(Object.fromEntries(Object.entries(ioStats).map(([k, v]) => [k, `${v.n} calls ${v.ms.toFixed(0)} ms`])))}`);
    const mix = mixed(t.db, cfg);
    const bytes = await t.bytes();
    await t.close();
    await open.dispose?.();
    runs.push({ bulkInsert: bulk, pointSelects: selects, scanWarm: warm, scanCold: cold, durableUpdates: updates, mixed: mix, bytesOnDisk: bytes });
    log(`${target} run ${r + 1}: ${JSON.stringify(runs.at(-1))}`);
  }
  return { target, runs };
}

function cipherThroughput(): Record<string, { sealMBs: number; openMBs: number }> {
  const out: Record<string, { sealMBs: number; openMBs: number }> = {};
  for (const [name, f] of [
    ['wasm', createAesGcmKey],
    ['noble', nobleAesGcm],
  ] as [string, AeadKeyFactory][]) {
    for (const size of [1024, 4096, 8192, 16384]) {
      const key = f(new Uint8Array(32).fill(5));
      const nonce = new Uint8Array(12);
      const aad = new Uint8Array(43);
      const pt = new Uint8Array(size).fill(1);
      const ct = new Uint8Array(size);
      const tag = new Uint8Array(16);
      const back = new Uint8Array(size);
      const n = Math.max(100, Math.floor((name === 'wasm' ? 16e6 : 4e6) / size));
      const sealT: number[] = [];
      const openT: number[] = [];
      for (let r = 0; r < 3; r++) {
        let t = performance.now();
        for (let i = 0; i < n; i++) key.seal(nonce, aad, pt, ct, tag);
        sealT.push(performance.now() - t);
        t = performance.now();
        for (let i = 0; i < n; i++) key.open(nonce, aad, ct, tag, back);
        openT.push(performance.now() - t);
      }
      key.destroy();
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
      out[`${name} ${size / 1024} KiB`] = { sealMBs: (n * size) / 1e3 / med(sealT), openMBs: (n * size) / 1e3 / med(openT) };
    }
  }
  return out;
}

async function unlockTimes(): Promise<Record<string, number>> {
  const presets: Record<string, { memoryKiB: number; iterations: number; parallelism: number }> = {
    'default (64 MiB, t=3, p=1)': { memoryKiB: 65536, iterations: 3, parallelism: 1 },
    // The strongest a header may ask for (memoryKiB × iterations ≤ 512 MiB-passes, core's MAX_KDF_WORK_KIB).
    'strong (256 MiB, t=2, p=1)': { memoryKiB: 262144, iterations: 2, parallelism: 1 },
    'minimum (19 MiB, t=2, p=1)': { memoryKiB: 19456, iterations: 2, parallelism: 1 },
  };
  const out: Record<string, number> = {};
  for (const [label, kdf] of Object.entries(presets)) {
    const storage = new MemoryStorage();
    await (await Database.open({ storage, name: 'u.db', password: 'benchmark password', kdf })).close();
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      const db = await Database.open({ storage, name: 'u.db', password: 'benchmark password' });
      times.push(performance.now() - t);
      await db.close();
    }
    out[label] = [...times].sort((a, b) => a - b)[1]!;
  }
  return out;
}

async function wasmMemory(): Promise<Record<string, number>> {
  const { loadSqliteForStats, plainSqliteForStats } = await import('./targets.ts');
  const { aesWasmMemoryBytes } = await import('./aes-memory.ts');
  return {
    'sqlite-wasm instance used by cipherlite': (await loadSqliteForStats()).wasm.heap8u().byteLength,
    'sqlite-wasm instance used by plain + memory': (await plainSqliteForStats()).wasm.heap8u().byteLength,
    'AES-GCM WebAssembly module': aesWasmMemoryBytes(),
  };
}

onmessage = async (e: MessageEvent<{ cfg: BenchConfig; targets: Target[] }>) => {
  try {
    const { cfg, targets } = e.data;
    if (cfg.aead === 'noble') setDefaultAead(nobleAesGcm);
    const results: BenchResult[] = [];
    for (const target of targets) results.push(await runTarget(target, cfg));
    log('cipher throughput');
    const cipher = cipherThroughput();
    log('unlock times');
    const unlock = await unlockTimes();
    // WebAssembly memory never shrinks, so its size after the run is the peak of each module:
    // SQLite's heap holds the page caches (decrypted pages), the AES module its keys and scratch.
    const wasmPeakBytes = await wasmMemory();
    postMessage({ type: 'done', results, cipher, unlock, wasmPeakBytes, userAgent: navigator.userAgent });
  } catch (err) {
    postMessage({ type: 'error', msg: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
