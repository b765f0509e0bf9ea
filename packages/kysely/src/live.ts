/**
 * `live(query)`: a Kysely query as the arguments of `@cipherlite/react`'s `useQuery`, so the
 * component re-renders when a table the query reads changes — in this tab or any other.
 *
 *   const { data } = useQuery(...live(db.selectFrom('todo').selectAll().where('done', '=', 0)));
 *
 * The key is the compiled SQL and parameters; the tables come from SQLite's authorizer
 * (`db.tables(sql)`), so joins and subqueries count. Runtime-free of React.
 */

/** A Kysely query that compiles and runs: `selectFrom(…)`, `… returning`. */
export interface LiveableQuery<T> {
  compile(): { sql: string; parameters: readonly unknown[] };
  execute(): Promise<T>;
}

/** `useQuery(key, fetcher, options)`'s arguments for `query`. */
export type LiveQueryArgs<T> = readonly [key: readonly unknown[], fetcher: () => Promise<T>, options: { statements: readonly string[] }];

export function live<T>(query: LiveableQuery<T>): LiveQueryArgs<T> {
  const { sql, parameters } = query.compile();
  return [['@cipherlite/kysely', sql, [...parameters]], () => query.execute(), { statements: [sql] }];
}
