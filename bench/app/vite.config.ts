import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm', '@cipherlite/worker', '@cipherlite/core'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: { input: { main: `${import.meta.dirname}/index.html`, first: `${import.meta.dirname}/first-query.html` } },
  },
});
