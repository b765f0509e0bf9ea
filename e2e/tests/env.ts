/** Where the browsers are and how they are started (shared by the configs and the fixtures). */
import { chromium, firefox } from '@playwright/test';
import type { BrowserContext } from '@playwright/test';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Debian's `firefox-esr`, driven over WebDriver BiDi (Playwright's `moz-firefox` channel). */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
// Not Vite's default 4173: the POS example's own e2e suite serves there.
export const PORT = Number(process.env.E2E_PORT ?? 4391);
/** The guide's example app (examples/notes). */
export const NOTES_PORT = Number(process.env.NOTES_E2E_PORT ?? 4186);

/**
 * Tag of a test, in a timing spec (playwright.config.ts TIMING_SPECS), that measures no time: it
 * runs in the parallel phase. An untagged test of a timing spec runs in the serial phase.
 */
export const ANY_PHASE_TAG = '@any-phase';

/** The browser engines the Playwright suites run in; each is a Playwright project of that name. */
export type Engine = 'chromium' | 'firefox';
export const ENGINES: readonly Engine[] = ['chromium', 'firefox'];

/**
 * Per-test time limit in each engine's project: Firefox runs the same steps about twice as slowly
 * here (a fresh persistent profile takes ~15 s to start, WebDriver BiDi round trips, Argon2id).
 */
export function engineTimeout(engine: Engine, chromiumMs: number): number {
  return engine === 'firefox' ? chromiumMs * 2.5 : chromiumMs;
}

/** Playwright `use` options for one engine's project. */
export function engineUse(engine: Engine) {
  return engine === 'chromium'
    ? { browserName: 'chromium' as const, launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }
    : { browserName: 'firefox' as const, channel: 'moz-firefox', launchOptions: { executablePath: FIREFOX_PATH } };
}

/** Starts `engine` on the persistent profile `dir` (real on-disk OPFS and IndexedDB, restartable). */
export interface LaunchOptions {
  baseURL: string;
  viewport?: { width: number; height: number };
  acceptDownloads?: boolean;
  /** Where accepted downloads are saved (by default Playwright's artifacts directory). */
  downloadsPath?: string;
  hasTouch?: boolean;
  /** Chromium only (Playwright emulates mobile there alone). */
  isMobile?: boolean;
  deviceScaleFactor?: number;
  /** Firefox only: about:config preferences for this profile. */
  firefoxUserPrefs?: Record<string, string | number | boolean>;
}

export async function launchPersistent(engine: Engine, dir: string, launch: LaunchOptions): Promise<BrowserContext> {
  const { firefoxUserPrefs, ...options } = launch;
  if (engine === 'chromium') return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, ...options });
  const context = await firefox.launchPersistentContext(dir, { channel: 'moz-firefox', executablePath: FIREFOX_PATH, ...options, ...(firefoxUserPrefs ? { firefoxUserPrefs } : {}) });
  await grantStorage(context, 'firefox', options.baseURL);
  return context;
}

/** Readies a new context as a user would: Firefox asks about persistent storage, and without the grant `navigator.storage.persist()` never settles. */
export async function grantStorage(context: BrowserContext, engine: Engine, baseURL: string): Promise<void> {
  if (engine === 'firefox') await context.grantPermissions(['persistent-storage'], { origin: new URL(baseURL).origin });
}
