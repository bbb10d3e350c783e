import { queryOptions, useQuery } from '@tanstack/react-query';

import { apiRequest, apiUrl, errorFromResponse, ApiError, NETWORK_ERROR_MESSAGE, staffHeaders, type StaffAuth } from '@/lib/api-client';
import { downloadText } from '@/lib/csv';
import { uploadToPresignedPost, type UploadProgress } from '@/lib/upload';
import type { BulkSummary, ErrorBody, ResumeUpload } from '@/types/api';

/** Import jobs (docs/api.md, "Import jobs"): a CSV or XLSX file applied in the background. */

export type ImportFormat = 'csv' | 'xlsx';
export type ImportStatus = 'awaiting_upload' | 'running' | 'done' | 'failed';

export type ImportJob = {
  id: string;
  status: ImportStatus;
  format: ImportFormat;
  dry_run: boolean;
  /** Known once the worker has read the whole file, before the first chunk; null until then. */
  rows_total: number | null;
  rows_done: number;
  summary: BulkSummary;
  error: ErrorBody | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
};

/** The presigned POST has the resume upload's shape (url, fields, key, max_bytes, expires_at). */
export type CreatedImportJob = ImportJob & { upload: ResumeUpload };

export type ImportJobPage = { items: ImportJob[]; next_cursor: string | null };

/** About once a second, as the job's progress moves by a chunk of 1,000 rows at a time. */
export const IMPORT_POLL_MS = 1000;
/** How many jobs "Recent imports" shows (the API's default page). */
export const RECENT_IMPORTS_LIMIT = 25;
/** The upload form's life: a job still awaiting its file after this will not start. */
export const UPLOAD_FORM_MS = 15 * 60 * 1000;

export const importKeys = {
  all: ['staff', 'imports'] as const,
  list: () => [...importKeys.all, 'list'] as const,
  job: (id: string) => [...importKeys.all, 'job', id] as const,
};

export const isFinalStatus = (status: ImportStatus) => status === 'done' || status === 'failed';

/** A job that may still change: running, or waiting for a file whose form has not expired. */
export function isLive(job: ImportJob, now = Date.now()): boolean {
  if (job.status === 'running') return true;
  if (job.status !== 'awaiting_upload') return false;
  const created = Date.parse(job.created_at);
  return Number.isNaN(created) || now - created < UPLOAD_FORM_MS;
}

export function createImportJob(
  { format, dryRun }: { format: ImportFormat; dryRun: boolean },
  auth: StaffAuth,
  signal?: AbortSignal,
): Promise<CreatedImportJob> {
  return apiRequest<CreatedImportJob>('/imports', {
    method: 'POST',
    body: { format, dry_run: dryRun },
    auth,
    signal,
  });
}

export function getImportJob(id: string, auth: StaffAuth, signal?: AbortSignal): Promise<ImportJob> {
  return apiRequest<ImportJob>(`/imports/${encodeURIComponent(id)}`, { auth, signal });
}

export function listImportJobs(auth: StaffAuth, signal?: AbortSignal): Promise<ImportJobPage> {
  return apiRequest<ImportJobPage>('/imports', {
    query: { limit: RECENT_IMPORTS_LIMIT },
    auth,
    signal,
  });
}

/**
 * Creates the job, then sends the ORIGINAL file straight to storage through the presigned POST
 * (every policy field first, the file last: the shared helper the resume upload uses). Once the
 * file is stored the job starts by itself; the caller follows it with `useImportJob`.
 */
export async function startImportJob(
  file: File,
  options: {
    format: ImportFormat;
    dryRun: boolean;
    auth: StaffAuth;
    signal?: AbortSignal;
    onCreated?: (job: ImportJob) => void;
    onUploadProgress?: (progress: UploadProgress) => void;
  },
): Promise<ImportJob> {
  const { upload, ...job } = await createImportJob(options, options.auth, options.signal);
  options.onCreated?.(job);
  await uploadToPresignedPost(upload, file, { onProgress: options.onUploadProgress, signal: options.signal });
  return job;
}

/** One job, read about once a second until it is done or failed. */
export function importJobQueryOptions(id: string, auth: StaffAuth, pollMs: number) {
  return queryOptions({
    queryKey: importKeys.job(id),
    queryFn: ({ signal }) => getImportJob(id, auth, signal),
    staleTime: 0,
    refetchInterval: (query) => {
      const job = query.state.data;
      if (job && isFinalStatus(job.status)) return false;
      // A 4xx (the job is gone, the key refused) will not improve; anything else may.
      const error = query.state.error;
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
      return pollMs;
    },
    refetchIntervalInBackground: true,
  });
}

export function useImportJob(id: string | null, auth: StaffAuth, pollMs = IMPORT_POLL_MS) {
  return useQuery({ ...importJobQueryOptions(id ?? '', auth, pollMs), enabled: id !== null });
}

/** The caller's jobs, newest first; read again every `pollMs` while any of them may still change. */
export function useImportJobs(auth: StaffAuth, pollMs = IMPORT_POLL_MS) {
  return useQuery({
    queryKey: importKeys.list(),
    queryFn: ({ signal }) => listImportJobs(auth, signal),
    staleTime: 0,
    refetchInterval: (query) => (query.state.data?.items.some((job) => isLive(job)) ? pollMs : false),
    refetchIntervalInBackground: true,
  });
}

export const errorsFileName = (id: string) => `import-${id}-errors.csv`;

/**
 * Downloads a finished job's errors file (CSV).
 *
 * `GET /imports/{id}/errors` answers 303 with `Location` naming a presigned S3 GET. The route
 * needs the staff member's bearer token in `Authorization`, so it cannot be a plain link or
 * `window.open` (neither sends a header). With `redirect: 'manual'`, fetch gives an opaque redirect whose `Location`
 * (and body) cannot be read; so we let fetch follow (`redirect: 'follow'`, the default, spelled
 * out): the browser turns the 303 into a GET of the presigned URL. That URL carries its own
 * signature (and the browser drops `Authorization` on a redirect to another origin), the SPA's origin stays the request's
 * origin (the API is same-origin, at /api), and the bucket's CORS rule allows that origin with
 * GET and any header, so the preflight passes and the CSV is readable. It is then saved as a
 * file under the name the storage would give it.
 */
export async function downloadImportErrors(id: string, auth: StaffAuth): Promise<void> {
  let response: Response;
  try {
    response = await fetch(apiUrl(`/imports/${encodeURIComponent(id)}/errors`), {
      headers: { ...(await staffHeaders(auth.staff)), Accept: 'text/csv, application/json' },
      redirect: 'follow',
    });
  } catch {
    throw new ApiError(0, { code: 'network_error', message: NETWORK_ERROR_MESSAGE, details: {} });
  }
  if (!response.ok) {
    // After the redirect the answer is storage's, not the API's: its 403 (an expired link) must
    // not read as "your key was refused".
    if (response.redirected) {
      throw new ApiError(0, {
        code: 'storage_error',
        message: `The errors file could not be fetched from storage (HTTP ${response.status}). Try again.`,
        details: {},
      });
    }
    throw await errorFromResponse(response);
  }
  downloadText(errorsFileName(id), await response.text());
}
