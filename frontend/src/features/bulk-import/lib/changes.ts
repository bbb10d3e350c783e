import type { BulkResult } from '@/types/api';

import { TARGET_FIELDS, TARGET_LABELS, type ApiRow, type TargetField } from './mapping';

export type FieldChange = { field: string; label: string; from: string; to: string; fromEmpty: boolean; toEmpty: boolean };

/** One `updated` row: who it matched, as far as the response and the row itself tell. */
export type RowUpdate = {
  index: number;
  id: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  changes: FieldChange[];
};

export const EMPTY = '(empty)';

const isEmpty = (value: unknown) => value === null || value === undefined || value === '';

export function formatValue(value: unknown): string {
  if (isEmpty(value)) return EMPTY;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const order = (field: string) => {
  const at = TARGET_FIELDS.indexOf(field as TargetField);
  return at < 0 ? TARGET_FIELDS.length : at;
};

/**
 * The stored value of `field` without a request per row: a changed field's `from`; otherwise the
 * row's own value, since a field the row carries and that did not change equals the stored one.
 * Null when neither says (the row did not carry the field).
 */
function stored(field: TargetField, row: ApiRow, changes: BulkResult['changes']): string | null {
  const value = changes && field in changes ? changes[field].from : row[field];
  return isEmpty(value) ? null : formatValue(value);
}

/** The `updated` results, in row order, with each changed field as from/to text. */
export function rowUpdates(rows: ApiRow[], results: BulkResult[]): RowUpdate[] {
  return results
    .filter((result) => result.status === 'updated')
    .map((result) => {
      const row = rows[result.index] ?? {};
      const changes = result.changes ?? {};
      return {
        index: result.index,
        id: result.id,
        name: stored('full_name', row, changes),
        email: stored('email', row, changes),
        phone: stored('phone', row, changes),
        changes: Object.entries(changes)
          .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
          .map(([field, { from, to }]) => ({
            field,
            label: TARGET_LABELS[field as TargetField] ?? field,
            from: formatValue(from),
            to: formatValue(to),
            fromEmpty: isEmpty(from),
            toEmpty: isEmpty(to),
          })),
      };
    });
}
