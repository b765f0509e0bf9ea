/** Messages and shapes of the user-facing benchmarks (`npm run bench:latency`). */
import type { SqlValue } from '@cipherlite/core';

/** The three ways the main thread reaches a database in a worker, compared call for call. */
export type ClientKind = 'cipherlite' | 'bare' | 'sqlocal';

export interface Stmt {
  sql: string;
  params: SqlValue[];
}

/** The bare worker's request: one operation on its plain opfs-sahpool database. */
export type BareRequest =
  | { id: number; op: 'open'; name: string }
  | { id: number; op: 'get' | 'all' | 'run'; sql: string; params: SqlValue[] }
  | { id: number; op: 'batch'; stmts: Stmt[] }
  | { id: number; op: 'integrityCheck' | 'exportFile' | 'close' };

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

export interface ScaleFigures {
  kind: 'cipherlite' | 'bare';
  insertMs: number;
  databaseBytes: number;
  memory: MemorySample[];
  /** New worker → database open → first point query, after closing at full size. */
  coldOpenMs: number;
  /** Long operations through the worker (ms, and what they returned): cipherlite's four, the plain floors. */
  longOps: Partial<Record<LongOp, { ms: number; bytes: number }>>;
}
