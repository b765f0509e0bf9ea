/**
 * @cipherlite/core/internal — NOT public API: no semver promise, may change in any release.
 * For cipherlite's own packages, tests and benchmarks: a Database's internals, the error
 * translation, the process-wide AES-GCM override and the SQLite loader (a worker preloads it).
 */
export { internals, type DatabaseInternals } from './database/internals.js';
export { openWithInternalOptions } from './database/database.js';
export { setDefaultAead, type InternalOpenOptions } from './database/open-options.js';
export { toCipherliteError } from './sqlite/errors.js';
export { loadSqlite } from './sqlite/loader.js';
export { keyMaterialKind, type KeyMaterialKind } from './container/key-material.js';
export { encodePassword } from './crypto/kdf.js';
