import { toCsv } from '@/lib/csv';
import type { BulkResult, BulkSummary, ErrorBody } from '@/types/api';

import { TARGET_FIELDS, type ApiRow } from './mapping';

export function emptySummary(): BulkSummary {
  return { created: 0, updated: 0, unchanged: 0, failed: 0 };
}

/** A row's failure as one readable sentence: the message, then each field's problem. */
export function describeRowError(error: ErrorBody | null): string {
  if (!error) return '';
  const fields = Object.entries(error.details?.fields ?? {});
  // Field messages say more than the generic "Invalid value for: email." that sums them up.
  const parts = fields.length
    ? fields.map(([field, messages]) => `${field}: ${messages.join(' ')}`)
    : [error.message];
  const conflicts = error.details?.conflicts ?? [];
  if (conflicts.length && !fields.length) {
    parts.push(
      `(${conflicts.map((c) => (c.id ? `${c.field} used by ${c.id}` : `${c.field} already used`)).join('; ')})`,
    );
  }
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/** The failed rows, as sent, with their reason in a last column: fix them and import again. */
export function failedRowsCsv(rows: ApiRow[], results: BulkResult[]): string {
  const failed = results.filter((result) => result.status === 'failed');
  const fields = TARGET_FIELDS.filter((field) => failed.some((r) => rows[r.index]?.[field] !== undefined));
  const header = [...fields, 'row', 'error'];
  const body = failed.map((result) => {
    const row = rows[result.index] ?? {};
    return [
      ...fields.map((field) => {
        const value = row[field];
        return value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : value;
      }),
      result.index + 1,
      describeRowError(result.error),
    ];
  });
  return toCsv(header, body);
}
