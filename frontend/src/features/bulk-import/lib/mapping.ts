import { FIELD_LABELS } from '@/lib/professional-schema';

import type { SourceTable } from './parse';

export const TARGET_FIELDS = ['full_name', 'email', 'phone', 'company_name', 'job_title', 'source'] as const;
export type TargetField = (typeof TARGET_FIELDS)[number];

/** One entry per source column: the API field it fills, or null to leave it out. */
export type ColumnMapping = (TargetField | null)[];

/** The form's labels: one wording for a field across the app. */
export const TARGET_LABELS: Record<TargetField, string> = FIELD_LABELS;

const SYNONYMS: Record<string, TargetField> = {
  fullname: 'full_name',
  name: 'full_name',
  fullnames: 'full_name',
  email: 'email',
  emailaddress: 'email',
  mail: 'email',
  phone: 'phone',
  phonenumber: 'phone',
  telephone: 'phone',
  tel: 'phone',
  mobile: 'phone',
  cell: 'phone',
  company: 'company_name',
  companyname: 'company_name',
  organisation: 'company_name',
  organization: 'company_name',
  employer: 'company_name',
  jobtitle: 'job_title',
  title: 'job_title',
  position: 'job_title',
  role: 'job_title',
  source: 'source',
};

const normalise = (header: string) => header.toLowerCase().replace(/[^a-z]/g, '');

/** Matches headers to fields (case, spaces and punctuation ignored); each field used once. */
export function autoMap(columns: string[]): ColumnMapping {
  const used = new Set<TargetField>();
  return columns.map((column) => {
    const field = SYNONYMS[normalise(column)];
    if (!field || used.has(field)) return null;
    used.add(field);
    return field;
  });
}

/** Problems that make the mapping unusable; empty when it can be sent. */
export function mappingProblems(mapping: ColumnMapping): string[] {
  const problems: string[] = [];
  const counts = new Map<TargetField, number>();
  for (const field of mapping) if (field) counts.set(field, (counts.get(field) ?? 0) + 1);
  for (const [field, count] of counts) {
    if (count > 1) problems.push(`${TARGET_LABELS[field]} is chosen for ${count} columns; choose it for one only.`);
  }
  if (!counts.has('email') && !counts.has('phone')) {
    problems.push('Choose the column that holds the email or the phone: rows are matched by them.');
  }
  return problems;
}

export type ApiRow = Partial<Record<TargetField, unknown>>;

/**
 * The rows as the API takes them: mapped fields only; an empty CSV cell is left out (absent),
 * as the API reads an empty cell in its own CSV format.
 */
export function toApiRows(table: SourceTable, mapping: ColumnMapping): ApiRow[] {
  return table.rows.map((cells) => {
    const row: ApiRow = {};
    mapping.forEach((field, i) => {
      if (!field) return;
      const value = cells[i];
      if (value === undefined) return;
      if (typeof value === 'string' && value.trim() === '') return;
      row[field] = value;
    });
    return row;
  });
}
