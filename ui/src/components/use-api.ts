import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client.js';
import { useSession } from '../auth/session.js';

export type Loaded<T> = { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ok'; data: T };

/**
 * One API read for a page, run again when `key` changes; a read left behind (the user moved on) is aborted
 * and its answer dropped, so a slow old answer never replaces a newer one.
 */
export function useApi<T>(key: string, load: (api: ApiClient, signal: AbortSignal) => Promise<T>): Loaded<T> {
  const { api } = useSession();
  const [state, setState] = useState<{ key: string; loaded: Loaded<T> }>({ key, loaded: { status: 'loading' } });

  useEffect(() => {
    const controller = new AbortController();
    load(api, controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key, loaded: { status: 'ok', data } });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ key, loaded: { status: 'error', error } });
      },
    );
    return () => controller.abort();
    // `load` is a new closure each render; `key` says when what it reads changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key]);

  return state.key === key ? state.loaded : { status: 'loading' };
}
