import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, createApiClient, type ApiClient } from '../api/client.js';
import type { Whoami } from '../api/types.js';
import { whoami } from '../api/whoami.js';
import { ErrorState, Loading } from '../components/states.js';
import { SignIn } from './sign-in.js';
import { storedToken, storeToken } from './token-store.js';

export interface Session {
  api: ApiClient;
  /** Who the server says the caller is; `authenticated: false` on a server without --auth. */
  caller: Whoami;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside <SessionGate>');
  return session;
}

type GateState =
  | { kind: 'checking' }
  | { kind: 'signed-in'; caller: Whoami; token: string | null }
  | { kind: 'sign-in'; refused: ApiError | null }
  | { kind: 'failed'; error: unknown };

/**
 * Asks the server who the caller is before any page: a server without --auth answers for the anonymous
 * caller and the pages open at once; with --auth a missing or refused token shows the sign-in form. A 401
 * on any later call (the token expired or was revoked) comes back here.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<GateState>({ kind: 'checking' });

  const check = useCallback(async (token: string | null): Promise<GateState> => {
    try {
      const caller = await whoami(createApiClient(token, () => undefined));
      return { kind: 'signed-in', caller, token };
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return { kind: 'sign-in', refused: token ? error : null };
      return { kind: 'failed', error };
    }
  }, []);

  useEffect(() => {
    let live = true;
    void check(storedToken()).then((next) => {
      if (!live) return;
      if (next.kind === 'sign-in') storeToken(null);
      setState(next);
    });
    return () => {
      live = false;
    };
  }, [check]);

  const token = state.kind === 'signed-in' ? state.token : null;
  const session = useMemo<Session | null>(() => {
    if (state.kind !== 'signed-in') return null;
    const api = createApiClient(token, (refused) => {
      storeToken(null);
      setState({ kind: 'sign-in', refused });
    });
    const signOut = () => {
      storeToken(null);
      setState({ kind: 'sign-in', refused: null });
    };
    return { api, caller: state.caller, signOut };
  }, [state, token]);

  const signIn = useCallback(
    async (candidate: string): Promise<ApiError | null> => {
      const next = await check(candidate);
      if (next.kind === 'sign-in') return next.refused;
      if (next.kind === 'signed-in') storeToken(candidate);
      setState(next);
      return null;
    },
    [check],
  );

  switch (state.kind) {
    case 'checking':
      return <Loading what="the session" />;
    case 'failed':
      return <ErrorState error={state.error} />;
    case 'sign-in':
      return <SignIn refused={state.refused} onSignIn={signIn} />;
    case 'signed-in':
      return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
  }
}
