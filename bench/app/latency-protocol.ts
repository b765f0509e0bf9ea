/** Messages and shapes of the user-facing benchmarks (`npm run bench:latency`). */
import type { SqlValue } from '@cipherlite/core';

/**
 * The ways the main thread reaches a database in a worker, compared call for call: cipherlite, the
 * bare floor over raw postMessage, the same floor through Comlink, and SQLocal.
 */
export type ClientKind = 'cipherlite' | 'bare' | 'bareComlink' | 'sqlocal';

export interface Stmt {
  sql: string;
  params: SqlValue[];
}

/** The bare worker's request: one operation on its plain opfs-sahpool database. */
export type BareRequest =
  | { id: number; op: 'open'; name: string; pool: string }
  | { id: number; op: 'get' | 'all' | 'run'; sql: string; params: SqlValue[] }
  | { id: number; op: 'batch'; stmts: Stmt[] }
  | { id: number; op: 'integrityCheck' | 'exportFile' | 'close' };

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type BareResponse = { id: number; result: unknown } | { id: number; error: string };

/** Per-call latencies of one operation: sorted milliseconds summarized. */
export interface LatencyFigures {
  calls: number;
  medianMs: number;
  p99Ms: number;
  meanMs: number;
}

/** The per-call operations of item 1 (plus the one-round-trip batch for reference). */
export const LATENCY_OPS = ['get', 'query20', 'exec', 'transaction10', 'batch10'] as const;
export type LatencyOp = (typeof LATENCY_OPS)[number];

export interface LatencyConfig {
  /** Rows in the table the calls run against. */
  rows: number;
  /** Timed calls per operation (after `warmup` untimed ones). */
  calls: number;
  warmup: number;
}

export interface MemorySample {
  rows: number;
  /** Worker JavaScript heap, `performance.measureUserAgentSpecificMemory()` (no WebAssembly memory). */
  workerJsBytes: number | null;
  /** Proportional set size of the browser's renderer processes (page + worker, WebAssembly included). */
  rendererBytes: number | null;
}

/**
 * cipherlite's long operations, and the plain floor of each: `verify` authenticates every block
 * and runs `integrity_check` (floor: `integrity_check`); `backup` and `exportPlaintext` return the
 * whole file to the main thread (floor: opfs-sahpool's `exportFile`, the same trip); `rekey`
 * re-encrypts into a copy (no plain counterpart).
 */
export type LongOp = 'verify' | 'backup' | 'exportPlaintext' | 'rekey' | 'plainIntegrityCheck' | 'plainExportFile';

/** One long operation: its time, what it returned, and (cipherlite) the progress events the page received. */
export interface LongOpFigures {
  ms: number;
  bytes: number;
  /** `onProgress` calls on the main thread (undefined for the plain floors, which have none). */
  progressEvents?: number;
  /**
   * Longest wait between two things the page saw, ms: call start → first event, each event →
   * the next, last event → the call settling. What "progress at least every N ms" is judged by.
   */
  maxProgressGapMs?: number;
  /** Where the longest gap was: `<phase before> → <phase after>` ('start', 'result' at the ends). */
  maxProgressGapAt?: string;
  /**
   * Time per progress phase, in the order the phases came: from the previous phase's last event
   * (or the call) to this phase's last event; then the last event → the result.
   */
  phaseMs?: Record<string, number>;
}

export interface ScaleFigures {
  kind: 'cipherlite' | 'bare';
  insertMs: number;
  databaseBytes: number;
  memory: MemorySample[];
  /** New worker → database open → first point query, after closing at full size. */
  coldOpenMs: number;
  /** Long operations through the worker (ms, and what they returned): cipherlite's four, the plain floors. */
  longOps: Partial<Record<LongOp, LongOpFigures>>;
}
