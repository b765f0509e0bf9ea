import { defineConfig } from 'vite';

const page = (name: string) => `${import.meta.dirname}/${name}.html`;
// Rolldown's "slow plugin" notes (the worker bundles take seconds on 2 busy cores) are not ours to fix.
const checks = { bundlerTimings: false };

export default defineConfig({
  root: import.meta.dirname,
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm', '@cipherlite/worker', '@cipherlite/core', 'sqlocal'] },
  worker: { format: 'es', rolldownOptions: { checks } },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      checks,
      input: { main: page('index'), first: page('first-query'), latency: page('latency'), live: page('live'), startup: page('startup') },
    },
  },
});
