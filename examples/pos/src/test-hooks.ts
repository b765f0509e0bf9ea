/**
 * Test-only hooks of the example, compiled in only when it is built with `POS_TEST_HOOKS=1`
 * (scripts/e2e-pos.sh does). vite.config.ts turns that variable into the constant
 * `__POS_TEST_HOOKS__`; any other build (`vite build`, `vite dev`) gets `false`, and the minifier
 * drops the code behind it, so a production build has no hook a page could enable.
 */
import type { KdfParams } from '@cipherlite/worker';

declare const __POS_TEST_HOOKS__: boolean;

/**
 * The Argon2id parameters a new till is created with: none (the library's default) unless this is
 * a test build and the test put `__CIPHERLITE_POS_TEST_KDF__` on the window before the app
 * started (the e2e suite sets core's MIN_KDF: the KDF's cost is not what those tests test).
 */
export function creationKdf(): { kdf?: KdfParams } {
  if (!__POS_TEST_HOOKS__) return {};
  const kdf = (window as { __CIPHERLITE_POS_TEST_KDF__?: KdfParams }).__CIPHERLITE_POS_TEST_KDF__;
  return kdf ? { kdf } : {};
}

/**
 * The idle delay this tab's worker is given for the auto-lock setting `ms`: `ms` itself, unless
 * this is a test build and the test put `__CIPHERLITE_POS_TEST_AUTOLOCK_SPEEDUP__` (a factor
 * above 1) on the window before the app started: the worker then locks that many times sooner. A
 * test of the "1 minute" choice waits 6 s with 10, not a minute; it still measures that the chosen
 * delay, and no other, reaches the worker.
 */
export function workerAutoLockMs(ms: number): number {
  if (!__POS_TEST_HOOKS__) return ms;
  const speedup = (window as { __CIPHERLITE_POS_TEST_AUTOLOCK_SPEEDUP__?: number }).__CIPHERLITE_POS_TEST_AUTOLOCK_SPEEDUP__;
  return speedup !== undefined && speedup > 1 ? Math.round(ms / speedup) : ms;
}
