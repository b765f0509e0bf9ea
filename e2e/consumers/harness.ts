/**
 * Shared plumbing of the consumer checks: where the packed tarballs and the fixture apps live
 * (a temp dir outside the workspace, so nothing resolves through the monorepo's node_modules),
 * running a command with its output in the test log, and installing a fixture from tarballs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const FIXTURES = join(import.meta.dirname, 'fixtures');
/** Fresh for every run; only npm's cache (~/.npm) carries over, which keeps reruns fast. */
export const WORK_DIR = process.env.CONSUMERS_DIR ?? join(tmpdir(), 'cipherlite-consumers');
export const TARBALL_DIR = join(WORK_DIR, 'tarballs');
export const APPS_DIR = join(WORK_DIR, 'apps');

/** The published packages, by directory under packages/. */
export const PACKAGES = ['core', 'worker', 'react', 'cli', 'drizzle', 'kysely'] as const;
export type PackageDir = (typeof PACKAGES)[number];

/** Ports of the built apps: 0 = a free port picked when the server starts (the machine may run other suites). */
export const PORTS = { vite: 0, webpack: 0 } as const;

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; its output goes to the test log (stdout unless `quietStdout`). Throws on a non-zero exit. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean; timeoutMs?: number; quietStdout?: boolean }): RunResult {
  const started = Date.now();
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const result = { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  process.stdout.write(`$ ${command} ${args.join(' ')}   (in ${options.cwd}, ${Date.now() - started} ms, exit ${result.status})\n${options.quietStdout ? '' : result.stdout}${result.stderr}`);
  if (r.error) throw r.error;
  if (result.status !== 0 && !options.allowFailure) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr || result.stdout}`);
  return result;
}

/** Path of the packed tarball of a package (written by packages.setup.ts). */
export function tarball(pkg: PackageDir): string {
  const manifest = JSON.parse(readFileSync(join(TARBALL_DIR, 'manifest.json'), 'utf8')) as Record<PackageDir, string>;
  return manifest[pkg];
}

/**
 * Copies fixture `name` to the work dir and `npm install`s its own pinned dependencies plus the
 * given tarballs (npm resolves @cipherlite/core for worker/react from the core tarball, since it
 * is installed in the same command). Returns the app's directory.
 */
export function installFixture(name: string, packages: readonly PackageDir[], extraFiles: (appDir: string) => void = () => {}): string {
  const appDir = join(APPS_DIR, name);
  rmSync(appDir, { recursive: true, force: true });
  cpSync(join(FIXTURES, name), appDir, { recursive: true });
  extraFiles(appDir);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...packages.map(tarball)], { cwd: appDir });
  for (const pkg of packages) {
    if (!existsSync(join(appDir, 'node_modules', '@cipherlite', pkg, 'package.json'))) throw new Error(`@cipherlite/${pkg} was not installed in ${appDir}`);
  }
  return appDir;
}
