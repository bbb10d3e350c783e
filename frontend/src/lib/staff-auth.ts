/** What the staff console knows of the signed-in user, and the client that signs them in. */

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type StaffUser = { email: string; role: Role | null };

/** Where a sign-in stands: done, or waiting for a new password or a TOTP code. */
export type SignInStep = { step: 'done'; user: StaffUser } | { step: 'new_password' } | { step: 'totp' };

/** The pool the SPA signs in to, from `GET /auth/config`. */
export type AuthConfig = { region: string; user_pool_id: string; client_id: string; endpoint?: string };

/** Signs a staff member in and hands out a current access token; Cognito's, or a test's fake. */
export interface StaffAuthClient {
  /** The user of a session kept in this tab, refreshed if it must be; null when there is none. */
  restore(): Promise<StaffUser | null>;
  signIn(email: string, password: string): Promise<SignInStep>;
  completeNewPassword(password: string): Promise<SignInStep>;
  sendTotpCode(code: string): Promise<SignInStep>;
  /** A valid access token: refreshed when it expires within a minute, or when `forceRefresh`. */
  accessToken(options?: { forceRefresh?: boolean }): Promise<string>;
  /** The user as the current tokens say (after a refresh the role may have changed). */
  currentUser(): StaffUser | null;
  signOut(): void;
}

/** The error a client throws: `message` is written for the person signing in. */
export class StaffAuthError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'StaffAuthError';
    this.code = code;
  }
}

/** The claims of a JWT, unverified (the API checks the signature; the SPA only reads them). */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The strongest of the token's `cognito:groups` (viewer < editor < admin); null when none is a role. */
export function roleFromGroups(groups: unknown): Role | null {
  if (!Array.isArray(groups)) return null;
  let best = -1;
  for (const group of groups) best = Math.max(best, ROLES.indexOf(group as Role));
  return best < 0 ? null : ROLES[best];
}

export function canWrite(role: Role | null | undefined): boolean {
  return role === 'editor' || role === 'admin';
}

export const ROLE_LABELS: Record<Role, string> = { viewer: 'Viewer', editor: 'Editor', admin: 'Admin' };
