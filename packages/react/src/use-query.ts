/**
 * useQuery(sql, params): a live query. Re-renders when its result changes because a table it
 * reads changed — in this tab or any other. Identical queries share one `LiveQuery` (one run).
 */
import { useContext, useMemo, useSyncExternalStore } from 'react';
import type { BindParams, Row } from '@cipherlite/core';
import { DatabaseContext, requireContext } from './context.js';
import { queryKey } from './live-query.js';
import type { QueryResult } from './types.js';

export function useQuery<T extends object = Row>(sql: string, params?: BindParams): QueryResult<T> {
  const { cache } = requireContext(useContext(DatabaseContext), 'useQuery()');
  const key = queryKey(sql, params);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for sql + params by value
  const query = useMemo(() => cache.get<T>(sql, params), [cache, key]);
  return useSyncExternalStore(query.subscribe, query.getSnapshot, query.getSnapshot);
}
