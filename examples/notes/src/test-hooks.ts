/**
 * Test-only hooks, compiled in only when the example is built with `VITE_NOTES_TEST_HOOKS=1`
 * (the e2e suite does): Vite replaces `import.meta.env.VITE_NOTES_TEST_HOOKS` at build time, so
 * any other build has no hook a page could enable. A test puts core's minimum Argon2id
 * parameters (the KDF's cost is not what it tests) and a short auto-lock delay on the window.
 */
import type { KdfParams } from '@cipherlite/worker';

interface TestWindow {
  __CIPHERLITE_NOTES_TEST_KDF__?: KdfParams;
  __CIPHERLITE_NOTES_TEST_AUTO_LOCK_MS__?: number;
}

const hooks = import.meta.env.VITE_NOTES_TEST_HOOKS === '1' ? (window as TestWindow) : {};

export function testKdf(): { kdf?: KdfParams } {
  return hooks.__CIPHERLITE_NOTES_TEST_KDF__ ? { kdf: hooks.__CIPHERLITE_NOTES_TEST_KDF__ } : {};
}

export function testAutoLockMs(): number | undefined {
  return hooks.__CIPHERLITE_NOTES_TEST_AUTO_LOCK_MS__;
}
