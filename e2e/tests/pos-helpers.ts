/**
 * Helpers for the point-of-sale example's e2e specs: a fresh persistent profile per test, in the
 * engine of the running Playwright project (real OPFS, real service worker), console/pageerror capture (the app must log no errors),
 * screenshots under test-results/pos/, and the few UI steps every spec repeats.
 */
import { expect, test } from '@playwright/test';
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistent } from './env.ts';
import { engineOf, forwardLogs } from './fixtures.ts';

export const POS_PORT = Number(process.env.POS_E2E_PORT ?? 4180);
export const POS_URL = `http://127.0.0.1:${POS_PORT}/`;
export const SHOTS = join(import.meta.dirname, '..', 'test-results', 'pos');

/** A tablet in landscape. */
const VIEWPORT = { width: 1180, height: 820 };

export interface PosBrowser {
  context: BrowserContext;
  /** Console errors and page errors seen so far, per tab label. */
  errors: string[];
  open(label: string, hash?: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchPos(): Promise<PosBrowser> {
  const dir = await mkdtemp(join(tmpdir(), 'cipherlite-pos-'));
  const context = await launchPersistent(engineOf(test.info().project.name), dir, { baseURL: POS_URL, viewport: VIEWPORT, acceptDownloads: true });
  const errors: string[] = [];
  await mkdir(SHOTS, { recursive: true });
  return {
    context,
    errors,
    async open(label, hash = '') {
      const page = await context.newPage();
      forwardLogs(page, label);
      page.on('console', (m) => m.type() === 'error' && errors.push(`[${label}] ${m.text()}`));
      page.on('pageerror', (e) => errors.push(`[${label}] ${e.message}`));
      await page.goto(POS_URL + hash);
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function shot(page: Page, name: string): Promise<void> {
  // A full-page capture after the test scrolled would paint the sticky top bar mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export const PASSWORD = 'plum-harbour-71-violet';

/**
 * Replaces an input's text by typing it, key by key. Not `fill()`: in Firefox (WebDriver BiDi)
 * a filled value does not always reach React's onChange, so the app would not see it. Keys
 * outside ASCII (`é`) are dropped by Firefox's key actions: those are inserted as text input.
 */
export async function typeInto(input: Locator, text: string): Promise<void> {
  await input.click();
  await input.press('ControlOrMeta+a');
  await input.press('Backspace');
  for (const run of text.match(/[\x20-\x7e]+|[^\x20-\x7e]+/g) ?? []) {
    if (/^[\x20-\x7e]/.test(run)) await input.pressSequentially(run);
    else await input.page().keyboard.insertText(run);
  }
}

export async function createStore(page: Page, name = 'Corner Café', password = PASSWORD): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Set up your till' })).toBeVisible();
  await typeInto(page.locator('input[name=store]'), name);
  await typeInto(page.locator('input[name=new-password]'), password);
  await typeInto(page.locator('input[name=confirm-password]'), password);
  await page.getByRole('button', { name: 'Create till' }).click();
  await expect(page.getByRole('link', { name: 'Till' })).toBeVisible({ timeout: 30_000 });
}

export async function unlock(page: Page, password = PASSWORD): Promise<void> {
  await typeInto(page.locator('input[name=password]'), password);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

export async function go(page: Page, tab: 'Till' | 'Products' | 'Orders' | 'Admin'): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: tab }).click();
}

export async function addProduct(page: Page, name: string, price: string): Promise<void> {
  await typeInto(page.locator('input[name=name]'), name);
  await typeInto(page.locator('input[name=price]'), price);
  await page.getByRole('button', { name: 'Add product' }).click();
  await expect(page.getByRole('cell', { name, exact: true })).toBeVisible();
}

/** Taps `items` into the cart and takes payment; returns the sale number from the receipt. */
export async function ringUp(page: Page, items: string[], payment: { cash: string } | { card: string } | 'exact'): Promise<number> {
  for (const item of items) await page.locator('.product-tile', { hasText: item }).click();
  if (payment !== 'exact' && 'card' in payment) {
    await page.getByText('Card', { exact: true }).click();
    await typeInto(page.locator('input[name=last4]'), payment.card);
  } else {
    await page.getByText('Cash', { exact: true }).click();
    if (payment !== 'exact') await typeInto(page.locator('input[name=cash]'), payment.cash);
  }
  await page.getByRole('button', { name: /^Charge / }).click();
  const receipt = page.getByRole('status').filter({ hasText: /Sale #\d+ recorded/ });
  await expect(receipt).toBeVisible();
  const id = Number(/Sale #(\d+)/.exec((await receipt.textContent()) ?? '')![1]);
  await receipt.getByRole('button', { name: 'Dismiss' }).click();
  return id;
}

export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker.ready;
    return reg.active?.state === 'activated' && navigator.serviceWorker.controller !== null;
  }, undefined, { timeout: 30_000 });
}
