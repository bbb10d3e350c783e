import { MAX_ROWS_PER_REQUEST } from '../api/bulk-upsert';
import type { ImportFormat } from '../api/import-jobs';

import { autoMap, TARGET_FIELDS } from './mapping';
import type { SourceTable } from './parse';

/**
 * A file sent as an import job rather than through /professionals/bulk: the file itself goes to
 * storage, as chosen. `table` is the browser's reading of a CSV (for the row count, the header
 * check and the preview); an XLSX is read by the server only.
 */
export type JobFile = { file: File; format: ImportFormat; table: SourceTable | null };

/** Files of more than this many rows go through a job; up to it, the bulk route (one request). */
export const JOB_THRESHOLD = MAX_ROWS_PER_REQUEST;

export const isXlsx = (file: File) =>
  /\.xlsx$/i.test(file.name) || file.type === 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const needsJob = (rows: number) => rows > JOB_THRESHOLD;

/**
 * What stops a CSV from going through a job: the server reads the file as it is, so its header
 * must name the fields (case and surrounding spaces ignored), each once, as bulk CSV's does.
 * Otherwise the job would end failed having written nothing; better said before sending.
 */
export function headerProblems(columns: string[]): string[] {
  const names = columns.map((column) => column.trim().toLowerCase());
  const known = new Set<string>(TARGET_FIELDS);
  const problems: string[] = [];
  const suggestions = autoMap(columns);
  const unknown = columns
    .map((column, i) => ({ column, name: names[i], suggestion: suggestions[i] }))
    .filter(({ name }) => !known.has(name));
  if (unknown.length > 0) {
    const listed = unknown
      .map(({ column, suggestion }) => (suggestion ? `“${column}” (${suggestion}?)` : `“${column}”`))
      .join(', ');
    problems.push(
      `Columns the server does not know: ${listed}. Rename them in the file to one of ${TARGET_FIELDS.join(', ')}, or remove them, then choose the file again.`,
    );
  }
  const repeated = [...new Set(names.filter((name, i) => known.has(name) && names.indexOf(name) !== i))];
  if (repeated.length > 0) problems.push(`A column is named twice: ${repeated.join(', ')}. Keep one of each.`);
  if (!names.includes('email') && !names.includes('phone')) {
    problems.push('The file needs an email or a phone column: rows are matched by them.');
  }
  return problems;
}
