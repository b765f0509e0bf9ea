/**
 * The options the leader opens core's `Database` with: the worker's default journal mode, and
 * which of the worker's open options are core's (all of them when opening, the connection's
 * settings when a rekey reopens).
 */
import type { Database, OpenOptions } from '@cipherlite/core';
import type { WorkerOpenOptions } from '../../shared/protocol.js';

/**
 * The worker's default journal mode (core's is TRUNCATE). Measured (docs/PERFORMANCE.md): a
 * durable autocommit is ~2.6× faster in WAL (1,080 vs 2,823 ms for 2,000), the mixed POS load
 * ~2.3× (429 vs 993 ms), warm point selects ~3× (59 vs 201 ms), bulk inserts and scans equal.
 * WAL needs no shared memory here (one worker owns the files, exclusive locking), is crash- and
 * plaintext-tested, and key management checkpoints it first.
 */
export const DEFAULT_JOURNAL_MODE = 'WAL';

/** Every option of core's `Database.open` but the storage object the leader builds (the compiler checks the list is whole). */
export const CORE_OPEN_OPTIONS = ['name', 'create', 'pageSize', 'kdf', 'cacheSizeKiB', 'journalMode', 'synchronous'] as const satisfies readonly CoreOptionName[];
type CoreOptionName = Exclude<keyof OpenOptions, 'storage'>;
/** Fails to compile when core gains an option this list misses. */
const CORE_OPEN_OPTIONS_WHOLE: [Exclude<CoreOptionName, (typeof CORE_OPEN_OPTIONS)[number]>] extends [never] ? true : never = true;
void CORE_OPEN_OPTIONS_WHOLE;
export const REOPEN_OPTIONS = ['cacheSizeKiB', 'journalMode', 'synchronous'] as const;

export type CoreOpenOptions = { name: string } & Partial<Pick<WorkerOpenOptions, (typeof CORE_OPEN_OPTIONS)[number]>>;

export type OpenArgs = Parameters<typeof Database.open>[0];
