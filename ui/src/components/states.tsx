import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state empty">{children}</div>;
}

const TITLES: Record<number, string> = {
  401: '401 Not signed in',
  403: '403 Not allowed',
  404: '404 Not found',
};

/**
 * An API error as the server wrote it: the status, the stable code, the message (a search's message holds
 * the filter with a caret under the mistake, so it keeps its lines and spacing), where and what to do.
 */
export function ErrorState({ error }: { error: unknown }) {
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return (
      <div className="state error" role="alert">
        <h2>Something went wrong</h2>
        <pre className="message">{message}</pre>
      </div>
    );
  }
  return (
    <div className="state error" role="alert">
      <h2>{TITLES[error.status] ?? `${error.status} Request refused`}</h2>
      <p>
        <code>{error.code}</code>
      </p>
      <pre className="message">{error.message}</pre>
      {error.where !== undefined && (
        <p>
          Where: <code>{error.where}</code>
        </p>
      )}
      {error.hint !== undefined && <p className="hint">{error.hint}</p>}
    </div>
  );
}
