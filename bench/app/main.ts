/** Benchmark page: starts the benchmark worker and hands its result to the Playwright driver. */
import type { BenchConfig, Target } from './protocol.ts';

declare global {
  interface Window {
    runBench(cfg: BenchConfig, targets: Target[]): Promise<unknown>;
  }
}

window.runBench = (cfg, targets) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ type: string; msg?: string }>) => {
      if (e.data.type === 'log') console.log(e.data.msg);
      else if (e.data.type === 'error') reject(new Error(e.data.msg));
      else {
        worker.terminate();
        resolve(e.data);
      }
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ cfg, targets });
  });
