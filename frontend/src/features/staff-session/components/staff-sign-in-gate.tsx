import { useQueryClient } from '@tanstack/react-query';
import { useEffect, type ReactNode } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { useStaffSession } from '@/lib/staff-session';

import { SignInForm } from './sign-in-form';

/**
 * The console for a signed-in staff member with a role. Asks to sign in when there is no session
 * in this tab; any request that comes back 401 (the session is over, even after a refresh) signs
 * out with a message saying why. A user in no group sees why there is nothing to show.
 */
export function StaffSignInGate({ children }: { children: ReactNode }) {
  const { status, user, loadError, retryLoad, signOut, handleAuthError } = useStaffSession();
  const queryClient = useQueryClient();
  const signedIn = status === 'signed_in';

  useEffect(() => {
    if (!signedIn) {
      queryClient.removeQueries({ queryKey: ['staff'] });
      return;
    }
    const onEvent = (event: { type: string; action?: { type: string; error?: unknown } }) => {
      if (event.type === 'updated' && event.action?.type === 'error') handleAuthError(event.action.error);
    };
    const unsubscribeQueries = queryClient.getQueryCache().subscribe(onEvent);
    const unsubscribeMutations = queryClient.getMutationCache().subscribe(onEvent);
    return () => {
      unsubscribeQueries();
      unsubscribeMutations();
    };
  }, [signedIn, queryClient, handleAuthError]);

  if (status === 'loading') return <Spinner label="Loading…" />;
  if (status === 'unavailable') {
    return (
      <div className="mx-auto max-w-md space-y-4">
        <Alert tone="error" title="The sign-in could not start">
          {loadError}
        </Alert>
        <Button variant="secondary" onClick={retryLoad}>
          Try again
        </Button>
      </div>
    );
  }
  if (!signedIn || !user) return <SignInForm />;
  if (!user.role) {
    return (
      <div className="mx-auto max-w-md rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="text-xl font-bold text-slate-900">No role yet</h1>
        <p className="mt-2 text-sm text-slate-700">
          You are signed in as <strong>{user.email}</strong>, but your account has no role yet; ask an admin
          to give you one (viewer, editor or admin), then sign in again.
        </p>
        <Button className="mt-4" variant="secondary" onClick={() => signOut('You signed out.')}>
          Sign out
        </Button>
      </div>
    );
  }
  return <>{children}</>;
}
