/**
 * Playwright config for the point-of-sale example (examples/pos), one project per engine (Debian's
 * Chromium and Firefox ESR, as in playwright.config.ts): the example
 * built for production and served by `vite preview` on 127.0.0.1 (a real origin, so its service
 * worker registers and the offline tests mean something). Specs: tests/pos-*.e2e.ts.
 * Run: scripts/e2e-pos.sh (builds once, then this config serves the build).
 */
import { defineConfig } from '@playwright/test';
import { ENGINES, engineTimeout, engineUse } from './tests/env.ts';
import { POS_PORT } from './tests/pos-helpers.ts';

/**
 * Engines of the POS suite: every engine by default, like the worker suite; `POS_E2E_ENGINES`
 * (comma-separated, e.g. `firefox`) narrows a run.
 */
const POS_ENGINES = (process.env.POS_E2E_ENGINES?.split(',') ?? [...ENGINES]).map((name) => {
  const engine = ENGINES.find((e) => e === name.trim());
  if (!engine) throw new Error(`POS_E2E_ENGINES: unknown engine "${name}" (known: ${ENGINES.join(', ')})`);
  return engine;
});

export default defineConfig({
  testDir: './tests',
  testMatch: '**/pos-*.e2e.ts',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  // Not `test-results/` itself: the main suite's run empties its own output directory.
  outputDir: 'test-results/pos-artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/pos-results.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${POS_PORT}/`,
    trace: 'off',
  },
  projects: POS_ENGINES.map((engine) => ({ name: engine, use: engineUse(engine), timeout: engineTimeout(engine, 120_000) })),
  webServer: {
    command: `${process.env.E2E_PREBUILT ? '' : 'pnpm --dir ../examples/pos exec vite build --logLevel warn && '}pnpm --dir ../examples/pos exec vite preview --port ${POS_PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${POS_PORT}/`,
    reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
    timeout: 180_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
