import { Button } from '@/components/ui/button';
import { SelectField, TextField } from '@/components/ui/field';

import { SEARCH_FILTERS, type ListFilters } from '../api/get-professionals';

type SearchFiltersProps = {
  filters: ListFilters;
  onChange: (next: Partial<ListFilters>) => void;
};

const YES_NO = [
  ['', 'Any'],
  ['true', 'Yes'],
  ['false', 'No'],
] as const;

/** What narrows a search (contract 8.3, Filters): offered while a search is active, as they need q. */
export function SearchFilters({ filters, onChange }: SearchFiltersProps) {
  const flag = (name: 'has_resume' | 'email_verified', label: string) => (
    <SelectField
      label={label}
      value={filters[name] ?? ''}
      onChange={(event) => onChange({ [name]: (event.target.value || undefined) as ListFilters[typeof name] })}
      className="w-36"
    >
      {YES_NO.map(([value, text]) => (
        <option key={value} value={value}>
          {text}
        </option>
      ))}
    </SelectField>
  );
  const date = (name: 'created_from' | 'created_until', label: string, bounds: { min?: string; max?: string }) => (
    <TextField
      label={label}
      type="date"
      value={filters[name] ?? ''}
      {...bounds}
      onChange={(event) => onChange({ [name]: event.target.value || undefined })}
      className="w-44"
    />
  );
  const reversed = filters.created_from && filters.created_until && filters.created_until < filters.created_from;
  const any = SEARCH_FILTERS.some((name) => filters[name]);

  return (
    <fieldset className="basis-full">
      <legend className="mb-2 text-sm font-semibold text-slate-900">Narrow the search</legend>
      <div className="flex flex-wrap items-end gap-4">
        {flag('has_resume', 'Ready resume')}
        {flag('email_verified', 'Email verified')}
        {date('created_from', 'Created from', { max: filters.created_until })}
        {date('created_until', 'Created on or before', { min: filters.created_from })}
        {any && (
          <Button
            variant="ghost"
            onClick={() => onChange(Object.fromEntries(SEARCH_FILTERS.map((name) => [name, undefined])))}
          >
            Clear filters
          </Button>
        )}
      </div>
      {reversed ? (
        <p role="alert" className="mt-1 text-sm font-medium text-red-700">
          “Created on or before” is earlier than “Created from”: nothing can match.
        </p>
      ) : (
        <p className="mt-1 text-sm text-slate-600">Days are UTC days.</p>
      )}
    </fieldset>
  );
}
