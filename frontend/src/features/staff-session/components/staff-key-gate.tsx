import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import { ApiError } from '@/lib/api-client';
import { authErrorMessage, useStaffSession } from '@/lib/staff-session';

import { useVerifyStaffKey } from '../api/verify-staff-key';

/**
 * Asks for the staff key once per browser session. While signed in, any request of the console
 * that comes back 401/403 signs out with a message saying why, and the key is asked again.
 */
export function StaffKeyGate({ children }: { children: ReactNode }) {
  const { staffKey, handleAuthError } = useStaffSession();
  const queryClient = useQueryClient();

  useEffect(() => {
    if (!staffKey) {
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
  }, [staffKey, queryClient, handleAuthError]);

  if (!staffKey) return <StaffKeyForm />;
  return <>{children}</>;
}

function StaffKeyForm() {
  const { notice, signIn } = useStaffSession();
  const verify = useVerifyStaffKey();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    inputRef.current?.focus();
  }, []);

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError('Enter your staff key.');
      inputRef.current?.focus();
      return;
    }
    setError(undefined);
    try {
      await verify.mutateAsync(trimmed);
      signIn(trimmed);
    } catch (failure) {
      setError(
        failure instanceof ApiError
          ? failure.isAuthError
            ? authErrorMessage(failure)
            : failure.message
          : 'Something went wrong. Try again.',
      );
      inputRef.current?.focus();
    }
  };

  return (
    <div className="mx-auto max-w-md">
      <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
        <h1 className="text-xl font-bold text-slate-900">Sign in to the staff console</h1>
        <p className="mt-1 text-sm text-slate-700">
          Enter your staff API key. It is kept in this browser tab until you close it or sign out.
        </p>
        {notice && (
          <Alert tone="warning" live="alert" className="mt-4">
            {notice}
          </Alert>
        )}
        <form noValidate onSubmit={onSubmit} className="mt-5 space-y-4">
          <TextField
            ref={inputRef}
            label="Staff key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(event) => setKey(event.target.value)}
            error={error}
          />
          <Button type="submit" busy={verify.isPending} className="w-full">
            {verify.isPending ? 'Checking…' : 'Continue'}
          </Button>
        </form>
      </div>
    </div>
  );
}
