import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

import { ApiError } from '@/lib/api-client';

/** The staff key lives in sessionStorage: asked once, gone when the browser session ends. */
export const STAFF_KEY_STORAGE = 'professionals.staffKey';

type StaffSession = {
  staffKey: string | null;
  /** Why the console asks for the key again (a 401/403 seen on a request), if it does. */
  notice: string | null;
  signIn: (key: string) => void;
  signOut: (notice?: string | null) => void;
  /** Call with any error: an auth failure signs out with a clear message; true when it was one. */
  handleAuthError: (error: unknown) => boolean;
};

const StaffSessionContext = createContext<StaffSession | null>(null);

function readStoredKey(): string | null {
  try {
    return sessionStorage.getItem(STAFF_KEY_STORAGE);
  } catch {
    return null;
  }
}

export function authErrorMessage(error: ApiError): string {
  return error.status === 401
    ? 'Your staff key was not accepted: it may be mistyped or revoked. Enter it again.'
    : 'This key does not have staff access (partner keys cannot use the console). Enter a staff key.';
}

export function StaffSessionProvider({ children }: { children: ReactNode }) {
  const [staffKey, setStaffKey] = useState<string | null>(readStoredKey);
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((key: string) => {
    try {
      sessionStorage.setItem(STAFF_KEY_STORAGE, key);
    } catch {
      // Private mode without storage: the key lives in memory for this tab.
    }
    setNotice(null);
    setStaffKey(key);
  }, []);

  const signOut = useCallback((message: string | null = null) => {
    try {
      sessionStorage.removeItem(STAFF_KEY_STORAGE);
    } catch {
      // nothing stored
    }
    setNotice(message);
    setStaffKey(null);
  }, []);

  const handleAuthError = useCallback(
    (error: unknown) => {
      if (error instanceof ApiError && error.isAuthError) {
        signOut(authErrorMessage(error));
        return true;
      }
      return false;
    },
    [signOut],
  );

  const value = useMemo(
    () => ({ staffKey, notice, signIn, signOut, handleAuthError }),
    [staffKey, notice, signIn, signOut, handleAuthError],
  );
  return <StaffSessionContext.Provider value={value}>{children}</StaffSessionContext.Provider>;
}

export function useStaffSession(): StaffSession {
  const session = useContext(StaffSessionContext);
  if (!session) throw new Error('useStaffSession needs a StaffSessionProvider');
  return session;
}

/** The key for a request inside the console, where the gate guarantees there is one. */
export function useStaffAuth(): { staffKey: string } {
  const { staffKey } = useStaffSession();
  if (!staffKey) throw new Error('useStaffAuth outside the staff key gate');
  return { staffKey };
}
