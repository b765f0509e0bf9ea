/**
 * Consumer checks: the packages as a user gets them from npm. Packs every package, lints the
 * tarballs, installs them into fresh apps in a temp dir (outside the workspace) and runs those
 * apps — a stock Vite React app, a webpack 5 build of the same code and a Next.js 16 app
 * (Turbopack and webpack builds, `next dev`) in Debian's Chromium, plain Node ESM, and the CLI
 * through npx. See docs/PACKAGING.md.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/env.ts';

export default defineConfig({
  testDir: './consumers',
  testMatch: ['**/*.setup.ts', '**/*.consumer.ts'],
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  // Not `test-results/` itself: Playwright empties its output directory, which would delete the
  // e2e and POS suites' reports that scripts/test.sh sums up after this run.
  outputDir: 'test-results/consumers-artifacts',
  reporter: [['list'], ['json', { outputFile: 'test-results/consumers-results.json' }]],
  use: {
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    trace: 'off',
  },
  projects: [
    { name: 'packages', testMatch: '**/packages.setup.ts' },
    { name: 'vite', testMatch: '**/vite-app.consumer.ts', dependencies: ['packages'] },
    { name: 'webpack', testMatch: '**/webpack-app.consumer.ts', dependencies: ['packages'] },
    { name: 'next', testMatch: '**/next-app.consumer.ts', dependencies: ['packages'] },
    { name: 'node', testMatch: '**/node-esm.consumer.ts', dependencies: ['packages'] },
    { name: 'orm-node', testMatch: '**/orm-node.consumer.ts', dependencies: ['packages'] },
    { name: 'cli', testMatch: '**/cli.consumer.ts', dependencies: ['packages'] },
  ],
});
