/**
 * Live-query benchmark page: 20 `useQuery` hooks (@cipherlite/react), one per table t0..t19, on a
 * database opened with `openDatabase()`. For each write to one table it measures the time from
 * the `exec` call to the commit of the re-rendered component showing the new row, and counts the
 * queries and renders of the 19 hooks the write did not concern (both should stay at zero).
 */
import { DatabaseProvider, useQuery, type LiveDatabase } from '@cipherlite/react';
import { openDatabase } from '@cipherlite/worker';
import { createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import type { LatencyFigures } from './latency-protocol.ts';
import { summarize } from './latency-workload.ts';

export const LIVE_TABLES = 20;
const tableSql = (i: number) => `SELECT count(*) AS n FROM t${i}`;

const renders = new Array<number>(LIVE_TABLES).fill(0);
const queryRuns = new Map<string, number>();
/** The row count each component last committed to the screen, and when. */
const shown = new Array<{ n: number; at: number } | null>(LIVE_TABLES).fill(null);
let onCommit: (() => void) | null = null;

function Cell({ i }: { i: number }) {
  const r = useQuery<{ n: number }>(tableSql(i));
  renders[i]!++;
  const n = r.status === 'success' ? r.data[0]!.n : -1;
  useEffect(() => {
    if (n < 0) return;
    shown[i] = { n, at: performance.now() };
    onCommit?.();
  }, [i, n]);
  return createElement('li', null, `t${i}: ${n < 0 ? '…' : n}`);
}

/** Resolves when `test()` holds after a commit (checked at each commit). */
function untilCommitted(test: () => boolean): Promise<void> {
  if (test()) return Promise.resolve();
  return new Promise((resolve) => {
    onCommit = () => {
      if (!test()) return;
      onCommit = null;
      resolve();
    };
  });
}

/** The hooks' view of the database, counting every query it runs (per SQL text). */
function counting(db: Awaited<ReturnType<typeof openDatabase>>): LiveDatabase {
  return {
    exec: (sql, params) => db.exec(sql, params),
    query: (sql, params) => {
      queryRuns.set(sql, (queryRuns.get(sql) ?? 0) + 1);
      return db.query(sql, params);
    },
    get: (sql, params) => db.get(sql, params),
    transaction: (fn) => db.transaction(fn),
    tables: (sql) => db.tables(sql),
    onChange: (listener) => db.onChange(listener),
    get lockState() {
      return db.lockState;
    },
    onLockState: (listener) => db.onLockState(listener),
    unlock: (secret) => db.unlock(secret),
    lock: () => db.lock(),
  };
}

export interface LiveFigures {
  writes: number;
  /** exec call → the affected component committed the new count. */
  rerender: LatencyFigures;
  /** exec call → exec resolved (the write's own round trip, for reference). */
  write: LatencyFigures;
  affectedQueryRuns: number;
  unaffectedQueryRuns: number;
  unaffectedRenders: number;
}

async function run(writes: number, settleMs: number): Promise<LiveFigures> {
  const db = await openDatabase({ name: 'live', password: 'live query benchmark password', directory: 'bench-live' });
  for (let i = 0; i < LIVE_TABLES; i++) await db.exec(`DROP TABLE IF EXISTS t${i}; CREATE TABLE t${i}(id INTEGER PRIMARY KEY, v INTEGER)`);
  const root = createRoot(document.getElementById('root')!);
  root.render(
    createElement(
      DatabaseProvider,
      { database: counting(db) },
      createElement(
        'ul',
        null,
        Array.from({ length: LIVE_TABLES }, (_, i) => createElement(Cell, { key: i, i })),
      ),
    ),
  );
  await untilCommitted(() => shown.every((s) => s?.n === 0));

  const rerender: number[] = [];
  const write: number[] = [];
  let affectedQueryRuns = 0;
  let unaffectedQueryRuns = 0;
  let unaffectedRenders = 0;
  for (let k = 0; k < writes; k++) {
    const j = k % LIVE_TABLES;
    const expected = shown[j]!.n + 1;
    const rendersBefore = [...renders];
    const runsBefore = new Map(queryRuns);
    const t = performance.now();
    const committed = untilCommitted(() => shown[j]!.n === expected);
    await db.exec(`INSERT INTO t${j}(v) VALUES (?)`, [k]);
    write.push(performance.now() - t);
    await committed;
    rerender.push(shown[j]!.at - t);
    // Unaffected hooks would re-run on the same change event; give them time to show up.
    await new Promise((r) => setTimeout(r, settleMs));
    for (let i = 0; i < LIVE_TABLES; i++) {
      const runs = (queryRuns.get(tableSql(i)) ?? 0) - (runsBefore.get(tableSql(i)) ?? 0);
      if (i === j) affectedQueryRuns += runs;
      else {
        unaffectedQueryRuns += runs;
        unaffectedRenders += renders[i]! - rendersBefore[i]!;
      }
    }
  }
  root.unmount();
  await db.close();
  return { writes, rerender: summarize(rerender), write: summarize(write), affectedQueryRuns, unaffectedQueryRuns, unaffectedRenders };
}

declare global {
  interface Window {
    liveBench: { run: typeof run };
  }
}
window.liveBench = { run };
