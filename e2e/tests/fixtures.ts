/**
 * Shared test fixtures: fresh browser contexts in the one browser each Playwright worker starts
 * (`session`: cheap, used by every test whose subject is not the profile), fresh persistent
 * profiles (`profile`: real on-disk OPFS and IndexedDB, restartable, killable — for the tests of
 * persistence, crashes, at-rest bytes, quota and large databases), pages with their console/pageerror/crash events
 * (and their workers') forwarded to the test log, and small typed wrappers around the harness in
 * `test-app/main.ts`.
 */
import { test as base } from '@playwright/test';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY_PHASE_TAG, ENGINES, PORT, grantStorage, launchPersistent } from './env.ts';
import type { Engine, LaunchOptions } from './env.ts';

/** Per-profile launch options (engine preferences set before the browser starts). */
export type ProfileOptions = Pick<LaunchOptions, 'firefoxUserPrefs'>;

export const BASE_URL = `http://127.0.0.1:${PORT}/`;

/**
 * `test(title, ANY_PHASE, body)`: a test of a timing spec that measures no time (no deadline, kill,
 * takeover or race), so it may run beside another browser in the parallel phase (playwright.config.ts).
 */
export const ANY_PHASE = { tag: ANY_PHASE_TAG };

/** Cheapest Argon2id the library accepts: keeps the suite fast; the KDF cost is not under test here. */
export const FAST_KDF = { memoryKiB: 19 * 1024, iterations: 2, parallelism: 1 };

export function log(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
}

/** Forwards everything a page and its workers say, so a CI log alone explains a failure. */
export function forwardLogs(page: Page, label: string): void {
  // Worker messages are logged by the worker's own listener below, labelled as such.
  page.on('console', (m) => m.worker() === null && log(`[${label}] console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log(`[${label}] pageerror: ${e.stack ?? String(e)}`));
  page.on('crash', () => log(`[${label}] page crashed`));
  page.on('worker', (w) => {
    log(`[${label}] worker started: ${w.url()}`);
    w.on('console', (m) => log(`[${label}:worker] console.${m.type()}: ${m.text()}`));
    w.on('close', () => log(`[${label}] worker closed: ${w.url()}`));
  });
}

/** A fresh browser context: its own storage, tabs that share it. */
export interface Session {
  context: BrowserContext;
  /** Opens the test page in a new tab and waits for the harness. */
  page(label: string): Promise<Page>;
  close(): Promise<void>;
}

/** A persistent profile on disk, in a browser of its own. */
export interface Profile extends Session {
  readonly dir: string;
  /** Closes the browser gracefully and starts it again on the same profile. */
  restart(): Promise<void>;
}

/** The engine of the running test's project (`chromium`, `pos-firefox`…, see playwright.config.ts). */
export function engineOf(projectName: string): Engine {
  const engine = ENGINES.find((e) => e === projectName.replace(/^(pos|notes)-/, ''));
  if (!engine) throw new Error(`unknown Playwright project "${projectName}"; expected one of ${ENGINES.join(', ')}`);
  return engine;
}

/** `url`: another address of the same server (WebAuthn needs a domain such as `localhost`, not an IP). */
export async function openPage(context: BrowserContext, label: string, url = BASE_URL): Promise<Page> {
  const page = await context.newPage();
  forwardLogs(page, label);
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  return page;
}

/**
 * A new context in the worker's browser, as `launchPersistent` prepares a profile. In Chromium such
 * a context is off the record (OPFS and IndexedDB in memory): what is kept on disk is tested on
 * persistent profiles (`profile`).
 */
export async function newSession(browser: Browser, engine: Engine, url = BASE_URL): Promise<Session> {
  const context = await browser.newContext({ baseURL: url });
  await grantStorage(context, engine, url);
  return {
    context,
    page: (label) => openPage(context, label, url),
    close: () => context.close(),
  };
}

export const test = base.extend<{ engine: Engine; session: (url?: string) => Promise<Session>; profile: (options?: ProfileOptions) => Promise<Profile> }>({
  // eslint-disable-next-line no-empty-pattern
  engine: async ({}, use, testInfo) => {
    await use(engineOf(testInfo.project.name));
  },
  // A function fixture: a test may open several contexts, each with its own storage.
  session: async ({ browser, engine }, use) => {
    const sessions: Session[] = [];
    await use(async (url?: string) => {
      const session = await newSession(browser, engine, url);
      sessions.push(session);
      return session;
    });
    for (const s of sessions) await s.close();
  },
  // A function fixture: a test may start several browsers, each on its own fresh profile.
  profile: async ({ engine }, use) => {
    const profiles: Profile[] = [];
    await use(async (options = {}) => {
      const launch = (dir: string) => launchPersistent(engine, dir, { ...options, baseURL: BASE_URL });
      const dir = await mkdtemp(join(tmpdir(), 'cipherlite-e2e-'));
      const profile: Profile = {
        dir,
        context: await launch(dir),
        page: (label) => openPage(profile.context, label),
        async restart() {
          await profile.context.close();
          profile.context = await launch(dir);
        },
        async close() {
          await profile.context.close().catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        },
      };
      profiles.push(profile);
      return profile;
    });
    for (const p of profiles) await p.close();
  },
});

export { expect } from '@playwright/test';
export type { Page, BrowserContext };
