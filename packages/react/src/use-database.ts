/** useDatabase(): the database of the nearest <DatabaseProvider>. */
import { useContext } from 'react';
import { DatabaseContext, requireContext } from './context.js';
import type { LiveDatabase } from './types.js';

export function useDatabase<D extends LiveDatabase = LiveDatabase>(): D {
  return requireContext(useContext(DatabaseContext), 'useDatabase()').db as D;
}
