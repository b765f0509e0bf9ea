// Prints one closing line for the whole test run — "N passed, N failed" — from the JSON
// reports of Vitest (unit/integration, Node), Playwright (e2e, Chromium and Firefox) and the
// WebKit smoke suite (same `stats` shape), so CI logs end
// with a single, machine-readable verdict. Exits non-zero if any test failed or none ran.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const parts = [];
/** One line per failed test, printed last, so a log's tail names what failed. */
const failures = [];
const firstLine = (text) =>
  String(text ?? '')
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '') // terminal colours
    .trim()
    .split('\n')[0]
    .slice(0, 240);

const vitestFile = process.argv[2];
if (vitestFile && existsSync(vitestFile)) {
  const v = JSON.parse(readFileSync(vitestFile, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  parts.push(`vitest ${v.numPassedTests}/${v.numTotalTests}`);
  for (const file of v.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'failed') failures.push(`vitest › ${file.name.replace(`${process.cwd()}/`, '')} › ${t.fullName} — ${firstLine(t.failureMessages?.[0])}`);
    }
  }
}

const playwrightFiles = process.argv.slice(3);
for (const f of playwrightFiles) {
  if (!existsSync(f)) continue;
  const p = JSON.parse(readFileSync(f, 'utf8'));
  const s = p.stats;
  passed += s.expected + (s.flaky ?? 0);
  failed += s.unexpected;
  skipped += s.skipped;
  parts.push(`playwright(${f.split('/').pop()}) ${s.expected + (s.flaky ?? 0)}/${s.expected + s.unexpected + (s.flaky ?? 0) + s.skipped}${perEngine(p)}`);
}

/** " [chromium 30/31, firefox 27/31]": passed/total per Playwright project (engine). */
function perEngine(report) {
  const byProject = new Map();
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        const c = byProject.get(t.projectName) ?? { passed: 0, total: 0 };
        c.total++;
        if (t.status === 'expected' || t.status === 'flaky') c.passed++;
        if (t.status === 'unexpected') {
          const error = t.results?.at(-1)?.error?.message;
          failures.push(`playwright [${t.projectName}] › ${spec.file} › ${spec.title} — ${firstLine(error)}`);
        }
        byProject.set(t.projectName, c);
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report.suites ?? []) visit(suite);
  if (byProject.size === 0) return '';
  return ` [${[...byProject].map(([name, c]) => `${name} ${c.passed}/${c.total}`).join(', ')}]`;
}

if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`\ntest totals: ${parts.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
