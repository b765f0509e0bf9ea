/**
 * Playwright config: the worker e2e suite in every engine, one project per engine — Debian's
 * Chromium and Debian's Firefox ESR (no browser download) — against the built test app served by
 * `vite preview`. Tests that need a fresh profile or a browser restart launch their own persistent
 * context in the project's engine (see tests/fixtures.ts). `--project=firefox` runs one engine.
 */
import { defineConfig } from '@playwright/test';
import { ENGINES, PORT, engineTimeout, engineUse } from './tests/env.ts';

export default defineConfig({
  testDir: './tests',
  // Not *.test.ts / *.spec.ts, so the root Vitest run never picks these up.
  testMatch: '**/*.e2e.ts',
  // The POS example's specs have their own config and server (playwright.pos.config.ts).
  testIgnore: '**/pos-*.e2e.ts',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  // Two cores: one browser at a time keeps the timing-sensitive tests (crashes, multi-tab) honest.
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}/`,
    trace: 'off',
  },
  projects: ENGINES.map((engine) => ({ name: engine, use: engineUse(engine), timeout: engineTimeout(engine, 90_000) })),
  webServer: {
    command: `${process.env.E2E_PREBUILT ? '' : 'pnpm exec vite build test-app --logLevel warn && '}pnpm exec vite preview test-app --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}/`,
    // Opt-in only: a stale server on the port would test a stale build.
    reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
