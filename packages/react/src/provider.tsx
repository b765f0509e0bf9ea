/**
 * <DatabaseProvider>: puts one database (and its live-query cache) in context.
 *
 * Two ways to use it:
 * - `database={db}`: you opened the database outside React (usually after asking for the
 *   password) and own it: the provider never closes it.
 * - `open={() => openDatabase({ ... })}`: the provider opens it once when mounted, shows
 *   `fallback` meanwhile and `renderError(error)` if opening fails, and closes it when unmounted.
 */
import { useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { DatabaseContext } from './context.js';
import { QueryCache } from './live-query.js';
import type { LiveDatabase } from './types.js';

export type DatabaseProviderProps =
  | { database: LiveDatabase; children?: ReactNode }
  | {
      open: () => Promise<LiveDatabase>;
      /** Shown while opening (default: nothing). */
      fallback?: ReactNode;
      /** Shown when opening failed (default: rethrown to the nearest error boundary). */
      renderError?: (error: Error) => ReactNode;
      children?: ReactNode;
    };

export function DatabaseProvider(props: DatabaseProviderProps): ReactNode {
  if ('database' in props) return <Provide db={props.database}>{props.children}</Provide>;
  return <OwnedDatabase {...props} />;
}

function Provide({ db, children }: { db: LiveDatabase; children?: ReactNode }): ReactNode {
  // A nested provider for the same database shares the outer cache (one query, one run).
  const outer = useContext(DatabaseContext);
  const value = useMemo(() => (outer?.db === db ? outer : { db, cache: new QueryCache(db) }), [db, outer]);
  return <DatabaseContext.Provider value={value}>{children}</DatabaseContext.Provider>;
}

type OpenState = { db: LiveDatabase; error: null } | { db: null; error: Error } | { db: null; error: null };

function OwnedDatabase(props: Extract<DatabaseProviderProps, { open: unknown }>): ReactNode {
  const [state, setState] = useState<OpenState>({ db: null, error: null });
  // Opened once per mount: a new `open` function identity on re-render does not reopen.
  const open = useRef(props.open);
  useEffect(() => {
    let mounted = true;
    const opening = open.current();
    opening.then(
      (db) => mounted && setState({ db, error: null }),
      (e: unknown) => mounted && setState({ db: null, error: e instanceof Error ? e : new Error(String(e)) }),
    );
    return () => {
      mounted = false;
      opening
        .then(
          (db) => db.close?.(),
          () => undefined,
        )
        .catch(() => undefined);
    };
  }, []);
  if (state.error) {
    if (props.renderError) return props.renderError(state.error);
    throw state.error;
  }
  if (!state.db) return props.fallback ?? null;
  return <Provide db={state.db}>{props.children}</Provide>;
}
