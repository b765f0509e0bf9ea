/**
 * `@cipherlite/core/storage` — the synchronous storage interface a VFS runs on and its in-memory
 * implementation, for custom backends (the worker's IndexedDB backend keeps its files in
 * `MemoryFile`s). Nothing reachable from here imports `@sqlite.org/sqlite-wasm`.
 */
export type { AtOption, SyncFile, SyncStorage } from './storage/sync-file.js';
export { MemoryFile, MemoryStorage } from './storage/memory.js';
