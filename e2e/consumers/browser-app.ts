/**
 * The browser checks every bundled consumer app must pass, in Chromium: create with a password,
 * insert, reload → unlock → rows back, a key-management call (the worker's chunk loaded on first
 * use); a wrong password → WRONG_KEY; two tabs see each other's
 * writes. Each test gets a fresh browser context (empty OPFS). A build also emits the tabs' broker
 * (the SharedWorker of `@cipherlite/worker`'s broker.js) as a script of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { serveStatic } from './serve-static.ts';

export function forwardLogs(page: Page, label: string): void {
  page.on('console', (m) => process.stdout.write(`[${label}] console.${m.type()}: ${m.text()}\n`));
  page.on('pageerror', (e) => process.stdout.write(`[${label}] pageerror: ${e.stack ?? String(e)}\n`));
  page.on('worker', (w) => process.stdout.write(`[${label}] worker started: ${w.url()}\n`));
}

async function unlock(page: Page, password: string, expectMode: 'setup' | 'unlock'): Promise<void> {
  await expect(page.getByTestId('mode')).toHaveText(expectMode);
  await page.getByLabel('password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

async function addNote(page: Page, text: string): Promise<void> {
  await page.getByLabel('note', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
}

const notes = (page: Page) => page.getByRole('list', { name: 'notes' }).getByRole('listitem');
/** The app's error line (a `<p>`: Next.js adds a route announcer that also has role="alert"). */
const alert = (page: Page) => page.locator('p[role="alert"]');

/**
 * The scripts under `dir` that are the tabs' broker: its SharedWorker entry sets `onconnect` (a
 * global the minifier keeps) and holds no SQLite. A bundler that did not see
 * `new SharedWorker(new URL('./broker.js', import.meta.url))` emits none (the tabs then fall back
 * to BroadcastChannels: it works, slower).
 */
export function brokerScripts(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => {
    if (!f.endsWith('.js')) return false;
    const code = readFileSync(join(dir, f), 'utf8');
    return code.includes('onconnect') && !code.includes('sqlite3ApiBootstrap');
  });
}

/** Serves the built app in `distDir` on `port` and runs the checks against it. */
export function browserAppChecks(label: string, distDir: string, port: number): void {
  test.describe(`${label} build in Chromium`, () => {
    let server: Awaited<ReturnType<typeof serveStatic>> | null = null;
    test.beforeAll(async () => {
      server = await serveStatic(distDir, port);
    });
    test.afterAll(async () => {
      await server?.close();
    });
    appChecks(label, () => server!.url);
    test(`${label}: the tabs' broker (a SharedWorker) is emitted as a script of its own`, () => {
      expect(brokerScripts(distDir)).toHaveLength(1);
    });
  });
}

/**
 * The checks against an app already served at `baseUrl()`; `only` picks the first check (create,
 * reload, read) where the other two would add time and nothing new (e.g. a dev server).
 */
export function appChecks(label: string, baseUrl: () => string, only?: 'reload'): void {
  test(`${label}: create with a password, insert, reload → rows back after unlock; key slots listed`, async ({ page }) => {
    forwardLogs(page, label);
    await page.goto(baseUrl());
    await unlock(page, 'first password', 'setup');
    await expect(page.getByTestId('mode')).toHaveText('unlocked');
    await addNote(page, 'buy oat milk');
    await addNote(page, 'call the bank');
    await expect(notes(page)).toHaveText(['buy oat milk', 'call the bank']);
    await page.reload();
    await unlock(page, 'first password', 'unlock');
    await expect(notes(page)).toHaveText(['buy oat milk', 'call the bank']);
    // Key management runs in a chunk of the worker loaded on first use: the build must have emitted it.
    await page.getByRole('button', { name: 'Key slots', exact: true }).click();
    await expect(page.getByTestId('keyslots')).toHaveText('password');
  });

  if (only === 'reload') return;

  test(`${label}: a wrong password → WRONG_KEY, then the right one opens`, async ({ page }) => {
    forwardLogs(page, label);
    await page.goto(baseUrl());
    await unlock(page, 'right password', 'setup');
    await addNote(page, 'secret');
    await expect(notes(page)).toHaveText(['secret']);
    await page.reload();
    await unlock(page, 'wrong password', 'unlock');
    await expect(alert(page)).toHaveText('WRONG_KEY');
    await page.getByRole('button', { name: 'Open', exact: true }).click(); // field still holds the wrong one
    await expect(alert(page)).toHaveText('WRONG_KEY');
    await page.getByLabel('password', { exact: true }).fill('right password');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(notes(page)).toHaveText(['secret']);
  });

  test(`${label}: two tabs see each other's writes`, async ({ page, context }) => {
    forwardLogs(page, `${label} A`);
    await page.goto(baseUrl());
    await unlock(page, 'shared password', 'setup');
    await expect(page.getByTestId('mode')).toHaveText('unlocked');
    const second = await context.newPage();
    forwardLogs(second, `${label} B`);
    await second.goto(baseUrl());
    await unlock(second, 'shared password', 'unlock');
    await expect(second.getByTestId('mode')).toHaveText('unlocked');
    await addNote(page, 'from tab A');
    await expect(notes(second)).toHaveText(['from tab A']);
    await addNote(second, 'from tab B');
    await expect(notes(page)).toHaveText(['from tab A', 'from tab B']);
  });
}
