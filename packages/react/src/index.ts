/**
 * `@cipherlite/react` — React bindings for cipherlite.
 *
 * The logic lives in framework-free objects (`LiveQuery`, `QueryCache`, `Mutation`); each hook is
 * a few lines over `useSyncExternalStore`. The hooks need only the `LiveDatabase` interface, which
 * `openDatabase()` of `@cipherlite/worker` satisfies (and `@cipherlite/react/core` adapts core's
 * `Database` to, for Node and tests).
 */
export { DatabaseProvider, type DatabaseProviderProps } from './provider.js';
export { useDatabase } from './use-database.js';
export { useQuery } from './use-query.js';
export { useMutation, type UseMutationResult } from './use-mutation.js';
export { useTransaction } from './use-transaction.js';
export { useLockState } from './use-lock-state.js';
export { useUnlock, type UseUnlockResult } from './use-unlock.js';
export { LiveQuery, LiveValue, QueryCache, IDLE_GRACE_MS, type FetcherOptions, type LiveSource } from './live-query.js';
export { queryKey, fetcherKey, type QueryKey } from './query-key.js';
export { Mutation } from './mutation.js';
export type { LiveDatabase, LiveResult, LiveTransaction, LockState, MutationState, MutationStatus, PasskeyUnlock, QueryResult, QueryStatus, UnlockSecret } from './types.js';
export { CipherliteError, isCipherliteError } from '@cipherlite/core/errors';
export type { ErrorCode, Row, BindParams, SqlValue } from '@cipherlite/core/errors';
