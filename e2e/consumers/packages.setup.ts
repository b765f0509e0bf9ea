/**
 * Stage 1 of the consumer checks: pack every published package exactly as `pnpm publish` would
 * (prepack builds dist/, publishConfig swaps `exports` to dist, `workspace:*` becomes a version),
 * then lint the tarballs with publint and @arethetypeswrong/cli. The app checks depend on this.
 */
import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGES, REPO, TARBALL_DIR, WORK_DIR, run, tarball, type PackageDir } from './harness.ts';

test.describe.configure({ mode: 'serial' });

interface PackedManifest {
  name: string;
  exports?: Record<string, string | { types: string; default: string }>;
  types?: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  files?: string[];
}

function packedManifest(pkg: PackageDir): { manifest: PackedManifest; files: string[] } {
  const listing = run('tar', ['tzf', tarball(pkg)], { cwd: WORK_DIR })
    .stdout.split('\n')
    .filter(Boolean);
  const manifest = JSON.parse(run('tar', ['xzOf', tarball(pkg), 'package/package.json'], { cwd: WORK_DIR }).stdout) as PackedManifest;
  return { manifest, files: listing.map((f) => f.replace(/^package\//, '')) };
}

test('pnpm pack: every package builds and packs; manifests point at dist, no workspace: ranges, only dist + README + LICENSE ship', async () => {
  test.setTimeout(240_000);
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(TARBALL_DIR, { recursive: true });
  const manifest: Record<string, string> = {};
  for (const pkg of PACKAGES) {
    const out = run('pnpm', ['pack', '--pack-destination', TARBALL_DIR], { cwd: join(REPO, 'packages', pkg) });
    const packed = readdirSync(TARBALL_DIR).find((f) => f.startsWith(`cipherlite-${pkg}-`) && f.endsWith('.tgz'));
    expect(packed, out.stdout).toBeTruthy();
    // Named by content: `npx --package=<tgz>` caches installs by spec, so a changed build must get a new name.
    const bytes = readFileSync(join(TARBALL_DIR, packed!));
    const named = join(TARBALL_DIR, packed!.replace(/\.tgz$/, `-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.tgz`));
    renameSync(join(TARBALL_DIR, packed!), named);
    manifest[pkg] = named;
  }
  writeFileSync(join(TARBALL_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2));

  for (const pkg of PACKAGES) {
    const { manifest: m, files } = packedManifest(pkg);
    expect(m.name).toBe(`@cipherlite/${pkg}`);
    expect(JSON.stringify(m.dependencies ?? {}), pkg).not.toContain('workspace:');
    expect(files, pkg).toContain('LICENSE');
    expect(
      files.filter((f) => !/^(dist\/.+|package\.json|README\.md|LICENSE)$/.test(f)),
      `${pkg} ships only dist/, README, LICENSE`,
    ).toEqual([]);
    const targets = [...Object.values(m.exports ?? {}).flatMap((e) => (typeof e === 'string' ? [e] : [e.types, e.default])), ...Object.values(m.bin ?? {})].filter((t) => t !== './package.json');
    expect(targets.length, pkg).toBeGreaterThan(0);
    for (const t of targets) {
      expect(t, `${pkg}: ${t}`).toMatch(/^\.\/dist\//);
      expect(files, `${pkg}: ${t} is in the tarball`).toContain(t.slice(2));
    }
    expect(
      files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      `${pkg} ships no TypeScript sources`,
    ).toBe(false);
  }
  for (const pkg of PACKAGES) {
    const { files } = packedManifest(pkg);
    expect(files, pkg).toContain('README.md');
    expect(files.filter((f) => /\.m?js\.map$/.test(f)).length, `${pkg} ships source maps`).toBeGreaterThan(0);
  }
});

for (const pkg of PACKAGES) {
  test(`publint --strict: @cipherlite/${pkg} tarball has no errors or warnings`, () => {
    const r = run('pnpm', ['exec', 'publint', '--strict', tarball(pkg)], { cwd: REPO });
    expect(r.stdout + r.stderr).not.toMatch(/error|warning/i);
  });
}

// The CLI is a binary only (no importable entry, no types): attw has nothing to resolve there.
for (const pkg of ['core', 'worker', 'react', 'drizzle', 'kysely'] as const) {
  test(`attw (ESM-only profile): @cipherlite/${pkg} types resolve for node16 and bundler`, () => {
    // JSON (with every resolution trace) is parsed here, not printed; the problems are.
    const r = run('pnpm', ['exec', 'attw', tarball(pkg), '--profile', 'esm-only', '--format', 'json'], { cwd: REPO, allowFailure: true, quietStdout: true });
    expect(r.status, r.stdout).toBe(0);
    const problems = (JSON.parse(r.stdout) as { analysis: { problems: { kind: string; resolutionKind?: string }[] } }).analysis.problems;
    // esm-only: CommonJS `require` and node10 resolution are out of scope (the packages are ESM only).
    const relevant = problems.filter((p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs');
    process.stdout.write(
      `attw ${pkg}: ${relevant.length} problem(s) for node16 (ESM) and bundler; ${problems.length - relevant.length} ignored (node10 / CommonJS require, out of scope for ESM-only)\n`,
    );
    expect(relevant).toEqual([]);
  });
}

test('pnpm -r publish --dry-run: every package would publish', () => {
  test.setTimeout(240_000);
  // --no-git-checks: the check runs on any branch and with untracked test output present;
  // --ignore-scripts: dist/ was just built by the pack above (prepack), no need to build twice.
  const r = run('pnpm', ['-r', '--filter', './packages/*', 'publish', '--dry-run', '--no-git-checks', '--ignore-scripts'], { cwd: REPO });
  for (const pkg of PACKAGES) expect(r.stdout + r.stderr).toContain(`@cipherlite/${pkg}@`);
});
