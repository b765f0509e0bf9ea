/** Messages between the benchmark page and its dedicated worker. */
export type Target = 'plain-sahpool' | 'plain-sahpool-wal' | 'cipherlite-opfs' | 'cipherlite-opfs-wal' | 'memory';

export interface BenchConfig {
  rows: number;
  selects: number;
  updates: number;
  mixedOrders: number;
  runs: number;
  pageSize: number;
  cacheKiB: number;
  /** cipherlite's default-mode target journal mode (core's default is TRUNCATE). */
  journalMode: 'TRUNCATE' | 'DELETE' | 'PERSIST';
  /** Time every storage call of cipherlite's OPFS target (profiling; off for the figures). */
  ioStats: boolean;
  /** AES-GCM backend for cipherlite: the default (WebAssembly) or @noble/ciphers ("before"). */
  aead: 'default' | 'noble';
  /** journal mode of the plain baseline (SQLite's default is DELETE). */
  plainJournalMode: 'DELETE' | 'TRUNCATE' | 'PERSIST';
}

export interface WorkloadTimes {
  bulkInsert: number;
  pointSelects: number;
  scanWarm: number;
  scanCold: number;
  durableUpdates: number;
  mixed: number;
  bytesOnDisk: number;
}

export interface BenchResult {
  target: Target;
  runs: WorkloadTimes[];
}
