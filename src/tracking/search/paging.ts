import { InvalidInputError } from '../../common/errors.js';
import { decodePageToken, encodePageToken } from './page-token.js';

/** MLflow's limits for search_runs and search_experiments. */
export const MAX_RESULTS_DEFAULT = 1000;
export const MAX_RESULTS_LIMIT = 50_000;

export interface PageWindow {
  offset: number;
  limit: number;
}

export function pageWindow(request: { maxResults?: number | undefined; pageToken?: string | undefined }): PageWindow {
  const limit = request.maxResults ?? MAX_RESULTS_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS_LIMIT) {
    throw new InvalidInputError(`max_results must be an integer from 1 to ${MAX_RESULTS_LIMIT}, got ${limit}`, {
      where: 'max_results',
      hint: `ask for at most ${MAX_RESULTS_LIMIT} results and page through the rest with page_token`,
    });
  }
  const offset = request.pageToken ? decodePageToken(request.pageToken).offset : 0;
  return { offset, limit };
}

/**
 * Queries fetch one row beyond the page: if it exists there is a next page. So a page that happens
 * to end exactly at the last row carries no token, and clients never fetch an empty page.
 */
export function takePage<T>(rows: readonly T[], window: PageWindow): { items: T[]; nextPageToken?: string } {
  if (rows.length <= window.limit) return { items: [...rows] };
  return {
    items: rows.slice(0, window.limit),
    nextPageToken: encodePageToken({ offset: window.offset + window.limit }),
  };
}
