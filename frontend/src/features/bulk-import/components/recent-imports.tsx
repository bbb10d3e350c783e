import { useEffect } from 'react';

import { Alert } from '@/components/ui/alert';
import { cn } from '@/components/ui/cn';
import { Spinner } from '@/components/ui/spinner';
import { formatDateTime } from '@/lib/format';
import { useStaffAuth, useStaffSession } from '@/lib/staff-session';

import { isFinalStatus, isLive, useImportJobs, type ImportJob } from '../api/import-jobs';

import { describeJob, ErrorsDownload, jobPercent, outcomeVerbs } from './job-status';

const STATUS_STYLES: Record<ImportJob['status'], string> = {
  awaiting_upload: 'text-slate-700',
  running: 'text-blue-800',
  done: 'text-green-800',
  failed: 'text-red-800',
};

/**
 * The staff's import jobs, newest first (GET /imports): a job started in a tab since closed
 * still shows here, its progress read again about once a second while any job may change.
 */
export function RecentImports({ pollMs }: { pollMs: number }) {
  const { auth } = useStaffAuth();
  const { handleAuthError } = useStaffSession();
  const { data, error, isPending } = useImportJobs(auth, pollMs);

  useEffect(() => {
    if (error) handleAuthError(error);
  }, [error, handleAuthError]);

  const jobs = data?.items ?? [];
  return (
    <section aria-labelledby="recent-imports" className="space-y-3">
      <div className="flex items-center gap-3">
        <h2 id="recent-imports" className="text-lg font-semibold">
          Recent imports
        </h2>
        {jobs.some((job) => isLive(job)) && <Spinner className="size-4 text-blue-700" />}
      </div>
      {error && !data && <Alert tone="error" title="The recent imports could not be read">{error.message}</Alert>}
      {isPending && !error && <p className="text-sm text-slate-600">Loading recent imports…</p>}
      {data && jobs.length === 0 && (
        <p className="text-sm text-slate-600">No import jobs yet. Files of more than 1,000 rows, and workbooks, are listed here.</p>
      )}
      {jobs.length > 0 && (
        <div
          role="region"
          aria-label="Recent imports, newest first"
          tabIndex={0}
          className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
        >
          <table className="w-full text-sm" data-testid="recent-imports">
            <thead className="bg-slate-100 text-left text-xs font-semibold text-slate-700 uppercase">
              <tr>
                <th scope="col" className="px-3 py-2">Started</th>
                <th scope="col" className="px-3 py-2">Kind</th>
                <th scope="col" className="px-3 py-2">Status</th>
                <th scope="col" className="px-3 py-2">Outcome</th>
                <th scope="col" className="px-3 py-2">Errors</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <JobRow key={job.id} job={job} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function JobRow({ job }: { job: ImportJob }) {
  const verbs = outcomeVerbs(job.dry_run);
  const when = formatDateTime(job.created_at);
  const counted = job.status === 'running' || isFinalStatus(job.status);
  return (
    <tr className="border-t border-slate-200 align-top" data-job-id={job.id}>
      <th scope="row" className="px-3 py-2 text-left font-normal whitespace-nowrap">
        <time dateTime={job.created_at}>{when}</time>
      </th>
      <td className="px-3 py-2">
        {job.dry_run ? 'Dry run' : 'Import'}, {job.format.toUpperCase()}
      </td>
      <td className="min-w-48 px-3 py-2">
        <p className={cn('font-medium', STATUS_STYLES[job.status])}>{describeJob(job)}</p>
        {job.status === 'running' && (
          <progress
            className="mt-1 h-2 w-full accent-blue-700"
            max={100}
            value={jobPercent(job)}
            aria-label={`Progress of the ${job.dry_run ? 'dry run' : 'import'} started ${when}`}
          />
        )}
        {job.status === 'failed' && job.error && <p className="mt-1 text-red-900">{job.error.message}</p>}
      </td>
      <td className="px-3 py-2">
        {counted ? (
          <ul>
            {(['created', 'updated', 'unchanged', 'failed'] as const).map((outcome) => (
              <li key={outcome}>
                {job.summary[outcome].toLocaleString()} {verbs[outcome]}
              </li>
            ))}
          </ul>
        ) : (
          '—'
        )}
      </td>
      <td className="px-3 py-2">
        {isFinalStatus(job.status) && job.summary.failed > 0 ? <ErrorsDownload job={job} size="sm" /> : '—'}
      </td>
    </tr>
  );
}
