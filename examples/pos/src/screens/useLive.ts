/** Admin's data loading: a value loaded now, after every committed change in any tab, and on `reload()`. */
import type { CipherliteDatabase } from '@cipherlite/worker';
import { useCallback, useEffect, useState } from 'react';

export function useLive<T>(db: CipherliteDatabase, fn: () => Promise<T>): { data: T | null; error: unknown; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: unknown }>({ data: null, error: null });
  const load = useCallback(() => {
    fn().then(
      (data) => setState({ data, error: null }),
      (error: unknown) => setState((s) => ({ data: s.data, error })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [db]);
  useEffect(() => {
    load();
    return db.onChange(load);
  }, [db, load]);
  return { ...state, reload: load };
}
