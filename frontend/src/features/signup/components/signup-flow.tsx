import { useEffect, useRef, useState } from 'react';

import { Button } from '@/components/ui/button';
import type { ResumeUpload, SignupResponse } from '@/types/api';

import type { SignupRef } from '../api/get-signup-status';

import { ResumeTracker } from './resume-tracker';
import { SignupForm, type SignedUp } from './signup-form';

type Done = {
  ref: SignupRef;
  professional: SignupResponse;
  start: { file: File; upload: ResumeUpload } | null;
};

/** The public page's whole journey: the form, then the resume upload and its processing. */
export function SignupFlow() {
  const [done, setDone] = useState<Done | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (done) headingRef.current?.focus();
  }, [done]);

  const onSignedUp = ({ professional, file }: SignedUp) => {
    const { access_token: token, resume_upload: upload } = professional;
    setDone({
      ref: { id: professional.id, token: token ?? '' },
      professional,
      start: file && upload ? { file, upload } : null,
    });
  };

  if (!done) return <SignupForm onSignedUp={onSignedUp} />;

  const { access_token: _token, resume_upload: _upload, ...record } = done.professional;
  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <h2 ref={headingRef} tabIndex={-1} className="text-xl font-semibold text-green-800 focus:outline-none">
          Thank you, {record.full_name}. You're signed up.
        </h2>
        <p className="text-slate-700" data-testid="link-sent">
          We sent a link to <strong>{record.email}</strong>. Open it to confirm your address; the
          same link lets you see, correct, download or delete your details at any time (it works
          for 7 days, and you can ask for a new one whenever you need it).
        </p>
      </div>
      {done.ref.token ? (
        <ResumeTracker signup={done.ref} initial={record} start={done.start} />
      ) : null}
      <Button variant="secondary" onClick={() => setDone(null)}>
        Sign up someone else
      </Button>
    </div>
  );
}
