import { defineConfig } from 'vite';

const page = (name: string) => `${import.meta.dirname}/${name}.html`;

export default defineConfig({
  root: import.meta.dirname,
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm', '@cipherlite/worker', '@cipherlite/core', 'sqlocal'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: { main: page('index'), first: page('first-query'), latency: page('latency'), live: page('live'), startup: page('startup') },
    },
  },
});
