import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiClient } from './api-client.ts';

/** The token lives in sessionStorage: it lasts as long as the browser tab's session, never on disk past it. */
const STORAGE_KEY = 'slipway.token';

interface Session {
  client: ApiClient | undefined;
  signIn(token: string): void;
  signOut(): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | undefined>(() => sessionStorage.getItem(STORAGE_KEY) ?? undefined);
  // Whatever one token fetched is not shown to the next.
  const queries = useQueryClient();
  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    queries.clear();
    setToken(undefined);
  }, [queries]);
  const signIn = useCallback(
    (value: string) => {
      sessionStorage.setItem(STORAGE_KEY, value);
      queries.clear();
      setToken(value);
    },
    [queries],
  );
  const client = useMemo(() => (token ? new ApiClient(token, signOut) : undefined), [token, signOut]);
  const session = useMemo(() => ({ client, signIn, signOut }), [client, signIn, signOut]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a SessionProvider');
  return session;
}

/** The signed-in API client; pages render only inside the signed-in shell, so it is always there. */
export function useApi(): ApiClient {
  const { client } = useSession();
  if (!client) throw new Error('useApi is only for pages shown when signed in');
  return client;
}
