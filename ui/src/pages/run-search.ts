import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page, Run } from '../api/types.js';
import { useSession } from '../auth/session.js';

const PAGE_SIZE = 500;

export interface RunSearch {
  runs: Run[];
  status: 'loading' | 'error' | 'ok';
  error: unknown;
  /** More pages on the server; `loadMore` fetches the next one (once, however often it is called meanwhile). */
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
}

/**
 * `POST /api/v1/runs/search` over one experiment, a page at a time as the table scrolls: the filter and
 * order are the server's own search language, sent as typed, so its errors (with the caret under the
 * mistake) are the ones shown.
 */
export function useRunSearch(experimentId: string, filter: string, orderBy: string | null): RunSearch {
  const { api } = useSession();
  const [state, setState] = useState<Omit<RunSearch, 'loadMore'> & { token: string | undefined }>(initial);
  const generation = useRef(0);

  const fetchPage = useCallback(
    async (token: string | undefined, current: number) => {
      const body = {
        experiment_ids: [experimentId],
        max_results: PAGE_SIZE,
        ...(filter.trim() === '' ? {} : { filter }),
        ...(orderBy === null ? {} : { order_by: [orderBy] }),
        ...(token === undefined ? {} : { page_token: token }),
      };
      try {
        const page = await api.post<Page<Run>>('/runs/search', body);
        if (current !== generation.current) return;
        setState((before) => ({
          runs: token === undefined ? page.items : [...before.runs, ...page.items],
          status: 'ok',
          error: null,
          hasMore: page.next_page_token !== undefined,
          loadingMore: false,
          token: page.next_page_token,
        }));
      } catch (error) {
        if (current !== generation.current) return;
        setState((before) => ({ ...before, status: 'error', error, loadingMore: false }));
      }
    },
    [api, experimentId, filter, orderBy],
  );

  useEffect(() => {
    generation.current += 1;
    setState(initial());
    void fetchPage(undefined, generation.current);
  }, [fetchPage]);

  // Read by loadMore, which the table calls on every scroll: the state it acts on, not a stale closure's.
  const latest = useRef(state);
  latest.current = state;
  const loadMore = useCallback(() => {
    const before = latest.current;
    if (!before.hasMore || before.loadingMore || before.status !== 'ok') return;
    latest.current = { ...before, loadingMore: true };
    setState(latest.current);
    void fetchPage(before.token, generation.current);
  }, [fetchPage]);

  return { ...state, loadMore };
}

function initial(): Omit<RunSearch, 'loadMore'> & { token: string | undefined } {
  return { runs: [], status: 'loading', error: null, hasMore: false, loadingMore: false, token: undefined };
}
