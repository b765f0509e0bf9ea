/**
 * The lint rules that keep each folder of src/ to its thread (scripts/eslint-threads.mjs) report
 * what they exist for: a planted import or global of the wrong thread fails, the imports and
 * globals the code really uses pass, and the repo's eslint.config.js applies these rules to
 * each folder.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const { workerThreadRules } = (await import(pathToFileURL(`${ROOT}scripts/eslint-threads.mjs`).href)) as { workerThreadRules: Linter.Config[] };

const linter = new Linter({ cwd: ROOT });
const config: Linter.Config[] = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { '@typescript-eslint': tseslint.plugin } }, ...workerThreadRules];

/** The rule ids reported for `code` placed at `file` (relative to the repo root). */
function reported(file: string, code: string): string[] {
  const messages = linter.verify(code, config, { filename: `${ROOT}packages/worker/src/${file}` });
  const fatal = messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`could not parse the planted code: ${fatal[0]!.message}`);
  return messages.map((m) => m.ruleId ?? '');
}

const IMPORTS = '@typescript-eslint/no-restricted-imports';
const GLOBALS = 'no-restricted-globals';
const SYNTAX = 'no-restricted-syntax';

describe('page/ and the public entry keep to the main thread', () => {
  it.each([
    ['page/client.ts', "import { WorkerEngine } from '../engine/engine.js';"],
    ['page/database-exists.ts', "import { IndexedDbStorage } from '../engine/storage/indexeddb.js';"],
    ['page/passkey-loader.ts', "import { OpfsStorage } from '../engine/storage/opfs.js';"],
    ['page/client.ts', "import '../worker.js';"],
    ['index.ts', "export { OpfsStorage } from './engine/storage/opfs.js';"],
    ['page/client.ts', "import { loadSqlite } from '@cipherlite/core/internal';"],
    ['page/client.ts', "import { Database } from '@cipherlite/core';"],
    ['page/client.ts', "import { rekey } from '@cipherlite/core/keys';"],
    // The root entry and core/keys hold Database, whose chunk imports SQLite: not even an error class from there.
    ['page/client.ts', "import { CipherliteError } from '@cipherlite/core';"],
    ['page/passkeys.ts', "import { passkeyChallenges } from '@cipherlite/core/keys';"],
  ])('%s: `%s` is refused', (file, code) => {
    expect(reported(file, code)).toEqual([IMPORTS]);
  });

  // The passkey code (WebAuthn, core's header reader) is a chunk loaded on first use: a static import would put it back in the page's eager code.
  it.each([
    ['page/client.ts', "import { format, passkeyChallenges } from '@cipherlite/core/header';"],
    ['page/passkey-loader.ts', "import { PASSKEY_SALT_SIZE } from '@cipherlite/core/header';"],
    ['page/client.ts', "import { registerPasskey } from './passkey-ceremony.js';"],
    ['page/connection.ts', "import { passkeyKeyMaterial } from './passkeys.js';"],
    ['index.ts', "export { passkeySlots } from './page/passkeys.js';"],
  ])('%s: `%s` is refused (loaded on first use)', (file, code) => {
    expect(reported(file, code)).toEqual([IMPORTS]);
  });

  it('the passkey chunk: its types and `import()` pass on the page, and core/header and the ceremony inside the chunk', () => {
    const code = [
      "import type { PasskeyChallenge } from '@cipherlite/core/header';",
      "import type { PasskeyRegistration } from './passkey-ceremony.js';",
      "export const load = () => import('./passkeys.js');",
    ].join('\n');
    expect(reported('page/passkey-loader.ts', code)).toEqual([]);
    expect(reported('page/passkeys.ts', "import { format, passkeyChallenges } from '@cipherlite/core/header';\nimport { assertPasskey } from './passkey-ceremony.js';")).toEqual([]);
    expect(reported('page/passkey-ceremony.ts', "import { PRF_OUTPUT_SIZE } from '@cipherlite/core/header';")).toEqual([]);
    expect(reported('page/passkeys.ts', "import { Database } from '@cipherlite/core';")).toEqual([IMPORTS]);
    expect(reported('page/passkeys.ts', "import { OpfsStorage } from '../engine/storage/opfs.js';")).toEqual([IMPORTS]);
  });

  it('sync access handles are refused on the page', () => {
    expect(reported('page/database-exists.ts', 'export async function f(h: FileSystemFileHandle) { return h.createSyncAccessHandle(); }')).toEqual([SYNTAX]);
    expect(reported('page/client.ts', 'export const ok = typeof FileSystemSyncAccessHandle;')).toEqual([GLOBALS]);
  });

  it('what the page really imports and touches passes', () => {
    const code = [
      "import { CipherliteError, fromWire, isWireError } from '@cipherlite/core/errors';",
      "import { MemoryFile } from '@cipherlite/core/storage';",
      "import type { Database, KeyMaterial } from '@cipherlite/core';",
      "import type { BackupResult } from '@cipherlite/core/keys';",
      "import * as Comlink from 'comlink';",
      "import { busNames } from '../shared/protocol.js';",
      "import { idbFileExists } from '../shared/indexeddb-layout.js';",
      "import { WorkerLiveness } from './liveness.js';",
      "export const spawn = () => new Worker(new URL('../worker.ts', import.meta.url), { type: 'module' });",
      'export const creds = () => navigator.credentials.get({});',
      'export const doc = () => document.title;',
    ].join('\n');
    expect(reported('page/client.ts', code)).toEqual([]);
  });
});

describe('engine/ and the worker entry keep to the worker', () => {
  it.each([
    ['engine/engine.ts', "import { CipherliteDatabase } from '../page/client.js';"],
    ['engine/leader/leader.ts', "import { registerPasskey } from '../../page/passkey-ceremony.js';"],
    ['worker.ts', "import { openDatabase } from './index.js';"],
  ])('%s: `%s` is refused', (file, code) => {
    expect(reported(file, code)).toEqual([IMPORTS]);
  });

  it.each([
    ['engine/engine.ts', 'export const t = () => document.title;', GLOBALS],
    ['engine/storage/opfs.ts', 'export const w = () => window.location.href;', GLOBALS],
    ['engine/router.ts', 'export const s = () => localStorage.getItem("k");', GLOBALS],
    ['engine/engine.ts', 'export const c = () => navigator.credentials.get({});', SYNTAX],
    ['engine/leader/ops.ts', 'export const c = () => globalThis.navigator.credentials.get({});', SYNTAX],
  ])('%s: `%s` is refused', (file, code, rule) => {
    expect(reported(file, code)).toEqual([rule]);
  });

  // Key management and the replica are chunks loaded on first use: a static import would put them back in the main chunk.
  it.each([
    ['engine/leader/ops.ts', "import * as keys from '@cipherlite/core/keys';"],
    ['engine/session.ts', "import { importPlaintext } from '@cipherlite/core/keys';"],
    ['engine/leader/leader.ts', "import { KEY_OPS } from './key-management.js';"],
    ['engine/leader/leader.ts', "import { readBackup } from './backup-file.js';"],
    ['engine/leader/replica-host.ts', "import { startReplica } from '@cipherlite/core/replica';"],
  ])('%s: `%s` is refused (loaded on first use)', (file, code) => {
    expect(reported(file, code)).toEqual([IMPORTS]);
  });

  it('the chunks loaded on first use: their types and `await import()` pass, and so does core/keys inside the key-management chunk', () => {
    const code = [
      "import type { KeyslotInfo } from '@cipherlite/core/keys';",
      "import type { Replica } from '@cipherlite/core/replica';",
      "import type { KeyOp } from './key-management.js';",
      "export const load = () => import('./key-management.js');",
      "export const replica = () => import('@cipherlite/core/replica');",
    ].join('\n');
    expect(reported('engine/leader/leader.ts', code)).toEqual([]);
    expect(reported('engine/leader/key-management.ts', "import * as keys from '@cipherlite/core/keys';\nimport { readBackup } from './backup-file.js';")).toEqual([]);
    expect(reported('engine/leader/backup-file.ts', "import * as keys from '@cipherlite/core/keys';")).toEqual([]);
    expect(reported('engine/leader/key-management.ts', "import { CipherliteDatabase } from '../../page/client.js';")).toEqual([IMPORTS]);
  });

  it('what the engine really imports and touches passes', () => {
    const code = [
      "import { Database } from '@cipherlite/core';",
      "import { loadSqlite } from '@cipherlite/core/internal';",
      "import { busNames } from '../../shared/protocol.js';",
      "import { Scheduler } from './scheduler.js';",
      "import type { WorkerPlatform } from '../runtime/platform.js';",
      'export const lock = () => navigator.locks.request("x", () => undefined);',
      'export async function open(h: FileSystemFileHandle): Promise<FileSystemSyncAccessHandle> { return h.createSyncAccessHandle(); }',
    ].join('\n');
    expect(reported('engine/leader/leader.ts', code)).toEqual([]);
  });
});

describe('shared/ runs on both threads', () => {
  it.each([
    ['shared/protocol.ts', "import type { Leader } from '../engine/leader/leader.js';", IMPORTS],
    ['shared/diagnostics.ts', "import { WorkerLiveness } from '../page/liveness.js';", IMPORTS],
    ['shared/opfs-read.ts', "import { Database } from '@cipherlite/core';", IMPORTS],
    ['shared/opfs-read.ts', 'export const t = () => document.title;', GLOBALS],
    ['shared/opfs-read.ts', 'export const o = (h: FileSystemFileHandle) => h.createSyncAccessHandle();', SYNTAX],
  ])('%s: `%s` is refused', (file, code, rule) => {
    expect(reported(file, code)).toEqual([rule]);
  });
});

describe("the repo's ESLint config applies these rules", () => {
  const eslint = new ESLint({ cwd: ROOT });
  it('the key-management chunk: the engine rules, with core/keys allowed', async () => {
    const applied = (await eslint.calculateConfigForFile(`${ROOT}packages/worker/src/engine/leader/key-management.ts`)) as Linter.Config;
    const [, ...options] = workerThreadRules[3]!.rules![IMPORTS] as unknown[];
    expect(applied.rules?.[IMPORTS]).toEqual([2, ...options]);
    for (const rule of [GLOBALS, SYNTAX]) expect(applied.rules?.[rule], rule).toEqual([2, ...(workerThreadRules[1]!.rules![rule] as unknown[]).slice(1)]);
  });
  it('the passkey chunk: the page rules, with core/header and the ceremony allowed', async () => {
    for (const file of ['page/passkeys.ts', 'page/passkey-ceremony.ts']) {
      const applied = (await eslint.calculateConfigForFile(`${ROOT}packages/worker/src/${file}`)) as Linter.Config;
      const [, ...options] = workerThreadRules[4]!.rules![IMPORTS] as unknown[];
      expect(applied.rules?.[IMPORTS], file).toEqual([2, ...options]);
      for (const rule of [GLOBALS, SYNTAX]) expect(applied.rules?.[rule], rule).toEqual([2, ...(workerThreadRules[0]!.rules![rule] as unknown[]).slice(1)]);
    }
  });
  it.each([
    ['page/client.ts', 0],
    ['index.ts', 0],
    ['engine/engine.ts', 1],
    ['engine/storage/indexeddb.ts', 1],
    ['worker.ts', 1],
    ['shared/protocol.ts', 2],
  ])('%s', async (file, block) => {
    const applied = (await eslint.calculateConfigForFile(`${ROOT}packages/worker/src/${file}`)) as Linter.Config;
    const expected = workerThreadRules[block]!.rules!;
    for (const rule of [IMPORTS, GLOBALS, SYNTAX]) {
      const [, ...options] = expected[rule] as unknown[];
      expect(applied.rules?.[rule], rule).toEqual([2, ...options]);
    }
  });
});
