import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ProgressBar } from '@/components/ui/progress-bar';
import { useStaffAuth, useStaffSession } from '@/lib/staff-session';

import { MAX_ROWS_PER_REQUEST, runBulk, type BulkProgress, type BulkRun } from '../api/bulk-upsert';
import { IMPORT_POLL_MS } from '../api/import-jobs';
import type { JobFile } from '../lib/job-path';
import { autoMap, mappingProblems, toApiRows, type ApiRow, type ColumnMapping } from '../lib/mapping';
import type { SourceTable } from '../lib/parse';

import { ImportJobPanel } from './import-job';
import { MappingPreview } from './mapping-preview';
import { ProblemsAlert } from './problems-alert';
import { RecentImports } from './recent-imports';
import { ResultsView } from './results-view';
import { SourcePicker } from './source-picker';

type Outcome = BulkRun & { dryRun: boolean; rows: ApiRow[] };

/** `pollMs`: how often a running import job is read (tests shorten it). */
export function BulkImport({ pollMs = IMPORT_POLL_MS }: { pollMs?: number } = {}) {
  const { auth } = useStaffAuth();
  const { handleAuthError } = useStaffSession();
  const queryClient = useQueryClient();
  const [table, setTable] = useState<SourceTable | null>(null);
  const [jobFile, setJobFile] = useState<JobFile | null>(null);
  const [mapping, setMapping] = useState<ColumnMapping>([]);
  const [running, setRunning] = useState<{ dryRun: boolean; progress: BulkProgress } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const abortRef = useRef<AbortController | null>(null);
  const stepRef = useRef<HTMLHeadingElement>(null);

  const rows = useMemo(() => (table ? toApiRows(table, mapping) : []), [table, mapping]);
  const problems = table ? mappingProblems(mapping) : [];
  const requests = Math.ceil(rows.length / MAX_ROWS_PER_REQUEST);

  useEffect(() => () => abortRef.current?.abort(), []);
  useEffect(() => {
    if (table) stepRef.current?.focus();
  }, [table]);

  const load = (next: SourceTable) => {
    setJobFile(null);
    setTable(next);
    setMapping(autoMap(next.columns));
    setOutcome(null);
  };

  const start = async (dryRun: boolean) => {
    const controller = new AbortController();
    abortRef.current = controller;
    setOutcome(null);
    setRunning({ dryRun, progress: { sent: 0, total: rows.length, request: 1, requests } });
    const run = await runBulk(rows, {
      auth,
      dryRun,
      signal: controller.signal,
      onProgress: (progress) => setRunning({ dryRun, progress }),
    });
    setRunning(null);
    abortRef.current = null;
    if (run.stoppedBy && run.stoppedBy !== 'cancelled' && handleAuthError(run.stoppedBy)) return;
    setOutcome({ ...run, dryRun, rows });
    if (!dryRun) void queryClient.invalidateQueries({ queryKey: ['staff'] });
  };

  const reset = () => {
    setJobFile(null);
    setTable(null);
    setMapping([]);
    setOutcome(null);
  };

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Bulk import</h1>
        <p className="mt-1 max-w-prose text-slate-700">
          Create or update many professionals at once. Each row is matched by email; by phone only
          when the row or the phone's owner has no email (a row with another person's phone and a
          new email fails rather than overwrite them). A match is updated with the row's values,
          anything else is created. Try a dry run first: it lists who would change, each field from
          its stored value to the row's, without saving anything.
        </p>
      </div>

      {jobFile ? (
        <ImportJobPanel jobFile={jobFile} pollMs={pollMs} onReset={reset} />
      ) : !table ? (
        <section aria-labelledby="step-source" className="space-y-3">
          <h2 id="step-source" className="text-lg font-semibold">
            1. Choose the data
          </h2>
          <SourcePicker onLoaded={load} onJobFile={setJobFile} />
        </section>
      ) : (
        <section aria-labelledby="step-map" className="space-y-4">
          <div className="flex flex-wrap items-center justify-between gap-3">
            <h2 id="step-map" ref={stepRef} tabIndex={-1} className="text-lg font-semibold focus:outline-none">
              2. Check the columns
            </h2>
            <Button variant="ghost" size="sm" onClick={reset} disabled={running !== null}>
              Choose other data
            </Button>
          </div>
          <MappingPreview table={table} mapping={mapping} onChange={setMapping} />
          <ProblemsAlert title="Fix the mapping before sending:" problems={problems} />
          <div className="space-y-3">
            <h2 className="text-lg font-semibold">3. Send</h2>
            <p className="text-sm text-slate-700">
              {rows.length.toLocaleString()} rows
              {requests > 1 ? `, sent in ${requests} requests of up to ${MAX_ROWS_PER_REQUEST.toLocaleString()} rows, in order` : ''}.
            </p>
            <div className="flex flex-wrap gap-2">
              <Button
                variant="secondary"
                onClick={() => void start(true)}
                disabled={problems.length > 0 || running !== null}
                busy={running?.dryRun === true}
              >
                Dry run
              </Button>
              <Button onClick={() => void start(false)} disabled={problems.length > 0 || running !== null} busy={running?.dryRun === false}>
                Import {rows.length.toLocaleString()} rows
              </Button>
              {running && (
                <Button variant="ghost" onClick={() => abortRef.current?.abort()}>
                  Cancel
                </Button>
              )}
            </div>
          </div>
          <div aria-live="polite" className="space-y-2">
            {running && (
              <p className="text-sm text-slate-700">
                {running.dryRun ? 'Checking' : 'Importing'}: request {running.progress.request} of{' '}
                {running.progress.requests}…
              </p>
            )}
            {outcome && !running && (
              <p className="sr-only">
                {outcome.dryRun ? 'Dry run finished' : 'Import finished'}: {outcome.summary.created} created,{' '}
                {outcome.summary.updated} updated, {outcome.summary.unchanged} unchanged, {outcome.summary.failed} failed.
              </p>
            )}
          </div>
          {running && (
            <ProgressBar
              label={running.dryRun ? 'Dry run progress' : 'Import progress'}
              value={running.progress.sent}
              max={running.progress.total}
              valueText={`${running.progress.sent.toLocaleString()} of ${running.progress.total.toLocaleString()} rows`}
            />
          )}
          {outcome?.stoppedBy && (
            <Alert tone="error" title={outcome.stoppedBy === 'cancelled' ? 'Cancelled' : 'The import stopped'}>
              {outcome.stoppedBy === 'cancelled'
                ? 'Rows not yet sent are listed as failed, so you can download and send them again.'
                : `${outcome.stoppedBy.message} Rows not processed are listed as failed, so you can download and send them again.`}
            </Alert>
          )}
          {outcome && (
            <ResultsView
              rows={outcome.rows}
              results={outcome.results}
              summary={outcome.summary}
              dryRun={outcome.dryRun}
              fileName={table.kind === 'csv' ? table.name : 'import.json'}
            />
          )}
        </section>
      )}

      <RecentImports pollMs={pollMs} />
    </div>
  );
}
