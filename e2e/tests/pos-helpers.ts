/**
 * Helpers for the point-of-sale example's e2e specs: a fresh browser context per test in the one
 * browser each Playwright worker starts, in the engine of the running project (real OPFS, real
 * service worker), at a tablet or phone size, console/pageerror capture (the app must log no
 * errors), screenshots under test-results/pos/, an axe-core audit, and the few UI steps every
 * spec repeats. Specs take `launchPos` / `withPos` from this file's `test`.
 */
import { expect, test as base } from '@playwright/test';
import type { Browser, BrowserContext, Locator, Page } from '@playwright/test';
import { MIN_KDF } from '@cipherlite/core';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grantStorage } from './env.ts';
import type { Engine } from './env.ts';
import { engineOf, forwardLogs } from './fixtures.ts';

export const POS_PORT = Number(process.env.POS_E2E_PORT ?? 4180);
export const POS_URL = `http://127.0.0.1:${POS_PORT}/`;
export const SHOTS = join(import.meta.dirname, '..', 'test-results', 'pos');

/** The sizes a shop runs the till at: a tablet in landscape, a phone, and the narrowest phone we support. */
export const VIEWPORTS = {
  tablet: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
  narrow: { width: 360, height: 740 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

export interface PosBrowser {
  context: BrowserContext;
  /** Console errors and page errors seen so far, per tab label. */
  errors: string[];
  open(label: string, hash?: string): Promise<Page>;
  /** Runs `start` (a click that makes the app download a file) and returns the file the browser saved. */
  download(page: Page, start: () => Promise<unknown>): Promise<{ name: string; bytes: Buffer }>;
  close(): Promise<void>;
}

export interface PosOptions {
  /**
   * `minimum` (the default): new tills get core's MIN_KDF through the example's test-build hook
   * (`examples/pos/src/test-hooks.ts`), as the worker suite's tests pass `FAST_KDF` — the KDF's
   * cost is not under test. `default`: the app's own choice, the library's default Argon2id.
   */
  kdf?: 'minimum' | 'default';
}

/** Firefox preferences the POS specs need; set once, when the worker's browser starts. */
const FIREFOX_PREFS = {
  // Firefox opens its downloads panel on every download, and the page loses focus to it
  // (document.hasFocus() turns false): the focus the app moves afterwards would not count.
  'browser.download.alwaysOpenPanel': false,
  // navigator.clipboard.readText() (the test reading what "Copy" wrote) otherwise waits for
  // the user to confirm a paste menu; Firefox has no clipboard-read permission to grant.
  'dom.events.testing.asyncClipboard': true,
};

/** A fresh context in `browser` (its own OPFS, service worker and cache), as a new device. */
async function launchIn(browser: Browser, engine: Engine, downloads: string, viewport: ViewportName, options: PosOptions): Promise<PosBrowser> {
  const phone = viewport !== 'tablet';
  const context = await browser.newContext({
    baseURL: POS_URL,
    viewport: VIEWPORTS[viewport],
    hasTouch: phone,
    // Playwright emulates mobile (meta viewport, touch-first layout) in Chromium only.
    ...(engine === 'chromium' ? { isMobile: phone } : {}),
    deviceScaleFactor: 1,
    acceptDownloads: true,
  });
  await grantStorage(context, engine, POS_URL);
  if ((options.kdf ?? 'minimum') === 'minimum') {
    await context.addInitScript((kdf) => Object.assign(window, { __CIPHERLITE_POS_TEST_KDF__: kdf }), MIN_KDF);
  }
  // A click that cannot happen fails in seconds with its reason, not at the test's timeout.
  context.setDefaultTimeout(20_000);
  const errors: string[] = [];
  await mkdir(shotsDir(), { recursive: true });
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
    async download(page, start) {
      if (engine === 'chromium') {
        const [d] = await Promise.all([page.waitForEvent('download'), start()]);
        return { name: d.suggestedFilename(), bytes: await readFile(await d.path()) };
      }
      // Firefox ESR reports a download the page starts itself (an <a download> of a blob: URL)
      // with `navigation: null` and no download id, and Playwright 1.64 drops such a
      // browsingContext.downloadWillBegin event: no `download` event ever fires. The browser does
      // save the file, under its suggested name, into the downloads directory given at launch
      // (one per Playwright worker, whose tests run one at a time).
      const before = new Set(await readdir(downloads));
      await start();
      let name: string | undefined;
      await expect
        .poll(
          async () => {
            const files = await readdir(downloads);
            // Firefox writes into `<name>.part` and renames it once complete.
            name = files.some((f) => f.endsWith('.part')) ? undefined : files.find((f) => !before.has(f));
            return name;
          },
          { message: 'a new file in the downloads directory', timeout: 20_000 },
        )
        .toBeDefined();
      return { name: name!, bytes: await readFile(join(downloads, name!)) };
    },
    async close() {
      await context.close().catch(() => undefined);
    },
  };
}

type LaunchPos = (viewport?: ViewportName, options?: PosOptions) => Promise<PosBrowser>;

export const test = base.extend<
  {
    /** A fresh context at `viewport` (tablet by default); closed when the test ends. */
    launchPos: LaunchPos;
    /** Runs `fn` with a fresh context at `viewport`, then requires that no tab logged an error, and always closes it. */
    withPos: (fn: (b: PosBrowser) => Promise<void>, viewport?: ViewportName, options?: PosOptions) => Promise<void>;
  },
  { downloads: string }
>({
  // Where this worker's browser saves downloads (Firefox: see `download` above).
  downloads: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const dir = await mkdtemp(join(tmpdir(), 'cipherlite-pos-downloads-'));
      await use(dir);
      await rm(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  launchOptions: [
    async ({ launchOptions, downloads }, use, workerInfo) => {
      const firefox = engineOf(workerInfo.project.name) === 'firefox';
      await use({ ...launchOptions, downloadsPath: downloads, ...(firefox ? { firefoxUserPrefs: { ...launchOptions.firefoxUserPrefs, ...FIREFOX_PREFS } } : {}) });
    },
    { scope: 'worker' },
  ],
  launchPos: async ({ browser, downloads }, use, testInfo) => {
    const opened: PosBrowser[] = [];
    await use(async (viewport = 'tablet', options = {}) => {
      const b = await launchIn(browser, engineOf(testInfo.project.name), downloads, viewport, options);
      opened.push(b);
      return b;
    });
    for (const b of opened) await b.close();
  },
  withPos: async ({ launchPos }, use) => {
    await use(async (fn, viewport, options) => {
      const b = await launchPos(viewport, options);
      try {
        await fn(b);
        expect(b.errors).toEqual([]);
      } finally {
        await b.close();
      }
    });
  },
});

/** Chromium's screenshots in SHOTS, another engine's in a folder of its name (same file names). */
function shotsDir(): string {
  const engine = engineOf(base.info().project.name);
  return engine === 'chromium' ? SHOTS : join(SHOTS, engine);
}

/**
 * Saves a screenshot: the whole page by default; `view` keeps to what the screen shows (phones,
 * whose bars are pinned to the viewport), scrolled to `view.at` when given.
 */
export async function shot(page: Page, name: string, view?: { at?: Locator }): Promise<void> {
  if (view?.at) await view.at.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  // A full-page capture after the test scrolled would paint the sticky top bar mid-page.
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shotsDir(), `${name}.png`), fullPage: view === undefined });
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Runs axe-core (its default rule set: WCAG 2.0/2.1/2.2 A and AA plus best practices) on the
 * page as it is now and fails with every violation listed.
 */
export async function expectNoAxeViolations(page: Page, screen: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: { id: string; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document);
    return r.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
  expect(violations, `axe violations on ${screen}`).toEqual([]);
}

/** Nothing wider than the screen: no sideways scrolling of the page. */
export async function expectNoHorizontalOverflow(page: Page, screen: string): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  expect(scroll, `page width on ${screen}`).toBeLessThanOrEqual(client);
}

export const PASSWORD = 'plum-harbour-71-violet';

/**
 * Replaces an input's text by typing it, key by key. Not `fill()` nor `keyboard.insertText()`:
 * over WebDriver BiDi (Firefox) Playwright implements both in page script, assigning
 * `input.value` and then dispatching a synthetic `input` event. The assignment goes through the
 * value tracker React installs on the element, so React sees no change and onChange never runs
 * (the field shows the text, the app's state does not have it). Keys outside ASCII (`é`) are
 * dropped by Firefox's key actions, so those are inserted through the browser's own editor
 * (`execCommand('insertText')`), which fires the trusted beforeinput/input events typing does.
 */
export async function typeInto(input: Locator, text: string): Promise<void> {
  await input.click();
  await input.press('ControlOrMeta+a');
  await input.press('Backspace');
  for (const run of text.match(/[\x20-\x7e]+|[^\x20-\x7e]+/g) ?? []) {
    if (/^[\x20-\x7e]/.test(run)) await input.pressSequentially(run);
    else {
      const inserted = await input.evaluate((el, t) => {
        (el as HTMLElement).focus();
        return document.execCommand('insertText', false, t);
      }, run);
      expect(inserted, `inserting "${run}" as text input`).toBe(true);
    }
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
  // exact: the passkey button's name also contains "Unlock".
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
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
  await page.waitForFunction(
    async () => {
      const reg = await navigator.serviceWorker.ready;
      return reg.active?.state === 'activated' && navigator.serviceWorker.controller !== null;
    },
    undefined,
    { timeout: 30_000 },
  );
}
