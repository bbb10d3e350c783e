import { useId, useState } from 'react';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';

import { isXlsx, needsJob, type JobFile } from '../lib/job-path';
import { parseCsv, parseJson, ParseError, type SourceTable } from '../lib/parse';

const MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * Step 1: a CSV or XLSX file (dropped or chosen), or JSON pasted. A CSV of up to 1,000 rows, and
 * JSON, go to the mapping step (`onLoaded`); a larger CSV or any workbook is imported as a job,
 * the file as it is (`onJobFile`).
 */
export function SourcePicker({
  onLoaded,
  onJobFile,
}: {
  onLoaded: (table: SourceTable) => void;
  onJobFile: (jobFile: JobFile) => void;
}) {
  const [mode, setMode] = useState<'csv' | 'json'>('csv');
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [json, setJson] = useState('');
  const fileId = useId();
  const jsonId = useId();

  const readFile = async (file: File | undefined) => {
    setError(null);
    if (!file) return;
    const xlsx = isXlsx(file);
    if (!xlsx && !/\.(csv|txt)$/i.test(file.name) && !/csv|text\/plain/.test(file.type)) {
      setError(`“${file.name}” is not a CSV or Excel (.xlsx) file. Choose a .csv or .xlsx file.`);
      return;
    }
    if (file.size > MAX_FILE_BYTES) {
      setError('This file is larger than 50 MB. Split it into smaller files.');
      return;
    }
    // The browser does not read workbooks: the server does, in an import job.
    if (xlsx) {
      if (file.size === 0) {
        setError(`“${file.name}” is empty.`);
        return;
      }
      onJobFile({ file, format: 'xlsx', table: null });
      return;
    }
    try {
      const table = parseCsv(await file.text(), file.name);
      if (needsJob(table.rows.length)) onJobFile({ file, format: 'csv', table });
      else onLoaded(table);
    } catch (failure) {
      setError(failure instanceof ParseError ? failure.message : 'This file could not be read.');
    }
  };

  const readJson = () => {
    setError(null);
    try {
      onLoaded(parseJson(json));
    } catch (failure) {
      setError(failure instanceof ParseError ? failure.message : 'This JSON could not be read.');
    }
  };

  return (
    <div className="space-y-4">
      <fieldset className="flex flex-wrap gap-4">
        <legend className="mb-2 text-sm font-medium text-slate-800">What do you have?</legend>
        {(['csv', 'json'] as const).map((value) => (
          <label key={value} className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name="import-mode"
              value={value}
              checked={mode === value}
              onChange={() => {
                setMode(value);
                setError(null);
              }}
              className="size-4 accent-blue-700"
            />
            {value === 'csv' ? 'A CSV or Excel (.xlsx) file' : 'JSON to paste'}
          </label>
        ))}
      </fieldset>
      {error && <Alert tone="error">{error}</Alert>}
      {mode === 'csv' ? (
        <div
          data-testid="csv-dropzone"
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => {
            event.preventDefault();
            setDragging(false);
            void readFile(event.dataTransfer.files[0]);
          }}
          className={cn(
            'flex flex-col items-center gap-3 rounded-lg border-2 border-dashed px-4 py-10 text-center transition-colors',
            dragging ? 'border-blue-600 bg-blue-50' : 'border-slate-300 bg-white',
          )}
        >
          <p className="text-slate-700">Drag a CSV or Excel file here, or</p>
          <label htmlFor={fileId} className="sr-only">
            CSV or Excel file
          </label>
          <input
            id={fileId}
            type="file"
            accept=".csv,.xlsx,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            aria-describedby={`${fileId}-hint`}
            onChange={(event) => {
              void readFile(event.target.files?.[0]);
              event.target.value = '';
            }}
            className="max-w-full text-sm text-slate-700 file:mr-3 file:cursor-pointer file:rounded-md file:border-0 file:bg-blue-700 file:px-4 file:py-2 file:font-medium file:text-white hover:file:bg-blue-800 focus:outline-3 focus:outline-blue-600/50"
          />
          <p id={`${fileId}-hint`} className="max-w-prose text-sm text-slate-600">
            UTF-8, comma-separated, with a header line naming the columns (for example
            full_name, email, phone, company_name, job_title, source). You choose which column is
            which in the next step. Files of more than 1,000 rows, and Excel workbooks (.xlsx, the
            first sheet), are imported in the background as they are: their header must name those
            fields.
          </p>
        </div>
      ) : (
        <div className="space-y-2">
          <label htmlFor={jsonId} className="block text-sm font-medium text-slate-800">
            JSON array of professionals
          </label>
          <textarea
            id={jsonId}
            rows={10}
            value={json}
            onChange={(event) => setJson(event.target.value)}
            spellCheck={false}
            placeholder={'[\n  {"full_name": "Ada Lovelace", "email": "ada@example.com"}\n]'}
            className="block w-full rounded-md border border-slate-300 bg-white p-3 font-mono text-sm focus:border-blue-600 focus:outline-3 focus:outline-blue-600/50"
          />
          <Button onClick={readJson} disabled={json.trim() === ''}>
            Preview
          </Button>
        </div>
      )}
    </div>
  );
}
