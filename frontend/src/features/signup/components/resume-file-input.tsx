import { forwardRef, useId } from 'react';

import { cn } from '@/components/ui/cn';
import { formatBytes } from '@/lib/resume';

type ResumeFileInputProps = {
  label?: string;
  file: File | null;
  error?: string;
  disabled?: boolean;
  optional?: boolean;
  onChange: (file: File | null) => void;
};

/** A native file input (keyboard and screen-reader friendly as it is), restyled. */
export const ResumeFileInput = forwardRef<HTMLInputElement, ResumeFileInputProps>(
  function ResumeFileInput(
    { label = 'Resume', file, error, disabled, optional = true, onChange },
    ref,
  ) {
    const id = useId();
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    return (
      <div className="space-y-1">
        <label htmlFor={id} className="block text-sm font-medium text-slate-800">
          {label}
          {optional && <span className="ml-1 font-normal text-slate-500">(optional)</span>}
        </label>
        <input
          ref={ref}
          id={id}
          type="file"
          accept="application/pdf,.pdf"
          disabled={disabled}
          aria-invalid={error ? true : undefined}
          aria-describedby={cn(hintId, error && errorId)}
          onChange={(event) => onChange(event.target.files?.[0] ?? null)}
          className={cn(
            'block w-full rounded-md border bg-white text-sm text-slate-700',
            'file:mr-3 file:cursor-pointer file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:font-medium file:text-slate-800 hover:file:bg-slate-200',
            'focus:outline-3 focus:outline-blue-600/50',
            error ? 'border-red-600' : 'border-slate-300',
          )}
        />
        <p id={hintId} className="text-sm text-slate-600">
          {file && !error
            ? `${file.name} (${formatBytes(file.size)})`
            : 'A PDF of at most 5 MB. We read its text to match you with opportunities.'}
        </p>
        {error && (
          <p id={errorId} className="text-sm font-medium text-red-700">
            {error}
          </p>
        )}
      </div>
    );
  },
);
