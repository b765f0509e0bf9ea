/**
 * useQuery: a live read that re-renders when its result changes because a table it depends on
 * changed — in this tab or any other. Identical reads share one `LiveValue` (one run).
 *
 * - `useQuery(sql, params?)`: rows of a SQL query; it depends on the tables the statement reads.
 * - `useQuery(key, fetcher, { tables }?)`: any async read over the database (stats, key slots,
 *   backups, several queries combined), shared by `key`; it reloads after changes to `tables`, or
 *   after every committed change when `tables` is not given.
 */
import { useContext, useMemo, useSyncExternalStore } from 'react';
import type { BindParams, Row } from '@cipherlite/core';
import { DatabaseContext, requireContext } from './context.js';
import type { FetcherOptions, LiveValue } from './live-query.js';
import { fetcherKey, queryKey } from './query-key.js';
import type { QueryKey } from './query-key.js';
import type { LiveDatabase, LiveResult, QueryResult } from './types.js';

export function useQuery<T extends object = Row>(sql: string, params?: BindParams): QueryResult<T>;
export function useQuery<T, D extends LiveDatabase = LiveDatabase>(key: QueryKey, fetcher: (db: D) => Promise<T>, options?: FetcherOptions): LiveResult<T>;
export function useQuery(first: QueryKey, second?: BindParams | ((db: LiveDatabase) => Promise<unknown>), options?: FetcherOptions): LiveResult<unknown> {
  const { cache } = requireContext(useContext(DatabaseContext), 'useQuery()');
  const isFetcher = typeof second === 'function';
  const key = isFetcher ? fetcherKey(first) : queryKey(first as string, second);
  const tablesKey = [...(options?.tables ?? []), '', ...(options?.statements ?? [])].join('\u0000');
  const value: LiveValue<unknown> = useMemo(
    () => (isFetcher ? cache.fetch(first, second, options) : cache.get(first as string, second)),
    // `key` stands for sql + params or the fetcher key by value; the latest fetcher is picked up below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [cache, key, tablesKey],
  );
  // A fresh fetcher closure every render: the cache runs the latest one for this key.
  if (isFetcher) cache.fetch(first, second, options);
  return useSyncExternalStore(value.subscribe, value.getSnapshot, value.getSnapshot);
}
