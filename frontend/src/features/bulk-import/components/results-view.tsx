import { useMemo, useState } from 'react';
import { Link } from 'react-router';

import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { paths } from '@/config/paths';
import { downloadText } from '@/lib/csv';
import type { BulkResult, BulkRowStatus, BulkSummary } from '@/types/api';

import type { ApiRow } from '../lib/mapping';
import { describeRowError, failedRowsCsv } from '../lib/results';

import { ChangesTable } from './changes-table';

const STATUS_STYLES: Record<BulkRowStatus, string> = {
  created: 'text-green-800',
  updated: 'text-blue-800',
  unchanged: 'text-slate-600',
  failed: 'text-red-800',
};

const PAGE = 200;

type Filter = BulkRowStatus | 'all';

/** Step 4: the counts, then row by row, with the failed rows downloadable as CSV. */
export function ResultsView({
  rows,
  results,
  summary,
  dryRun,
  fileName,
}: {
  rows: ApiRow[];
  results: BulkResult[];
  summary: BulkSummary;
  dryRun: boolean;
  fileName: string;
}) {
  const [filter, setFilter] = useState<Filter>(summary.failed > 0 ? 'failed' : 'all');
  const [shown, setShown] = useState(PAGE);
  const visible = useMemo(
    () => (filter === 'all' ? results : results.filter((r) => r.status === filter)),
    [filter, results],
  );
  const verbs: Record<BulkRowStatus, string> = dryRun
    ? { created: 'would be created', updated: 'would be updated', unchanged: 'unchanged', failed: 'would fail' }
    : { created: 'created', updated: 'updated', unchanged: 'unchanged', failed: 'failed' };

  return (
    <section aria-labelledby="results-title" className="space-y-4">
      <h2 id="results-title" className="text-lg font-semibold">
        {dryRun ? 'Dry run results (nothing was saved)' : 'Import results'}
      </h2>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="bulk-summary">
        {(['created', 'updated', 'unchanged', 'failed'] as const).map((status) => (
          <div key={status} className="rounded-lg bg-white p-3 shadow-sm ring-1 ring-slate-200">
            <dt className="text-sm text-slate-600 capitalize">{verbs[status]}</dt>
            <dd className={cn('text-2xl font-bold', STATUS_STYLES[status])}>{summary[status].toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      <ChangesTable rows={rows} results={results} dryRun={dryRun} />
      <div className="flex flex-wrap items-end gap-3">
        <label className="text-sm">
          <span className="block font-medium text-slate-800">Show</span>
          <select
            value={filter}
            onChange={(event) => {
              setFilter(event.target.value as Filter);
              setShown(PAGE);
            }}
            className="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 focus:border-blue-600 focus:outline-3 focus:outline-blue-600/50"
          >
            <option value="all">All rows ({results.length.toLocaleString()})</option>
            {(['failed', 'created', 'updated', 'unchanged'] as const).map((status) => (
              <option key={status} value={status}>
                {status[0].toUpperCase() + status.slice(1)} ({summary[status].toLocaleString()})
              </option>
            ))}
          </select>
        </label>
        {summary.failed > 0 && (
          <Button
            variant="secondary"
            onClick={() =>
              downloadText(`${fileName.replace(/\.[^.]+$/, '')}-failed-rows.csv`, failedRowsCsv(rows, results))
            }
          >
            Download failed rows (CSV)
          </Button>
        )}
      </div>
      <div
        role="region"
        aria-label="Results by row"
        tabIndex={0}
        className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
      >
        <table className="w-full text-sm" data-testid="bulk-results">
          <thead className="bg-slate-100 text-left text-xs font-semibold text-slate-700 uppercase">
            <tr>
              <th scope="col" className="px-3 py-2">Row</th>
              <th scope="col" className="px-3 py-2">Status</th>
              <th scope="col" className="px-3 py-2">Name / email / phone</th>
              <th scope="col" className="px-3 py-2">Reason or record</th>
            </tr>
          </thead>
          <tbody>
            {visible.slice(0, shown).map((result) => {
              const row = rows[result.index] ?? {};
              const who = [row.full_name, row.email, row.phone].filter((v) => v !== undefined && v !== null).join(' · ');
              return (
                <tr key={result.index} className="border-t border-slate-200 align-top">
                  <th scope="row" className="px-3 py-2 text-left font-normal text-slate-600">
                    {result.index + 1}
                  </th>
                  <td className={cn('px-3 py-2 font-medium', STATUS_STYLES[result.status])}>{result.status}</td>
                  <td className="px-3 py-2 break-all">{who || '—'}</td>
                  <td className="px-3 py-2">
                    {result.status === 'failed' ? (
                      <span className="text-red-900">{describeRowError(result.error)}</span>
                    ) : result.id ? (
                      <Link to={paths.staff.professional(result.id)} className="text-blue-800 underline-offset-2 hover:underline">
                        Open record
                      </Link>
                    ) : (
                      <span className="text-slate-500">New record</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {visible.length > shown && (
        <Button variant="secondary" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, visible.length - shown)} more of {(visible.length - shown).toLocaleString()}
        </Button>
      )}
    </section>
  );
}
