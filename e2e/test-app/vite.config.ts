/**
 * The e2e test page: a plain Vite app that imports `@cipherlite/worker` exactly as an app would,
 * so the suite also proves the packaging (worker bundling, sqlite3.wasm asset) works.
 * The two settings below are the ones README.md documents for apps.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  // Pre-bundling would move these files away from the assets they locate with import.meta.url.
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm', '@cipherlite/worker', '@cipherlite/core'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // The harness page, and the Drizzle/Kysely page (orm.html).
    rollupOptions: { input: { main: `${import.meta.dirname}/index.html`, orm: `${import.meta.dirname}/orm.html` } },
  },
  // CORS lets the page load into a sandboxed (opaque-origin) iframe for the UNSUPPORTED test.
  preview: { host: '127.0.0.1', port: 4391, strictPort: true, cors: true },
  server: { host: '127.0.0.1', port: 4392, strictPort: true },
});
