import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';

import type { ApiError } from './api-client';

/**
 * Shows the API's `details.fields` messages next to the form's own fields (those in `names`),
 * focusing the first; returns the names it placed.
 */
export function placeFieldErrors<T extends FieldValues>(
  error: ApiError,
  names: readonly string[],
  setError: UseFormSetError<T>,
): string[] {
  const placed = Object.entries(error.fields).filter(([name]) => names.includes(name));
  placed.forEach(([name, messages], i) =>
    setError(name as Path<T>, { type: 'server', message: messages.join(' ') }, { shouldFocus: i === 0 }),
  );
  return placed.map(([name]) => name);
}

/** A 409's `details.conflicts`, each field marked with `message(field)`, the first focused. */
export function placeConflicts<T extends FieldValues>(
  error: ApiError,
  setError: UseFormSetError<T>,
  message: (field: string) => string,
): string[] {
  const fields = error.conflictFields;
  fields.forEach((field, i) =>
    setError(field as Path<T>, { type: 'server', message: message(field) }, { shouldFocus: i === 0 }),
  );
  return fields;
}
