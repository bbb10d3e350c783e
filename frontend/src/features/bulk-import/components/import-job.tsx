import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ProgressBar } from '@/components/ui/progress-bar';
import { ApiError } from '@/lib/api-client';
import { useStaffAuth, useStaffSession } from '@/lib/staff-session';

import { importKeys, isFinalStatus, startImportJob, useImportJob, type ImportJob } from '../api/import-jobs';
import { headerProblems, JOB_THRESHOLD, type JobFile } from '../lib/job-path';

import { describeJob, ErrorsDownload, jobPercent, JobSummary, outcomeVerbs } from './job-status';
import { ProblemsAlert } from './problems-alert';

const PREVIEW_ROWS = 5;

type Phase =
  | { step: 'idle' }
  | { step: 'uploading'; dryRun: boolean; loaded: number; total: number }
  | { step: 'following'; dryRun: boolean; jobId: string; ended: boolean }
  | { step: 'stopped'; dryRun: boolean; message: string };

const formatBytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;

/**
 * Steps 2 and 3 for a file sent as an import job (more than 1,000 rows, or any XLSX): the file
 * goes to storage as chosen, the server applies it in the background, and this follows its
 * progress. The job keeps running if the page is left; "Recent imports" shows it.
 */
export function ImportJobPanel({
  jobFile,
  pollMs,
  onReset,
}: {
  jobFile: JobFile;
  pollMs: number;
  onReset: () => void;
}) {
  const { auth } = useStaffAuth();
  const { handleAuthError } = useStaffSession();
  const queryClient = useQueryClient();
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const abortRef = useRef<AbortController | null>(null);
  const stepRef = useRef<HTMLHeadingElement>(null);
  const { file, format, table } = jobFile;
  const problems = table ? headerProblems(table.columns) : [];
  const rowCount = table?.rows.length ?? null;

  useEffect(() => () => abortRef.current?.abort(), []);
  useEffect(() => {
    stepRef.current?.focus();
  }, [jobFile]);

  const start = async (dryRun: boolean) => {
    const controller = new AbortController();
    abortRef.current = controller;
    setPhase({ step: 'uploading', dryRun, loaded: 0, total: file.size });
    try {
      const job = await startImportJob(file, {
        format,
        dryRun,
        auth,
        signal: controller.signal,
        // The job is listed (awaiting its file) as soon as it exists.
        onCreated: () => void queryClient.invalidateQueries({ queryKey: importKeys.list() }),
        onUploadProgress: ({ loaded, total }) => setPhase({ step: 'uploading', dryRun, loaded, total }),
      });
      setPhase({ step: 'following', dryRun, jobId: job.id, ended: false });
      void queryClient.invalidateQueries({ queryKey: importKeys.list() });
    } catch (error) {
      if (handleAuthError(error)) return;
      const message =
        error instanceof DOMException && error.name === 'AbortError'
          ? 'Cancelled: the file was not sent, so nothing was imported.'
          : error instanceof Error
            ? error.message
            : String(error);
      setPhase({ step: 'stopped', dryRun, message });
    } finally {
      abortRef.current = null;
    }
  };

  const markEnded = useCallback(
    () => setPhase((now) => (now.step === 'following' && !now.ended ? { ...now, ended: true } : now)),
    [],
  );
  const busy = phase.step === 'uploading';
  // One job at a time from this page: another can start once this one has ended.
  const running = phase.step === 'following' && !phase.ended;
  const what = format === 'xlsx' ? 'the workbook' : `${rowCount?.toLocaleString()} rows`;

  return (
    <section aria-labelledby="step-file" className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="step-file" ref={stepRef} tabIndex={-1} className="text-lg font-semibold focus:outline-none">
          2. Check the file
        </h2>
        <Button variant="ghost" size="sm" onClick={onReset} disabled={busy}>
          Choose other data
        </Button>
      </div>
      <div className="space-y-2 text-sm text-slate-700" data-testid="job-file">
        <p>
          <span className="font-medium text-slate-900">{file.name}</span> ({formatBytes(file.size)})
          {format === 'xlsx'
            ? ': an Excel workbook, read by the server: its first sheet, the first row naming the columns.'
            : `: ${rowCount?.toLocaleString()} rows.`}
        </p>
        <p className="max-w-prose">
          {format === 'xlsx' ? 'Workbooks' : `Files of more than ${JOB_THRESHOLD.toLocaleString()} rows`} are imported
          in the background, as they are: the file goes to storage and the server applies it in order, 1,000 rows at a
          time, exactly as a smaller import. Its header must name the fields (full_name, email, phone, company_name,
          job_title, source). You can leave this page; the import keeps going and is listed under Recent imports.
        </p>
      </div>
      {table && <FilePreview columns={table.columns} rows={table.rows} name={file.name} />}
      <ProblemsAlert title="Fix the file before sending:" problems={problems} />
      <div className="space-y-3">
        <h2 className="text-lg font-semibold">3. Send</h2>
        <div className="flex flex-wrap gap-2">
          <Button
            variant="secondary"
            onClick={() => void start(true)}
            disabled={problems.length > 0 || busy || running}
            busy={busy && phase.dryRun}
          >
            Dry run
          </Button>
          <Button
            onClick={() => void start(false)}
            disabled={problems.length > 0 || busy || running}
            busy={busy && !phase.dryRun}
          >
            Import {what}
          </Button>
          {busy && (
            <Button variant="ghost" onClick={() => abortRef.current?.abort()}>
              Cancel
            </Button>
          )}
        </div>
      </div>
      {phase.step === 'uploading' && (
        <>
          <p aria-live="polite" className="text-sm text-slate-700">
            Sending {file.name}…
          </p>
          <ProgressBar
            label="Upload progress"
            value={phase.loaded}
            max={phase.total}
            valueText={`${formatBytes(phase.loaded)} of ${formatBytes(phase.total)}`}
          />
        </>
      )}
      {phase.step === 'stopped' && (
        <Alert tone="error" title={phase.dryRun ? 'The dry run could not start' : 'The import could not start'}>
          {phase.message}
        </Alert>
      )}
      {phase.step === 'following' && (
        <JobFollower
          key={phase.jobId}
          jobId={phase.jobId}
          pollMs={pollMs}
          onEnded={markEnded}
        />
      )}
    </section>
  );
}

/** The first rows of a large CSV as read, columns as named (the server reads them so). */
function FilePreview({ columns, rows, name }: { columns: string[]; rows: unknown[][]; name: string }) {
  return (
    <div
      role="region"
      aria-label="File preview"
      tabIndex={0}
      className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
    >
      <table className="w-full text-sm">
        <caption className="px-3 py-2 text-left text-sm text-slate-700">
          First {Math.min(PREVIEW_ROWS, rows.length)} of {rows.length.toLocaleString()} rows from {name}.
        </caption>
        <thead className="bg-slate-100 text-left text-xs font-semibold text-slate-700">
          <tr>
            <th scope="col" className="px-3 py-2 uppercase">
              Row
            </th>
            {columns.map((column, i) => (
              <th key={i} scope="col" className="px-3 py-2">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, PREVIEW_ROWS).map((cells, r) => (
            <tr key={r} className="border-t border-slate-200">
              <th scope="row" className="px-3 py-1.5 text-left font-normal text-slate-500">
                {r + 1}
              </th>
              {columns.map((_, i) => (
                <td key={i} className="px-3 py-1.5">
                  {cells[i] === undefined || cells[i] === null ? '' : String(cells[i])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Step 4: the job read about once a second until done or failed, with a live progress bar. */
function JobFollower({ jobId, pollMs, onEnded }: { jobId: string; pollMs: number; onEnded: () => void }) {
  const { auth } = useStaffAuth();
  const { handleAuthError } = useStaffSession();
  const queryClient = useQueryClient();
  const { data: job, error } = useImportJob(jobId, auth, pollMs);
  const ended = job !== undefined && isFinalStatus(job.status);

  useEffect(() => {
    if (error) handleAuthError(error);
  }, [error, handleAuthError]);
  const gone = error instanceof ApiError && error.status >= 400 && error.status < 500;
  useEffect(() => {
    if (ended || gone) onEnded();
  }, [ended, gone, onEnded]);
  useEffect(() => {
    if (!ended) return;
    // The list shows the end, and (after a real import) the professionals' pages read again.
    void queryClient.invalidateQueries({ queryKey: job?.dry_run ? importKeys.list() : ['staff'] });
  }, [ended, job?.dry_run, queryClient]);

  return (
    <section aria-labelledby="job-title" className="space-y-4" data-testid="import-job">
      <h2 id="job-title" className="text-lg font-semibold">
        {job?.dry_run ? '4. Dry run (nothing is saved)' : '4. Import'}
      </h2>
      <p aria-live="polite" className="text-sm text-slate-700">
        {job ? statusSentence(job) : 'File sent. Waiting for the import to start…'}
      </p>
      {error && !(error instanceof ApiError && error.isAuthError) && (
        <Alert tone="error" title="Could not read the import's progress">
          {error.message}
          {!gone && ' Still trying…'} The import
          itself goes on; Recent imports lists it.
        </Alert>
      )}
      {job && !ended && (
        <ProgressBar
          label={job.dry_run ? 'Dry run progress' : 'Import progress'}
          value={jobPercent(job)}
          max={100}
          valueText={
            job.rows_total === null
              ? 'Reading the file…'
              : `${job.rows_done.toLocaleString()} of ${job.rows_total.toLocaleString()} rows`
          }
        />
      )}
      {job?.status === 'failed' && (
        <Alert tone="error" title={job.dry_run ? 'The dry run failed' : 'The import failed'}>
          {job.error?.message ?? 'The server gave no reason.'}
          {job.rows_done > 0 && !job.dry_run && ` The first ${job.rows_done.toLocaleString()} rows were applied and stay so.`}
        </Alert>
      )}
      {job && (ended || job.rows_done > 0) && <JobSummary job={job} />}
      {ended && job.summary.failed > 0 && <ErrorsDownload job={job} />}
    </section>
  );
}

function statusSentence(job: ImportJob): string {
  if (job.status === 'awaiting_upload') return 'File sent. Waiting for the import to start…';
  if (job.status !== 'done') return describeJob(job) + '.';
  const verbs = outcomeVerbs(job.dry_run);
  const counts = (['created', 'updated', 'unchanged', 'failed'] as const)
    .map((outcome) => `${job.summary[outcome].toLocaleString()} ${verbs[outcome]}`)
    .join(', ');
  const rows = (job.rows_total ?? 0).toLocaleString();
  return `${job.dry_run ? 'Dry run finished (nothing was saved)' : 'Import finished'}: ${rows} rows, ${counts}.`;
}
