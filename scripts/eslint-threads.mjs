// Which thread a file of packages/worker runs on is its folder (docs/DESIGN.md, "Module map"):
// `src/page/` and the public entry `src/index.ts` run on the page, `src/engine/` and the worker
// entry `src/worker.ts` in the dedicated worker, `src/shared/` on both. These ESLint blocks keep
// each folder to its thread: what it may import, and which globals it may touch. eslint.config.js
// applies them; packages/worker/test/thread-boundaries.test.ts plants a violation of each and
// checks that it is reported. The order of layers inside the engine is the import checker's
// (scripts/check-import-cycles.mjs), not ESLint's.

const SRC = 'packages/worker/src';
const PAGE_FILES = [`${SRC}/page/**/*.ts`, `${SRC}/index.ts`];
const ENGINE_FILES = [`${SRC}/engine/**/*.ts`, `${SRC}/worker.ts`];
const SHARED_FILES = [`${SRC}/shared/**/*.ts`];

/**
 * What core offers the page: values only from its SQLite-free entries (`@cipherlite/core/errors`,
 * `/header`, `/storage`: nothing they reach imports sqlite-wasm, docs/PACKAGING.md) — and any type.
 */
const CORE_FOR_THE_PAGE = [
  {
    name: '@cipherlite/core',
    allowTypeImports: true,
    message: 'the page takes values from @cipherlite/core/errors, /header or /storage (no SQLite), types from anywhere; database work runs in the engine.',
  },
  {
    name: '@cipherlite/core/keys',
    allowTypeImports: true,
    message: 'the page reads passkey challenges and the passkey slot sizes from @cipherlite/core/header and nothing else of core/keys (types aside); key management runs in the engine.',
  },
  { name: '@cipherlite/core/internal', message: "core's internals (SQLite loader, key-material encoding) run in the engine, not on the page." },
  { name: '@cipherlite/core/node', message: 'Node-only storage has no place in a browser package.' },
];

const PAGE_THREAD = {
  regex: String.raw`^(\.\.?/)+(engine(/|$)|worker(\.[jt]s)?$)`,
  message: 'page code runs on the main thread: it imports shared/ and the protocol, never the engine (spawn the worker by URL).',
};

/**
 * The page's passkey code — the WebAuthn ceremonies and core's header reader with its SHA-256 —
 * is a chunk of its own, loaded on the first passkey call (`page/passkey-loader.ts`): a static
 * import elsewhere on the page would put it back into what every page loads when it opens.
 */
const PASSKEY_CHUNK = "is in the page's passkey chunk, loaded on first use: import its types here, and its values through `loadPasskeys()` (page/passkey-loader.ts).";
const PAGE_IMPORTS = {
  paths: [...CORE_FOR_THE_PAGE, { name: '@cipherlite/core/header', allowTypeImports: true, message: `core's header reader ${PASSKEY_CHUNK}` }],
  patterns: [
    PAGE_THREAD,
    { regex: String.raw`(^|/)(passkeys|passkey-ceremony)(\.[jt]s)?$`, allowTypeImports: true, message: `page/passkeys.ts and page/passkey-ceremony.ts: this code ${PASSKEY_CHUNK}` },
  ],
};
/** The files of the page's passkey chunk: the page's thread rule and core's SQLite-free entries. */
const PASSKEY_FILES = [`${SRC}/page/passkeys.ts`, `${SRC}/page/passkey-ceremony.ts`];

const ENGINE_THREAD = {
  regex: String.raw`^(\.\.?/)+(page(/|$)|index(\.[jt]s)?$)`,
  message: 'engine code runs in the worker: it imports shared/ and engine/, never the page.',
};

/**
 * What the worker loads on first use, each a chunk of its own (docs/DESIGN.md, "Chunks"): key
 * management (`engine/leader/key-management.ts` and backup-file.ts, the engine files that import core/keys) and
 * the replica (core/replica). A static import elsewhere in the engine would put it back into the
 * worker's main chunk: types are free, values come through `await import(…)`.
 */
const LOADED_ON_FIRST_USE =
  'is loaded on first use, as a chunk of its own: import its types here, and its values with `await import()` (engine/leader/ops.ts `loadKeyManagement`, leader/replica-host.ts).';
const ENGINE_IMPORTS = {
  paths: [
    { name: '@cipherlite/core/keys', allowTypeImports: true, message: `core/keys (through engine/leader/key-management.ts) ${LOADED_ON_FIRST_USE}` },
    { name: '@cipherlite/core/replica', allowTypeImports: true, message: `core/replica ${LOADED_ON_FIRST_USE}` },
  ],
  patterns: [
    ENGINE_THREAD,
    {
      regex: String.raw`(^|/)(key-management|backup-file)(\.[jt]s)?$`,
      allowTypeImports: true,
      message: `the key-management chunk (engine/leader/key-management.ts, backup-file.ts) ${LOADED_ON_FIRST_USE}`,
    },
  ],
};
/** The files of the key-management chunk: the engine's thread rule alone. */
const KEY_MANAGEMENT_FILES = [`${SRC}/engine/leader/key-management.ts`, `${SRC}/engine/leader/backup-file.ts`];

const SHARED_IMPORTS = {
  patterns: [
    {
      regex: String.raw`^(\.\.?/)+(page|engine)(/|$)|^\.\./(index|worker)(\.[jt]s)?$`,
      message: 'shared/ runs on both threads: it imports only shared/.',
    },
  ],
};

/** Globals and properties only the page has (a dedicated worker has no DOM and no WebAuthn). */
const PAGE_ONLY_GLOBALS = ['window', 'document', 'localStorage', 'sessionStorage'].map((name) => ({
  name,
  message: `\`${name}\` exists only on the page; engine code runs in a dedicated worker.`,
}));
const PAGE_ONLY_SYNTAX = [
  {
    selector: "MemberExpression[property.name='credentials'][object.name='navigator'], MemberExpression[property.name='credentials'][object.property.name='navigator']",
    message: 'WebAuthn (`navigator.credentials`) runs on the page (page/passkey-ceremony.ts); the worker gets only its output.',
  },
];

/** Globals and calls only a worker has: OPFS sync access handles. */
const WORKER_ONLY_GLOBALS = [{ name: 'FileSystemSyncAccessHandle', message: 'sync access handles exist only in workers; storage belongs to engine/storage/.' }];
const WORKER_ONLY_SYNTAX = [
  {
    selector: "MemberExpression[property.name='createSyncAccessHandle']",
    message: '`createSyncAccessHandle` works only in a worker; storage belongs to engine/storage/.',
  },
];

/** The ESLint config blocks; `@typescript-eslint/no-restricted-imports` lets type-only imports of core through. */
export const workerThreadRules = [
  {
    name: 'cipherlite/worker-threads/page',
    files: PAGE_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', PAGE_IMPORTS],
      'no-restricted-globals': ['error', ...WORKER_ONLY_GLOBALS],
      'no-restricted-syntax': ['error', ...WORKER_ONLY_SYNTAX],
    },
  },
  {
    name: 'cipherlite/worker-threads/engine',
    files: ENGINE_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', ENGINE_IMPORTS],
      'no-restricted-globals': ['error', ...PAGE_ONLY_GLOBALS],
      'no-restricted-syntax': ['error', ...PAGE_ONLY_SYNTAX],
    },
  },
  {
    name: 'cipherlite/worker-threads/shared',
    files: SHARED_FILES,
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { ...SHARED_IMPORTS, paths: CORE_FOR_THE_PAGE }],
      'no-restricted-globals': ['error', ...PAGE_ONLY_GLOBALS, ...WORKER_ONLY_GLOBALS],
      'no-restricted-syntax': ['error', ...PAGE_ONLY_SYNTAX, ...WORKER_ONLY_SYNTAX],
    },
  },
  {
    name: 'cipherlite/worker-threads/engine-key-management',
    files: KEY_MANAGEMENT_FILES,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [ENGINE_THREAD] }] },
  },
  {
    name: 'cipherlite/worker-threads/page-passkeys',
    files: PASSKEY_FILES,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: CORE_FOR_THE_PAGE, patterns: [PAGE_THREAD] }] },
  },
];
