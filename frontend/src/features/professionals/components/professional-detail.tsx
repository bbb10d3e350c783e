import { useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api-client';
import { consentSentence, formatDateTime, orDash } from '@/lib/format';
import { useStaffRole } from '@/lib/staff-session';

import { useProfessional } from '../api/get-professional';

import { DeleteProfessional } from './delete-professional';
import { EditProfessionalForm } from './edit-professional-form';
import { HistoryPanel } from './history-panel';
import { ResumePanel } from './resume-panel';
import { SimilarPanel } from './similar-panel';
import { SourceBadge } from './source-badge';
import { VerifiedBadge } from './verified-badge';

export function ProfessionalDetail({ id }: { id: string }) {
  const query = useProfessional(id);
  const { role, canWrite } = useStaffRole();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (query.data) headingRef.current?.focus();
  }, [query.data?.id]);

  // Opened from search results: the way back is to that search (SearchResults passes it).
  const backToSearch = (useLocation().state as { search?: string } | null)?.search;
  const back = (
    <Link to={backToSearch ?? paths.staff.root} className="text-sm text-blue-800 underline-offset-2 hover:underline">
      {backToSearch ? '← Back to the search' : '← All professionals'}
    </Link>
  );

  if (query.isPending) return <Spinner label="Loading…" />;
  if (query.isError) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null;
    const notFound = error instanceof ApiError && error.status === 404;
    return (
      <div className="space-y-4">
        {back}
        <Alert tone="error" title={notFound ? 'Not found' : 'Could not load this professional'}>
          {notFound ? 'This professional does not exist, or was deleted.' : error.message}
        </Alert>
        {/* An admin may read a deleted record's history (its values are gone). */}
        {notFound && role === 'admin' && <HistoryPanel id={id} removed />}
      </div>
    );
  }

  const p = query.data;
  const rows: [string, React.ReactNode][] = [
    [
      'Email',
      <span key="e">
        {orDash(p.email)}
        {p.email && (p.email_verified ? <VerifiedBadge /> : <span className="ml-1 text-slate-500">(not verified)</span>)}
      </span>,
    ],
    ['Phone', orDash(p.phone)],
    ['Company', orDash(p.company_name)],
    ['Job title', orDash(p.job_title)],
    ['Source', <SourceBadge key="s" source={p.source} />],
    ['Signed up', formatDateTime(p.created_at)],
    ['Privacy notice', consentSentence(p.consent)],
    ['Last changed', formatDateTime(p.updated_at)],
    ['ID', <code key="id" className="text-xs break-all">{p.id}</code>],
  ];

  return (
    <div className="space-y-5">
      {back}
      <div className="flex flex-wrap items-start justify-between gap-3">
        <h1 ref={headingRef} tabIndex={-1} className="text-2xl font-bold tracking-tight focus:outline-none">
          {p.full_name}
        </h1>
        {canWrite && !editing && (
          <div className="flex gap-2">
            <Button variant="secondary" onClick={() => { setSaved(null); setEditing(true); }}>
              Edit
            </Button>
            <DeleteProfessional professional={p} />
          </div>
        )}
      </div>
      <div aria-live="polite">{saved && <Alert tone="success" live="none">{saved}</Alert>}</div>
      <div className="grid gap-5 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <section aria-label="Details" className="rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200">
          {editing ? (
            <EditProfessionalForm
              professional={p}
              onDone={(message) => {
                setEditing(false);
                setSaved(message);
              }}
            />
          ) : (
            <dl className="divide-y divide-slate-100 text-sm">
              {rows.map(([label, value]) => (
                <div key={label} className="grid grid-cols-3 gap-2 py-2">
                  <dt className="text-slate-500">{label}</dt>
                  <dd className="col-span-2 break-words">{value}</dd>
                </div>
              ))}
            </dl>
          )}
        </section>
        <ResumePanel professional={p} />
      </div>
      <div className="grid items-start gap-5 lg:grid-cols-2">
        <HistoryPanel id={p.id} changedAt={p.updated_at} />
        <SimilarPanel id={p.id} resumeAt={p.resume?.processed_at} />
      </div>
    </div>
  );
}
