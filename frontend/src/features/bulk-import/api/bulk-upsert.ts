import { apiRequest, ApiError, type StaffAuth } from '@/lib/api-client';
import type { BulkResponse, BulkResult, BulkSummary } from '@/types/api';

import type { ApiRow } from '../lib/mapping';
import { emptySummary } from '../lib/results';

/** The API takes at most this many rows a request (more is a 413). */
export const MAX_ROWS_PER_REQUEST = 1000;

export function bulkUpsert(
  rows: ApiRow[],
  { auth, dryRun, signal }: { auth: StaffAuth; dryRun: boolean; signal?: AbortSignal },
): Promise<BulkResponse> {
  return apiRequest<BulkResponse>('/professionals/bulk', {
    method: 'POST',
    query: dryRun ? { dry_run: 'true' } : undefined,
    body: rows,
    auth,
    signal,
  });
}

export type BulkProgress = { sent: number; total: number; request: number; requests: number };

export type BulkRun = {
  summary: BulkSummary;
  results: BulkResult[];
  /** Why the run stopped early (the rows not answered are reported as failed); null when done. */
  stoppedBy: ApiError | 'cancelled' | null;
};

export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

const notSent = (index: number, message: string): BulkResult => ({
  index,
  status: 'failed',
  id: null,
  error: { code: 'not_sent', message, details: {} },
});

/**
 * Sends the rows in requests of at most 1000, one after the other (the outcome must equal
 * applying the rows in order), and merges the 207s with each result's index made global.
 */
export async function runBulk(
  rows: ApiRow[],
  options: {
    auth: StaffAuth;
    dryRun: boolean;
    signal?: AbortSignal;
    onProgress?: (progress: BulkProgress) => void;
    chunkSize?: number;
    send?: typeof bulkUpsert;
  },
): Promise<BulkRun> {
  const size = options.chunkSize ?? MAX_ROWS_PER_REQUEST;
  const send = options.send ?? bulkUpsert;
  const chunks = chunk(rows, size);
  const summary = emptySummary();
  const results: BulkResult[] = [];
  let stoppedBy: BulkRun['stoppedBy'] = null;

  for (let c = 0; c < chunks.length; c++) {
    const offset = c * size;
    options.onProgress?.({ sent: offset, total: rows.length, request: c + 1, requests: chunks.length });
    if (options.signal?.aborted) {
      stoppedBy = 'cancelled';
    } else {
      try {
        const response = await send(chunks[c], options);
        const byIndex = new Map(response.results.map((result) => [result.index, result]));
        chunks[c].forEach((_, i) => {
          const result = byIndex.get(i) ?? notSent(i, 'The server returned no result for this row.');
          results.push({ ...result, index: offset + i });
          summary[result.status] += 1;
        });
        continue;
      } catch (error) {
        if (error instanceof DOMException && error.name === 'AbortError') stoppedBy = 'cancelled';
        else if (error instanceof ApiError) stoppedBy = error;
        else stoppedBy = new ApiError(0, { code: 'network_error', message: String(error), details: {} });
      }
    }
    // Stopped: every row from here on is reported, never silently left out.
    const reason =
      stoppedBy === 'cancelled'
        ? 'Not sent: the import was cancelled.'
        : `Not sent: the request failed (${stoppedBy?.message})`;
    for (let i = offset; i < rows.length; i++) {
      results.push(notSent(i, reason));
      summary.failed += 1;
    }
    break;
  }
  options.onProgress?.({ sent: rows.length, total: rows.length, request: chunks.length, requests: chunks.length });
  return { summary, results, stoppedBy };
}
