import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';
import { downloadText } from '@/lib/csv';
import { consentSentence, formatDateTime, orDash } from '@/lib/format';
import { formatBytes, reasonSentence, STATUS_LABELS } from '@/lib/resume';
import type { ProfessionalDetail, Resume } from '@/types/api';

import { ownProfessionalQueryOptions, type SignupRef } from '../api/get-signup-status';
import { useEraseOwnProfessional } from '../api/self-service';

import { OwnRecordEditForm } from './own-record-edit-form';
import { ResumeTracker } from './resume-tracker';

type OwnRecordProps = {
  signup: SignupRef;
  /** A 401 (or 403/404): the access token expired, or the record was erased elsewhere. */
  onSessionEnded: () => void;
  onErased: () => void;
};

function resumeSummary(resume: Resume | null): string {
  if (!resume) return 'None';
  if (resume.status === 'rejected') return `${STATUS_LABELS.rejected}: ${reasonSentence(resume.reason)}`;
  if (resume.status !== 'ready') return STATUS_LABELS[resume.status];
  const pages = resume.pages ?? 0;
  const size = resume.size_bytes ? `, ${formatBytes(resume.size_bytes)}` : '';
  return `${STATUS_LABELS.ready} (${pages} ${pages === 1 ? 'page' : 'pages'}${size})`;
}

/** Everything we hold, as JSON, built in the browser from what the API returned to this person. */
export function downloadOwnData(record: ProfessionalDetail): void {
  const day = new Date().toISOString().slice(0, 10);
  downloadText(`my-details-${day}.json`, `${JSON.stringify(record, null, 2)}\n`, 'application/json');
}

/** The person's own record on /me: details, resume, edit, download, erase. */
export function OwnRecord({ signup, onSessionEnded, onErased }: OwnRecordProps) {
  const query = useQuery(ownProfessionalQueryOptions(signup));
  const erase = useEraseOwnProfessional();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const ended = (error: unknown) =>
    error instanceof ApiError && [401, 403, 404].includes(error.status);

  useEffect(() => {
    if (ended(query.error)) onSessionEnded();
  }, [query.error, onSessionEnded]);

  if (query.isPending) return <Spinner label="Loading your details…" />;
  if (query.isError) {
    if (ended(query.error)) return null;
    return (
      <Alert tone="error" title="We could not load your details">
        {query.error instanceof ApiError ? query.error.message : 'Something went wrong.'}{' '}
        <Button size="sm" variant="secondary" onClick={() => void query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  }

  const p = query.data;
  const confirmEraseFailed = erase.error && !ended(erase.error);
  const onErase = async () => {
    try {
      await erase.mutateAsync(signup);
      setConfirming(false);
      onErased();
    } catch (error) {
      if (ended(error)) onSessionEnded();
    }
  };

  const rows: [string, React.ReactNode][] = [
    ['Full name', p.full_name],
    [
      'Email',
      <>
        {orDash(p.email)}{' '}
        <span className={p.email_verified ? 'font-medium text-green-800' : 'text-amber-800'}>
          {p.email_verified ? '(confirmed)' : '(not confirmed yet: open the link we mailed to it)'}
        </span>
      </>,
    ],
    ['Phone', orDash(p.phone)],
    ['Company', orDash(p.company_name)],
    ['Job title', orDash(p.job_title)],
    ['Resume', resumeSummary(p.resume)],
    ['Signed up', formatDateTime(p.created_at)],
    ['Last changed', formatDateTime(p.updated_at)],
    ['Privacy notice', consentSentence(p.consent)],
  ];

  return (
    <div className="space-y-6">
      <section aria-labelledby="own-details-heading" className="space-y-4">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <h2 id="own-details-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
            What we hold about you
          </h2>
          {!editing && (
            <Button
              variant="secondary"
              size="sm"
              onClick={() => {
                setSaved(null);
                setEditing(true);
              }}
            >
              Edit your details
            </Button>
          )}
        </div>
        <div aria-live="polite">{saved && <Alert tone="success" live="none">{saved}</Alert>}</div>
        {editing ? (
          <OwnRecordEditForm
            signup={signup}
            professional={p}
            onSessionEnded={onSessionEnded}
            onDone={(message) => {
              setEditing(false);
              setSaved(message);
              headingRef.current?.focus();
            }}
          />
        ) : (
          <dl className="divide-y divide-slate-100 text-sm" data-testid="own-details">
            {rows.map(([label, value]) => (
              <div key={label} className="grid gap-1 py-2 sm:grid-cols-3 sm:gap-2">
                <dt className="text-slate-600">{label}</dt>
                <dd className="break-words sm:col-span-2">{value}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>

      <ResumeTracker
        signup={signup}
        initial={p}
        start={null}
        idleText={p.resume ? 'You can replace your resume with another PDF.' : 'You can add a PDF resume.'}
        idleLabel={p.resume ? 'Replace your resume' : 'Resume'}
        onSessionEnded={onSessionEnded}
      />

      <section aria-labelledby="own-data-heading" className="space-y-3">
        <h2 id="own-data-heading" className="text-lg font-semibold text-slate-900">
          Your data
        </h2>
        <p className="text-sm text-slate-700">
          Download a copy of everything above, your resume's text included, as a JSON file. Or
          delete it all: your details, your resume and its text are erased for good.
        </p>
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" onClick={() => downloadOwnData(p)}>
            Download your data (JSON)
          </Button>
          <Button variant="danger" onClick={() => setConfirming(true)}>
            Delete all your data
          </Button>
        </div>
      </section>

      <ConfirmDialog
        open={confirming}
        title="Delete all your data?"
        confirmLabel="Delete everything"
        busy={erase.isPending}
        onCancel={() => {
          erase.reset();
          setConfirming(false);
        }}
        onConfirm={onErase}
        error={
          confirmEraseFailed ? (
            <Alert tone="error">{erase.error instanceof ApiError ? erase.error.message : 'Something went wrong. Try again.'}</Alert>
          ) : null
        }
      >
        This erases your details, your resume and its text, and cannot be undone. The links we sent
        you will no longer open anything. You may sign up again later with the same address.
      </ConfirmDialog>
    </div>
  );
}
