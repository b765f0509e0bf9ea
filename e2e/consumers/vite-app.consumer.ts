/**
 * A stock `npm create vite -- --template react-ts` app (create-vite 9.3, TypeScript 7) with the
 * tarballs installed: `tsc -b && vite build` as generated, then the app in Chromium, then our
 * `.d.ts` under strict and non-strict settings with skipLibCheck off (TypeScript 7 and 5.9).
 * Not serial: a failing check does not hide the others (each later step fails on its own if an
 * earlier one left nothing to work on).
 */
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { browserAppChecks } from './browser-app.ts';
import { APPS_DIR, PORTS, installFixture, run } from './harness.ts';

const appDir = join(APPS_DIR, 'vite-react');

test('vite: npm install the tarballs into the stock React + TypeScript template', () => {
  test.setTimeout(300_000);
  installFixture('vite-react', ['core', 'worker', 'react']);
});

test("vite: `tsc -b && vite build` (the template's build script) succeeds", () => {
  test.setTimeout(180_000);
  run('npm', ['run', 'build'], { cwd: appDir });
});

browserAppChecks('vite', join(appDir, 'dist'), PORTS.vite);

for (const [tsc, label] of [
  ['node_modules/typescript/bin/tsc', 'TypeScript 7'],
  ['node_modules/typescript-5/bin/tsc', 'TypeScript 5.9'],
] as const) {
  test(`vite: our .d.ts type-check with skipLibCheck off, lib ES2023 + DOM (no ESNext.Disposable), strict and non-strict — ${label}`, () => {
    test.setTimeout(120_000);
    for (const config of ['tsconfig.strict.json', 'tsconfig.loose.json']) {
      const r = run('node', [tsc, '-p', config, '--noEmit'], { cwd: appDir, allowFailure: true });
      expect(r.status, `${config}:\n${r.stdout}${r.stderr}`).toBe(0);
    }
  });
}
