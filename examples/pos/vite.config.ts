/**
 * The POS example's build: React, the two settings @cipherlite/worker's README asks for, and
 * vite-plugin-pwa, which generates a Workbox service worker that precaches every built file —
 * the app shell, the database worker and sqlite3.wasm — so the till opens with no network.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  root: import.meta.dirname,
  // Test-only hooks (src/test-hooks.ts) exist in a build made with POS_TEST_HOOKS=1 alone.
  define: { __POS_TEST_HOOKS__: JSON.stringify(process.env.POS_TEST_HOOKS === '1') },
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      // public/ is covered by globPatterns below; listing the icons again would duplicate precache entries.
      includeManifestIcons: false,
      manifest: {
        name: 'Till — offline point of sale',
        short_name: 'Till',
        description: 'A point of sale that works offline and keeps its data encrypted on this device.',
        theme_color: '#0f766e',
        background_color: '#f5f7f6',
        display: 'standalone',
        orientation: 'any',
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The database worker and sqlite3.wasm (≈ 1 MB) must be cached too, or nothing works offline.
        globPatterns: ['**/*.{js,css,html,wasm,svg,png,webmanifest}'],
        // sqlite-wasm's own helper workers, which cipherlite never starts: Vite emits them here
        // because this example builds @cipherlite/core from source, which imports sqlite-wasm's
        // browser build as is (the published package ships a copy without them; docs/PACKAGING.md).
        globIgnores: ['**/sqlite3-worker1*', '**/sqlite3-opfs-async-proxy*'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  // From packages/worker/README.md: keep the pre-bundler away from files that locate assets with import.meta.url.
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm', '@cipherlite/worker', '@cipherlite/core'] },
  worker: { format: 'es', rolldownOptions: { checks: { pluginTimings: false } } },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // The PWA plugin's Workbox step is slow by design; its timing report is noise here.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  server: { host: '127.0.0.1', port: 5173 },
});
