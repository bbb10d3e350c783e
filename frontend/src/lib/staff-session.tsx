import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

import { apiRequest, ApiError, type StaffAuth } from '@/lib/api-client';
import { canWrite, type AuthConfig, type Role, type StaffAuthClient, type StaffUser } from '@/lib/staff-auth';

type Status = 'loading' | 'unavailable' | 'signed_out' | 'signed_in';

type StaffSession = {
  status: Status;
  /** The signed-in staff member (email and role), when there is one. */
  user: StaffUser | null;
  /** The sign-in client, once the pool's configuration is read. */
  client: StaffAuthClient | null;
  /** Credentials for the console's requests while signed in. */
  auth: StaffAuth | null;
  /** Why the console asks to sign in again (a 401 seen on a request, a sign-out), if it does. */
  notice: string | null;
  /** Why the sign-in cannot start (GET /auth/config failed), when status is `unavailable`. */
  loadError: string | null;
  retryLoad: () => void;
  signedIn: (user: StaffUser) => void;
  signOut: (notice?: string | null) => void;
  /** Call with any error: a 401 (the session is over) signs out with a clear message; true when it was one. */
  handleAuthError: (error: unknown) => boolean;
};

const StaffSessionContext = createContext<StaffSession | null>(null);

export const SESSION_ENDED = 'Your session has ended. Sign in again.';

/** The pool from `GET /auth/config`, then the Cognito client, loaded with the staff pages. */
export async function loadCognitoClient(): Promise<StaffAuthClient> {
  const config = await apiRequest<AuthConfig>('/auth/config');
  const { createCognitoClient } = await import('./cognito');
  return createCognitoClient(config);
}

type ProviderProps = {
  children: ReactNode;
  loadClient?: () => Promise<StaffAuthClient>;
  /** A client and its user known up front (tests): no loading step. */
  ready?: { client: StaffAuthClient; user: StaffUser | null };
};

/** Keeps the staff member's sign-in for the tab; inside another provider it uses that one's. */
export function StaffSessionProvider({ children, loadClient = loadCognitoClient, ready }: ProviderProps) {
  const outer = useContext(StaffSessionContext);
  if (outer) return <>{children}</>;
  return (
    <SessionOwner loadClient={loadClient} ready={ready}>
      {children}
    </SessionOwner>
  );
}

function SessionOwner({ children, loadClient, ready }: ProviderProps & { loadClient: () => Promise<StaffAuthClient> }) {
  const [client, setClient] = useState<StaffAuthClient | null>(ready?.client ?? null);
  const [status, setStatus] = useState<Status>(ready ? (ready.user ? 'signed_in' : 'signed_out') : 'loading');
  const [user, setUser] = useState<StaffUser | null>(ready?.user ?? null);
  const [notice, setNotice] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const load = useRef(loadClient);

  useEffect(() => {
    if (ready && attempt === 0) return;
    let live = true;
    setStatus('loading');
    (async () => {
      try {
        const loaded = await load.current();
        const restored = await loaded.restore();
        if (!live) return;
        setClient(loaded);
        setUser(restored);
        setStatus(restored ? 'signed_in' : 'signed_out');
      } catch (error) {
        if (!live) return;
        setLoadError(error instanceof Error ? error.message : 'The sign-in could not start.');
        setStatus('unavailable');
      }
    })();
    return () => {
      live = false;
    };
    // `ready` counts only at the start.
  }, [attempt]);

  const retryLoad = useCallback(() => setAttempt((n) => n + 1), []);

  const signedIn = useCallback((next: StaffUser) => {
    setNotice(null);
    setUser(next);
    setStatus('signed_in');
  }, []);

  const signOut = useCallback(
    (message: string | null = null) => {
      client?.signOut();
      setNotice(message);
      setUser(null);
      setStatus('signed_out');
    },
    [client],
  );

  const handleAuthError = useCallback(
    (error: unknown) => {
      if (error instanceof ApiError && error.isAuthError) {
        signOut(SESSION_ENDED);
        return true;
      }
      return false;
    },
    [signOut],
  );

  // A refreshed token may carry another role (an admin changed the group): the header follows.
  const auth = useMemo<StaffAuth | null>(() => {
    if (!client || status !== 'signed_in') return null;
    return {
      staff: {
        accessToken: async (options) => {
          const token = await client.accessToken(options);
          const now = client.currentUser();
          if (now) setUser((was) => (was && was.role === now.role && was.email === now.email ? was : now));
          return token;
        },
      },
    };
  }, [client, status]);

  const value = useMemo(
    () => ({ status, user, client, auth, notice, loadError, retryLoad, signedIn, signOut, handleAuthError }),
    [status, user, client, auth, notice, loadError, retryLoad, signedIn, signOut, handleAuthError],
  );
  return <StaffSessionContext.Provider value={value}>{children}</StaffSessionContext.Provider>;
}

export function useStaffSession(): StaffSession {
  const session = useContext(StaffSessionContext);
  if (!session) throw new Error('useStaffSession needs a StaffSessionProvider');
  return session;
}

/** Credentials for a request inside the console, where the sign-in gate guarantees a session. */
export function useStaffAuth(): { auth: StaffAuth } {
  const { auth } = useStaffSession();
  if (!auth) throw new Error('useStaffAuth outside the staff sign-in gate');
  return { auth };
}

/** The signed-in user's role, and whether it may change records (editor, admin). */
export function useStaffRole(): { role: Role | null; canWrite: boolean } {
  const { user } = useStaffSession();
  const role = user?.role ?? null;
  return { role, canWrite: canWrite(role) };
}
