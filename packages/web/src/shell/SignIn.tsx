import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError } from '../api/api-client.ts';
import { useSession } from '../api/session.tsx';

/** Sign in with an API token: it is checked against the API before it is kept for the browser session. */
export function SignIn() {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Enter an API token.');
      return;
    }
    setChecking(true);
    setError(undefined);
    try {
      await new ApiClient(value).json('GET', '/api/v1/whoami');
      signIn(value);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'The server does not accept this token.' : (e as Error).message);
      setChecking(false);
    }
  };

  return (
    <main className="sign-in">
      <h1>Slipway</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="sign-in-help">
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} />
        <p id="sign-in-help" className="hint">
          The token in <code>~/.config/slipway/config.yaml</code> (written on the server's first start), or one made with <code>slipway tokens create</code>. It is kept only for
          this browser session.
        </p>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={checking}>
          {checking ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
