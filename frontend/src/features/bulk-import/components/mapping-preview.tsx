import { useId } from 'react';

import { TARGET_FIELDS, TARGET_LABELS, type ColumnMapping, type TargetField } from '../lib/mapping';
import type { SourceTable } from '../lib/parse';

export const PREVIEW_ROWS = 10;

function show(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Step 2: each source column with the field it fills, over the first rows as read. */
export function MappingPreview({
  table,
  mapping,
  onChange,
}: {
  table: SourceTable;
  mapping: ColumnMapping;
  onChange: (mapping: ColumnMapping) => void;
}) {
  const baseId = useId();
  const rows = table.rows.slice(0, PREVIEW_ROWS);
  return (
    <div
      role="region"
      aria-label="Column mapping and preview"
      tabIndex={0}
      className="overflow-x-auto rounded-lg bg-white shadow-sm ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
    >
      <table className="w-full text-sm">
        <caption className="px-3 py-2 text-left text-sm text-slate-700">
          First {rows.length} of {table.rows.length.toLocaleString()} rows from {table.name}. Choose
          the field each column fills; “Leave out” skips it.
        </caption>
        <thead className="bg-slate-100 align-bottom">
          <tr>
            <th scope="col" className="px-3 py-2 text-left text-xs font-semibold text-slate-600 uppercase">
              Row
            </th>
            {table.columns.map((column, i) => (
              <th key={i} scope="col" className="min-w-40 px-3 py-2 text-left font-normal">
                <label htmlFor={`${baseId}-${i}`} className="block text-xs font-semibold text-slate-700">
                  {column}
                </label>
                <select
                  id={`${baseId}-${i}`}
                  value={mapping[i] ?? ''}
                  onChange={(event) => {
                    const next = [...mapping];
                    next[i] = (event.target.value || null) as TargetField | null;
                    onChange(next);
                  }}
                  className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1 text-sm focus:border-blue-600 focus:outline-3 focus:outline-blue-600/50"
                >
                  <option value="">Leave out</option>
                  {TARGET_FIELDS.map((field) => (
                    <option key={field} value={field}>
                      {TARGET_LABELS[field]}
                    </option>
                  ))}
                </select>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((cells, r) => (
            <tr key={r} className="border-t border-slate-200">
              <th scope="row" className="px-3 py-1.5 text-left font-normal text-slate-500">
                {r + 1}
              </th>
              {table.columns.map((_, i) => (
                <td key={i} className={mapping[i] ? 'px-3 py-1.5' : 'px-3 py-1.5 text-slate-500 line-through'}>
                  {show(cells[i])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
