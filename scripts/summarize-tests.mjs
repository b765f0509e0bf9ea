// Prints one closing line for the whole test run — "N passed, N failed" — from the JSON
// reports of Vitest (unit/integration, Node) and Playwright (e2e, Chromium), so CI logs end
// with a single, machine-readable verdict. Exits non-zero if any test failed or none ran.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const parts = [];

const vitestFile = process.argv[2];
if (vitestFile && existsSync(vitestFile)) {
  const v = JSON.parse(readFileSync(vitestFile, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  parts.push(`vitest ${v.numPassedTests}/${v.numTotalTests}`);
}

const playwrightFiles = process.argv.slice(3);
for (const f of playwrightFiles) {
  if (!existsSync(f)) continue;
  const p = JSON.parse(readFileSync(f, 'utf8'));
  const s = p.stats;
  passed += s.expected + (s.flaky ?? 0);
  failed += s.unexpected;
  skipped += s.skipped;
  parts.push(`playwright(${f.split('/').pop()}) ${s.expected + (s.flaky ?? 0)}/${s.expected + s.unexpected + (s.flaky ?? 0) + s.skipped}`);
}

console.log(`\ntest totals: ${parts.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
