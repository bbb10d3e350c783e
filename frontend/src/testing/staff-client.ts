import { vi } from 'vitest';

import { StaffAuthError, type Role, type SignInStep, type StaffAuthClient, type StaffUser } from '@/lib/staff-auth';

/** A staff member already signed in: `token` is the access token sent (default `k`). */
export type FakeStaff = { email?: string; role?: Role | null; token?: string; signedIn?: boolean };

/**
 * A sign-in client with no Cognito behind it: signed in from the start (unless `signedIn` is
 * false), its token constant. Its methods are spies.
 */
export function fakeStaffClient({ email = 'staff@example.com', role = 'editor', token = 'k', signedIn = true }: FakeStaff = {}) {
  let user: StaffUser | null = signedIn ? { email, role } : null;
  const done = (): SignInStep => {
    user = { email, role };
    return { step: 'done', user };
  };
  const client = {
    restore: vi.fn(async () => user),
    signIn: vi.fn(async (_email: string, password: string): Promise<SignInStep> => {
      if (password !== 'right') throw new StaffAuthError('NotAuthorizedException', 'Incorrect email or password.');
      return done();
    }),
    completeNewPassword: vi.fn(async () => done()),
    sendTotpCode: vi.fn(async () => done()),
    accessToken: vi.fn(async () => {
      if (!user) throw new StaffAuthError('NotSignedIn', 'You are not signed in.');
      return token;
    }),
    currentUser: vi.fn(() => user),
    signOut: vi.fn(() => {
      user = null;
    }),
  } satisfies StaffAuthClient;
  return client;
}
