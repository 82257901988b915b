import { useId, useState, type FormEvent } from 'react';
import type { ApiError } from '../api/client.js';
import { ErrorState } from '../components/states.js';

interface Props {
  /** Why the last token was refused (401), or null when none was tried. */
  refused: ApiError | null;
  /** Answers the refusal of this token, or null once it is accepted. */
  onSignIn(token: string): Promise<ApiError | null>;
}

/** The token form for a server run with --auth. The token goes to the Authorization header only. */
export function SignIn({ refused, onSignIn }: Props) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(refused);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const hintId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim() === '') return;
    setBusy(true);
    void onSignIn(token.trim()).then((refusal) => {
      setBusy(false);
      setError(refusal);
    });
  };

  return (
    <main className="sign-in">
      <h1>Sign in to Ciclo</h1>
      <p>This server needs an API token.</p>
      {/* method=post: a submitted token must never land in the URL, even if the script has not loaded. */}
      <form method="post" onSubmit={submit}>
        <label htmlFor={inputId}>API token</label>
        <input
          id={inputId}
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          aria-describedby={hintId}
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        <p id={hintId} className="muted">
          An admin creates one with <code>ciclo tokens create --user NAME</code>. It is kept in this tab only.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {error !== null && <ErrorState error={error} />}
    </main>
  );
}
