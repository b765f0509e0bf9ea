// ESLint 9 flat config: typescript-eslint's type-aware recommended rules over every TypeScript
// source the repo owns, plus the React hooks rules where React code lives.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { workerThreadRules } from './scripts/eslint-threads.mjs';

/** core's `WireError` (packages/core/src/errors.ts): the plain error object the worker throws across Comlink. */
const WIRE_ERROR = { from: 'file', name: 'WireError', path: 'packages/core/src/errors.ts' };

export default tseslint.config(
  {
    // Only what the repo owns and type-checks is linted; build output, fixtures installed as
    // separate apps and generated files are not.
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.tmp/**',
      '**/test-results/**',
      '**/playwright-report/**',
      'packages/core/src/crypto/aes-gcm-wasm/aes-gcm.wasm.ts',
      'e2e/consumers/**',
      'e2e/webkit/**',
    ],
  },
  {
    files: [
      'packages/*/src/**/*.{ts,tsx}',
      'packages/*/test/**/*.{ts,tsx}',
      'e2e/tests/**/*.ts',
      'e2e/test-app/**/*.{ts,tsx}',
      'examples/*/src/**/*.{ts,tsx}',
      'bench/**/*.ts',
      'packages/core/bench/**/*.ts',
    ],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser, ...globals.worker, ...globals.node },
    },
    rules: {
      // An `async` method without `await` is how a Promise-returning interface is implemented here: a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // Destructuring keys away into `_x` names is how an object is copied without them.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Errors cross the worker boundary as core's plain WireError (Comlink keeps nothing else of an Error); rethrowing a caught value stays allowed.
      '@typescript-eslint/only-throw-error': ['error', { allow: [WIRE_ERROR] }],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allow: [WIRE_ERROR], allowThrowingUnknown: true }],
    },
  },
  {
    // The project service only consults the nearest tsconfig.json; these files belong to a sibling
    // config (a Worker global scope, or the worker package's Node tests), so they name theirs.
    files: ['packages/worker/src/**/*.ts', 'packages/worker/test/**/*.ts', 'e2e/test-app/conformance-worker.ts', 'bench/app/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: [
          'packages/worker/tsconfig.json',
          'packages/worker/tsconfig.worker.json',
          'packages/worker/tsconfig.test.json',
          'e2e/tsconfig.worker.json',
          'bench/tsconfig.json',
          'bench/tsconfig.worker.json',
        ],
      },
    },
  },
  // packages/worker: each folder keeps to its thread's imports and globals.
  ...workerThreadRules,
  {
    files: ['packages/*/test/**/*.{ts,tsx}', 'e2e/tests/**/*.ts'],
    rules: {
      // Vitest's and Playwright's asymmetric matchers (`expect.any(Number)`, `expect.stringMatching(…)`) are declared to return `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['examples/*/src/**/*.tsx'],
    rules: {
      // React ignores what an event handler returns; the POS handlers await their work and report failures in the UI themselves.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ['packages/react/src/**/*.{ts,tsx}', 'packages/react/test/**/*.{ts,tsx}', 'examples/*/src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat['recommended-latest']],
  },
  {
    // The hooks run on the page, which must not download SQLite: core only through its SQLite-free
    // entries (types from anywhere; `./core`, the Node adapter, is the exception by design).
    files: ['packages/react/src/**/*.{ts,tsx}'],
    ignores: ['packages/react/src/core-adapter.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['@cipherlite/core', '@cipherlite/core/keys', '@cipherlite/core/node', '@cipherlite/core/internal'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'the page side imports @cipherlite/core/errors, /header or /storage (no SQLite); see docs/PACKAGING.md',
          })),
        },
      ],
    },
  },
  {
    files: ['scripts/*.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
