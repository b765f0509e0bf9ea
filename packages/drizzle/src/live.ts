/**
 * `live(query)`: a Drizzle query as the arguments of `@cipherlite/react`'s `useQuery`, so the
 * component re-renders when a table the query reads changes — in this tab or any other.
 *
 *   const { data } = useQuery(...live(db.select().from(todos).where(eq(todos.done, false))));
 *
 * The key is the query's SQL and parameters; the tables come from SQLite's authorizer
 * (`db.tables(sql)`), so joins and subqueries count. Runtime-free of React.
 */

/** A Drizzle query that can show its SQL and run: selects, relational queries, `… returning`. */
export interface LiveableQuery<T> {
  toSQL(): { sql: string; params: unknown[] };
  execute(): Promise<T>;
}

/** `useQuery(key, fetcher, options)`'s arguments for `query`. */
export type LiveQueryArgs<T> = readonly [key: readonly unknown[], fetcher: () => Promise<T>, options: { statements: readonly string[] }];

export function live<T>(query: LiveableQuery<T>): LiveQueryArgs<T> {
  const { sql, params } = query.toSQL();
  return [['@cipherlite/drizzle', sql, params], () => query.execute(), { statements: [sql] }];
}
