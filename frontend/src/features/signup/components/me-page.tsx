import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api-client';
import type { ProfessionalDetail } from '@/types/api';

import { ownProfessionalKey, type SignupRef } from '../api/get-signup-status';
import { useOpenSession } from '../api/self-service';
import { forgetOwnSession, loadOwnSession, saveOwnSession } from '../lib/own-session';

import { LostLinkForm } from './lost-link-form';
import { OwnRecord } from './own-record';

type State =
  | { kind: 'opening' }
  | { kind: 'open'; signup: SignupRef }
  | { kind: 'bad_link' }
  | { kind: 'failed'; message: string }
  | { kind: 'ended' }
  | { kind: 'erased' }
  | { kind: 'none' };

/**
 * /me: opens the record an emailed link points to. `linkToken` is the link's token, already taken
 * out of the address bar by the route; it is exchanged once for an access token, which is all
 * the page keeps (sessionStorage, for a reload).
 */
export function MePage({ linkToken }: { linkToken: string | null }) {
  const queryClient = useQueryClient();
  const open = useOpenSession();
  const [state, setState] = useState<State>(() => {
    if (linkToken) return { kind: 'opening' };
    const kept = loadOwnSession();
    return kept ? { kind: 'open', signup: kept } : { kind: 'none' };
  });
  const headingRef = useRef<HTMLHeadingElement>(null);
  const exchanged = useRef(false);

  const exchange = useCallback(
    async (token: string) => {
      setState({ kind: 'opening' });
      try {
        const { access_token, professional } = await open.mutateAsync(token);
        const signup = { id: professional.id, token: access_token };
        saveOwnSession(signup);
        queryClient.setQueryData<ProfessionalDetail>(ownProfessionalKey(professional.id), {
          resume_text: null,
          ...professional,
        });
        setState({ kind: 'open', signup });
      } catch (error) {
        forgetOwnSession();
        if (error instanceof ApiError && error.status === 400) setState({ kind: 'bad_link' });
        else
          setState({
            kind: 'failed',
            message: error instanceof ApiError ? error.message : 'Something went wrong.',
          });
      }
    },
    [open, queryClient],
  );

  useEffect(() => {
    // Once, even when React runs effects twice (StrictMode): a link's token is used one time here.
    if (linkToken && !exchanged.current) {
      exchanged.current = true;
      void exchange(linkToken);
    }
  }, [linkToken, exchange]);

  const onSessionEnded = useCallback(() => {
    forgetOwnSession();
    setState({ kind: 'ended' });
  }, []);
  const onErased = useCallback(() => {
    forgetOwnSession();
    setState({ kind: 'erased' });
  }, []);

  useEffect(() => {
    if (state.kind !== 'opening' && state.kind !== 'open') headingRef.current?.focus();
  }, [state.kind]);

  const heading = (text: string) => (
    <h2 ref={headingRef} tabIndex={-1} className="text-xl font-semibold text-slate-900 focus:outline-none">
      {text}
    </h2>
  );

  switch (state.kind) {
    case 'opening':
      return <Spinner label="Opening your details…" />;
    case 'open':
      return <OwnRecord signup={state.signup} onSessionEnded={onSessionEnded} onErased={onErased} />;
    case 'erased':
      return (
        <div className="space-y-3" data-testid="erased">
          {heading('Your data was erased.')}
          <p className="text-slate-700">
            We deleted your details, your resume and its text. The links we sent you no longer open
            anything. Thank you for having been with us.
          </p>
          <Link to={paths.home} className="inline-block text-blue-800 underline underline-offset-2">
            Go to the sign-up page
          </Link>
        </div>
      );
    case 'failed':
      return (
        <div className="space-y-4">
          <Alert tone="error" title="We could not open your details">
            {state.message}
          </Alert>
          {linkToken && <Button onClick={() => void exchange(linkToken)}>Try again</Button>}
        </div>
      );
    default:
      return (
        <div className="space-y-6">
          {state.kind === 'bad_link' && (
            <div className="space-y-2">
              {heading('This link does not open anything')}
              <p className="text-slate-700">
                It may have expired (links work for 7 days), your email address may have changed
                since it was sent, or your details may have been deleted. Ask for a new link below.
              </p>
            </div>
          )}
          {state.kind === 'ended' && (
            <div className="space-y-2">
              {heading('Your session has ended')}
              <p className="text-slate-700">
                Either it expired (a link opens your details for 24 hours), or your details were
                deleted. If we still hold your address, ask for a new link below.
              </p>
            </div>
          )}
          {state.kind === 'none' && (
            <p className="text-slate-700">
              To see, correct, download or delete your details, open the link we emailed you when
              you signed up.
            </p>
          )}
          <LostLinkForm />
        </div>
      );
  }
}
