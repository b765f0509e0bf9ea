/**
 * The same app source as the Vite check (fixtures/vite-react/src), built by webpack 5 with a
 * plain React + TypeScript config and no cipherlite-specific settings, then run in Chromium.
 */
import { test } from '@playwright/test';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { browserAppChecks } from './browser-app.ts';
import { APPS_DIR, FIXTURES, PORTS, installFixture, run } from './harness.ts';

const appDir = join(APPS_DIR, 'webpack-react');

test("webpack: npm install the tarballs into a webpack 5 React app with the Vite app's source", () => {
  test.setTimeout(300_000);
  installFixture('webpack-react', ['core', 'worker', 'react'], (dir) => cpSync(join(FIXTURES, 'vite-react', 'src'), join(dir, 'src'), { recursive: true }));
});

test('webpack: production build succeeds', () => {
  test.setTimeout(180_000);
  run('npm', ['run', 'build'], { cwd: appDir });
});

browserAppChecks('webpack', join(appDir, 'dist'), PORTS.webpack);
