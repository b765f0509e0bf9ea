/** The React context the provider fills: the database and its shared live-query cache. */
import { createContext } from 'react';
import type { QueryCache } from './live-query.js';
import type { LiveDatabase } from './types.js';

export interface DatabaseContextValue {
  db: LiveDatabase;
  cache: QueryCache;
}

export const DatabaseContext = createContext<DatabaseContextValue | null>(null);
DatabaseContext.displayName = 'CipherliteDatabase';

/** The context value, or a loud, actionable error naming the hook that needed it. */
export function requireContext(value: DatabaseContextValue | null, hook: string): DatabaseContextValue {
  if (value === null) {
    throw new Error(
      `${hook} needs a <DatabaseProvider>: wrap your component tree in <DatabaseProvider database={db}> ` +
        `(db from openDatabase() of @cipherlite/worker) or <DatabaseProvider open={() => openDatabase(...)}>`,
    );
  }
  return value;
}
