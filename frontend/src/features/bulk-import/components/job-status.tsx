import { useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { useStaffAuth, useStaffSession } from '@/lib/staff-session';
import type { BulkRowStatus } from '@/types/api';

import { downloadImportErrors, isLive, type ImportJob } from '../api/import-jobs';

const OUTCOMES = ['created', 'updated', 'unchanged', 'failed'] as const;

const OUTCOME_STYLES: Record<BulkRowStatus, string> = {
  created: 'text-green-800',
  updated: 'text-blue-800',
  unchanged: 'text-slate-600',
  failed: 'text-red-800',
};

export function outcomeVerbs(dryRun: boolean): Record<BulkRowStatus, string> {
  return dryRun
    ? { created: 'would be created', updated: 'would be updated', unchanged: 'unchanged', failed: 'would fail' }
    : { created: 'created', updated: 'updated', unchanged: 'unchanged', failed: 'failed' };
}

/** The job's state in a few words, as the list and the live region say it. */
export function describeJob(job: ImportJob): string {
  const what = job.dry_run ? 'Dry run' : 'Import';
  switch (job.status) {
    case 'awaiting_upload':
      return isLive(job) ? 'Waiting for the file' : 'The file never arrived (the upload form expired)';
    case 'running':
      return job.rows_total === null
        ? `${what}: reading the file…`
        : `${what}: ${job.rows_done.toLocaleString()} of ${job.rows_total.toLocaleString()} rows`;
    case 'done':
      return `${what} finished`;
    case 'failed':
      return `${what} failed`;
  }
}

/** Rows done over rows total, in percent; 0 while the total is not known yet. */
export function jobPercent(job: ImportJob): number {
  if (job.status === 'done') return 100;
  if (!job.rows_total) return 0;
  return Math.min(100, Math.round((job.rows_done / job.rows_total) * 100));
}

/** The four counts of a finished (or running) job. */
export function JobSummary({ job, testId = 'job-summary' }: { job: ImportJob; testId?: string }) {
  const verbs = outcomeVerbs(job.dry_run);
  return (
    <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid={testId}>
      {OUTCOMES.map((outcome) => (
        <div key={outcome} className="rounded-lg bg-white p-3 shadow-sm ring-1 ring-slate-200">
          <dt className="text-sm text-slate-600 capitalize">{verbs[outcome]}</dt>
          <dd className={cn('text-2xl font-bold', OUTCOME_STYLES[outcome])}>{job.summary[outcome].toLocaleString()}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The errors file of an ended job, fetched with the staff member's token and saved (see downloadImportErrors). */
export function ErrorsDownload({ job, size = 'md' }: { job: ImportJob; size?: 'sm' | 'md' }) {
  const { auth } = useStaffAuth();
  const { handleAuthError } = useStaffSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const failed = job.summary.failed;
  const label = job.dry_run ? `Download the ${failed.toLocaleString()} rows that would fail (CSV)` : `Download the ${failed.toLocaleString()} failed rows (CSV)`;

  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadImportErrors(job.id, auth);
    } catch (failure) {
      if (handleAuthError(failure)) return;
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="space-y-2">
      <Button variant="secondary" size={size} busy={busy} onClick={() => void download()}>
        {label}
      </Button>
      {error && <Alert tone="error">The errors file could not be downloaded: {error}</Alert>}
    </div>
  );
}
