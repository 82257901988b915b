import type { ErrorBody } from './types.js';

/** The server's error body; a code this build does not know (a newer server, a proxy's status) is still shown. */
type ErrorReply = Omit<ErrorBody, 'error_code'> & { error_code: string };

/** A refused or failed API call, as the server said it: status, stable code, message, the field at fault. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly where: string | undefined;
  readonly hint: string | undefined;

  constructor(status: number, body: ErrorReply) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.error_code;
    this.where = body.where;
    this.hint = body.hint;
  }
}

export type Query = Record<string, string | number | undefined>;

/** How every page reaches `/api/v1`: the caller's token (when there is one) on every request, never in a URL. */
export interface ApiClient {
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T>;
  /** The raw answer, for bytes (an artifact download). */
  fetchRaw(path: string, signal?: AbortSignal): Promise<Response>;
}

const BASE = '/api/v1';

/**
 * `onUnauthenticated` hears every 401 (a token expired or revoked while the page was open), so the app can
 * ask for a token again; the caller still gets the error to show.
 */
export function createApiClient(token: string | null, onUnauthenticated: (error: ApiError) => void): ApiClient {
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    accept: 'application/json',
    ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    ...extra,
  });

  async function send(path: string, init: RequestInit): Promise<Response> {
    const response = await fetch(`${BASE}${path}`, { ...init, credentials: 'omit', cache: 'no-store' });
    if (response.ok) return response;
    const error = new ApiError(response.status, await errorBody(response));
    if (response.status === 401) onUnauthenticated(error);
    throw error;
  }

  return {
    async get<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
      const response = await send(`${path}${queryString(query)}`, { headers: headers(), signal: signal ?? null });
      return (await response.json()) as T;
    },
    async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
      const response = await send(path, {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
        signal: signal ?? null,
      });
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    fetchRaw(path: string, signal?: AbortSignal): Promise<Response> {
      return send(path, { headers: headers({ accept: '*/*' }), signal: signal ?? null });
    },
  };
}

function queryString(query: Query): string {
  const entries = Object.entries(query).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([key, value]) => [key, String(value)])).toString()}`;
}

/** The server's error body; a proxy's HTML page or an empty answer becomes one with the status as its message. */
async function errorBody(response: Response): Promise<ErrorReply> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as Partial<ErrorReply>;
    if (typeof parsed.error_code === 'string' && typeof parsed.message === 'string') return parsed as ErrorReply;
  } catch {
    // Not JSON: described below.
  }
  return { error_code: `HTTP_${response.status}`, message: `${response.status} ${response.statusText}`.trim() };
}

/** A path segment of an id or name the server gave (a model name may hold spaces or slashes). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}
