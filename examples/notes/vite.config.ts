/**
 * The notes example's build: exactly the Vite setup of the root README (docs/GUIDE.md quotes it
 * from here). `vite build` and `vite dev` need nothing else.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  optimizeDeps: { exclude: ['@cipherlite/worker', '@cipherlite/core', '@sqlite.org/sqlite-wasm'] },
  worker: { format: 'es' },
});
