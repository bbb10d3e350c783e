import { useId, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';

import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { paths } from '@/config/paths';
import type { BulkResult } from '@/types/api';

import { rowUpdates, type FieldChange } from '../lib/changes';
import type { ApiRow } from '../lib/mapping';

/** Shown before "show all": enough to check a file, short enough to read. */
export const FIRST_UPDATES = 50;

/**
 * Who each `updated` row changes and how, field by field (stored value, then the row's), so a
 * dry run shows an overwrite before anything is written. One <tbody> per updated row, its row
 * number a rowgroup header (the WAI pattern for a header spanning several rows), so a screen
 * reader names the row and the field for every from/to cell.
 */
export function ChangesTable({ rows, results, dryRun }: { rows: ApiRow[]; results: BulkResult[]; dryRun: boolean }) {
  const updates = useMemo(() => rowUpdates(rows, results), [rows, results]);
  const [all, setAll] = useState(false);
  const tableId = useId();
  if (updates.length === 0) return null;
  const shown = all ? updates : updates.slice(0, FIRST_UPDATES);
  const total = updates.length.toLocaleString();

  return (
    <div className="space-y-3">
      <h3 id={`${tableId}-title`} className="text-base font-semibold">
        {dryRun ? 'What would change' : 'What changed'}
      </h3>
      <div
        role="region"
        aria-labelledby={`${tableId}-title`}
        tabIndex={0}
        className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
      >
        <table id={tableId} className="w-full text-sm" data-testid="bulk-changes">
          <caption className="px-3 py-2 text-left text-sm text-slate-700">
            {dryRun ? 'Rows that would update a professional' : 'Rows that updated a professional'}: each changed
            field, from the stored value to the row's.{' '}
            {shown.length < updates.length ? `First ${shown.length} of ${total}.` : `All ${total}.`}
          </caption>
          <thead className="bg-slate-100 text-left text-xs font-semibold text-slate-700 uppercase">
            <tr>
              <th scope="col" className="px-3 py-2">Row</th>
              <th scope="col" className="px-3 py-2">Professional</th>
              <th scope="col" className="px-3 py-2">Field</th>
              <th scope="col" className="px-3 py-2">From</th>
              <th scope="col" className="px-3 py-2">To</th>
            </tr>
          </thead>
          {shown.map((update) => {
            const span = Math.max(update.changes.length, 1);
            const head = (
              <>
                <th scope="rowgroup" rowSpan={span} className="px-3 py-2 text-left align-top font-normal text-slate-600">
                  {update.index + 1}
                </th>
                <td rowSpan={span} className="px-3 py-2 align-top break-all">
                  {update.id ? (
                    <Link to={paths.staff.professional(update.id)} className="text-blue-800 underline-offset-2 hover:underline">
                      {update.name ?? 'Open record'}
                    </Link>
                  ) : (
                    (update.name ?? '—')
                  )}
                  {(update.email ?? update.phone) && (
                    <span className="block text-slate-600">{update.email ?? update.phone}</span>
                  )}
                </td>
              </>
            );
            return (
              <tbody key={update.index} className="border-t border-slate-200">
                {update.changes.length === 0 ? (
                  <tr>
                    {head}
                    <td colSpan={3} className="px-3 py-2 text-slate-500">
                      No field changes reported.
                    </td>
                  </tr>
                ) : (
                  update.changes.map((change, i) => <ChangeRow key={change.field} change={change} head={i === 0 ? head : null} />)
                )}
              </tbody>
            );
          })}
        </table>
      </div>
      {updates.length > FIRST_UPDATES && (
        <Button variant="secondary" aria-controls={tableId} aria-expanded={all} onClick={() => setAll((v) => !v)}>
          {all ? `Show the first ${FIRST_UPDATES} only` : `Show all ${total} updates`}
        </Button>
      )}
    </div>
  );
}

function ChangeRow({ change, head }: { change: FieldChange; head: ReactNode }) {
  const value = (text: string, empty: boolean) => (
    <td className={cn('px-3 py-2 align-top break-all', empty && 'text-slate-500 italic')}>{text}</td>
  );
  return (
    <tr className="align-top">
      {head}
      <th scope="row" className="px-3 py-2 text-left align-top font-medium text-slate-800">
        {change.label}
      </th>
      {value(change.from, change.fromEmpty)}
      {value(change.to, change.toEmpty)}
    </tr>
  );
}
