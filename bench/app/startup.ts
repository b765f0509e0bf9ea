/**
 * Startup phases from a fresh page load: navigation start → this script → worker running →
 * modules → SQLite WebAssembly → Argon2id → OPFS handles → open → first query, each as the time
 * its message reached the page (milliseconds since navigation start). `?overlap=1` runs the
 * SQLite load and the KDF concurrently; `&setup=1` creates the database first.
 */
const params = new URLSearchParams(location.search);
const scriptStart = performance.now();

declare global {
  interface Window {
    startupPhases: Promise<Record<string, number>>;
  }
}

window.startupPhases = new Promise((resolve, reject) => {
  const marks: Record<string, number> = { pageScript: scriptStart };
  const w = new Worker(new URL('./startup-phases-worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<{ phase?: string; rows?: number; error?: string }>) => {
    if (e.data.error) {
      w.terminate();
      reject(new Error(e.data.error));
      return;
    }
    const phase = e.data.phase!;
    if (phase === 'workerStarted') w.postMessage({ setup: params.get('setup') === '1', overlap: params.get('overlap') === '1' });
    if (phase === 'done') {
      w.terminate();
      resolve(marks);
      return;
    }
    if (phase === 'firstQuery' && e.data.rows !== 50) reject(new Error(`first query returned ${e.data.rows} rows`));
    marks[phase] = performance.now();
  };
  w.onerror = (e) => reject(new Error(e.message));
});
