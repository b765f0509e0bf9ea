/**
 * `@cipherlite/core/header` — a database file's public header, read without a key and without
 * SQLite: the format constants and the passkey challenges an unlock screen needs. Like
 * `@cipherlite/core/errors`, nothing reachable from here imports `@sqlite.org/sqlite-wasm`, so a
 * page can use it without downloading SQLite (checked over the built packages, see
 * docs/PACKAGING.md).
 */
export { passkeyChallenges, type PasskeyChallenge } from './keys/passkey-challenges.js';
export * as format from './format/constants.js';
/** Passkey slot sizes the page needs for the ceremony: the PRF salt and the PRF output. */
export { SALT_SIZE as PASSKEY_SALT_SIZE } from './crypto/kdf.js';
export { PRF_OUTPUT_SIZE } from './container/key-material.js';
