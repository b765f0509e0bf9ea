/**
 * A Next.js 16 App Router app (fixtures/next-app) with the tarballs installed and no
 * cipherlite-specific configuration: the Vite check's notes app as a `'use client'` component on
 * a pre-rendered page, and a server-rendered page (`/ssr`) whose `<DatabaseProvider open>` opens
 * in the browser only. Built by Turbopack (`next build`, Next 16's default) and by webpack
 * (`next build --webpack`), each served by `next start`, and run by `next dev` (Turbopack), in
 * Chromium. `next/font/google` is not used: the checks run offline.
 */
import { expect, test } from '@playwright/test';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appChecks, brokerScripts, forwardLogs } from './browser-app.ts';
import { APPS_DIR, FIXTURES, installFixture, run } from './harness.ts';
import { startNext, type NextServer } from './next-server.ts';

const appDir = join(APPS_DIR, 'next-app');
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: '1' };
/** sqlite-wasm's own helper workers, which cipherlite never runs (see docs/PACKAGING.md). */
const HELPER_WORKER = /sqlite3-worker1|sqlite3-opfs-async-proxy/;

test('next: npm install the tarballs into a Next.js 16 App Router app', () => {
  test.setTimeout(300_000);
  installFixture('next-app', ['core', 'worker', 'react'], (dir) => cpSync(join(FIXTURES, 'vite-react', 'src', 'App.tsx'), join(dir, 'app', 'App.tsx')));
});

/** The built client files, and those the pre-rendered `/` loads with `<script src>`. */
function clientOutput(): { files: string[]; pageScripts: string[] } {
  const files = readdirSync(join(appDir, '.next', 'static'), { recursive: true, encoding: 'utf8' });
  const html = readFileSync(join(appDir, '.next', 'server', 'app', 'index.html'), 'utf8');
  const pageScripts = [...html.matchAll(/<script[^>]+src="\/_next\/(static\/[^"]+\.js)"/g)].map((m) => m[1]!);
  return { files, pageScripts };
}

for (const bundler of ['turbopack', 'webpack'] as const) {
  const label = `next ${bundler}`;

  test(`${label}: \`next build${bundler === 'webpack' ? ' --webpack' : ''}\` succeeds; the page loads no SQLite, no sqlite-wasm helper worker is emitted`, () => {
    test.setTimeout(300_000);
    run('npx', ['--no-install', 'next', 'build', ...(bundler === 'webpack' ? ['--webpack'] : [])], { cwd: appDir, env: NEXT_ENV });
    const { files, pageScripts } = clientOutput();
    expect(files.filter((f) => HELPER_WORKER.test(f))).toEqual([]);
    // Turbopack bundles the broker into a chunk it spawns and also copies the package's file as an asset (as it does the worker's).
    expect(brokerScripts(join(appDir, '.next', 'static')).length, "the tabs' broker (SharedWorker) script").toBeGreaterThanOrEqual(1);
    expect(pageScripts.length).toBeGreaterThan(0);
    for (const script of pageScripts) {
      expect(readFileSync(join(appDir, '.next', script), 'utf8'), `${script} holds SQLite`).not.toContain('sqlite3ApiBootstrap');
    }
  });

  test.describe(`${label}: next start in Chromium`, () => {
    let server: NextServer | null = null;
    test.beforeAll(async () => {
      test.setTimeout(90_000);
      server = await startNext(appDir, 'start', label);
    });
    test.afterAll(async () => {
      await server?.close();
    });
    appChecks(label, () => server!.url);

    test(`${label}: a server-rendered page sends the provider's fallback; the browser opens, writes, reloads, reads`, async ({ page }) => {
      const html = await (await fetch(new URL('ssr', server!.url))).text();
      expect(html).toMatch(/data-testid="visits"[^>]*>opening</);
      forwardLogs(page, `${label} ssr`);
      await page.goto(new URL('ssr', server!.url).href);
      await expect(page.getByTestId('visits')).toHaveText('visits: 0');
      await page.getByRole('button', { name: 'Visit', exact: true }).click();
      await expect(page.getByTestId('visits')).toHaveText('visits: 1');
      await page.reload();
      await expect(page.getByTestId('visits')).toHaveText('visits: 1');
    });
  });
}

test.describe('next dev (Turbopack) in Chromium', () => {
  let server: NextServer | null = null;
  test.beforeAll(async () => {
    test.setTimeout(120_000);
    server = await startNext(appDir, 'dev', 'next dev');
  });
  test.afterAll(async () => {
    await server?.close();
  });
  appChecks('next dev', () => server!.url, 'reload');
});
