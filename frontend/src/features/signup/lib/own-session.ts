import type { SignupRef } from '../api/get-signup-status';

/**
 * The access token a /me link opened, kept in sessionStorage (never localStorage): a reload of
 * the page keeps working after the link's token has left the address bar, and closing the tab
 * forgets it. The server limits it to 24 hours and this one record.
 */
export const OWN_SESSION_STORAGE = 'professionals.ownSession';

export function loadOwnSession(): SignupRef | null {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(OWN_SESSION_STORAGE) ?? 'null');
    if (parsed && typeof parsed === 'object') {
      const { id, token } = parsed as Record<string, unknown>;
      if (typeof id === 'string' && typeof token === 'string' && id && token) return { id, token };
    }
  } catch {
    // storage unavailable or garbled: as if nothing were kept
  }
  return null;
}

export function saveOwnSession(ref: SignupRef): void {
  try {
    sessionStorage.setItem(OWN_SESSION_STORAGE, JSON.stringify(ref));
  } catch {
    // private mode without storage: the session lasts as long as the page
  }
}

export function forgetOwnSession(): void {
  try {
    sessionStorage.removeItem(OWN_SESSION_STORAGE);
  } catch {
    // nothing kept
  }
}
