import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';
import { formatDateTime } from '@/lib/format';
import type { HistoryAction, HistoryActor, HistoryEntry } from '@/types/api';

import { useHistory } from '../api/get-history';

const ACTIONS: Record<HistoryAction, string> = {
  created: 'Created',
  updated: 'Updated',
  email_verified: 'Email verified',
  resume_ready: 'Resume ready',
  resume_rejected: 'Resume rejected',
  deleted: 'Deleted',
};

const VIA: Record<HistoryEntry['via'], string> = {
  api: 'the console or API',
  bulk: 'a bulk import',
  import: 'an import job',
  self_service: 'self-service',
  resume: 'resume processing',
  purge: 'the purge',
};

const FIELDS: Record<string, string> = {
  full_name: 'Name',
  email: 'Email',
  phone: 'Phone',
  company_name: 'Company',
  job_title: 'Job title',
  source: 'Source',
  email_verified: 'Email verified',
  consent: 'Privacy notice',
  resume: 'Resume',
};

/** Who made a change, as a person reads it. */
export function actorLabel(actor: HistoryActor): string {
  switch (actor.kind) {
    case 'staff':
      return actor.name ?? 'a staff member';
    case 'key':
      return actor.name ? `API key “${actor.name}”` : 'an API key';
    case 'person':
      return 'the person';
    case 'anonymous':
      return 'anonymous sign-up';
    case 'system':
      return `system: ${actor.name ?? 'unknown'}`;
    default:
      return actor.name ?? 'unknown';
  }
}

/**
 * A value of a change. A deleted or erased record's history keeps no values (all null): those
 * read "(removed)"; otherwise null is an empty field.
 */
export function valueLabel(value: unknown, removed: boolean): string {
  if (value === null || value === undefined) return removed ? '(removed)' : '—';
  if (value === '') return '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** The professional's history, newest first, paged with "Load more". */
export function HistoryPanel({ id, changedAt, removed = false }: { id: string; changedAt?: string | null; removed?: boolean }) {
  const query = useHistory(id, changedAt);
  const entries = query.data?.pages.flatMap((page) => page.items) ?? [];
  // A deleted record's entries have no values left.
  const valuesGone = removed || entries.some((entry) => entry.action === 'deleted');

  let body: React.ReactNode;
  if (query.isPending) body = <Spinner label="Loading the history…" />;
  else if (query.isError && !entries.length) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null; // the sign-in gate takes over
    body = (
      <Alert tone="error" title="Could not load the history">
        {error instanceof ApiError && error.status === 404 ? 'There is no history to show for this record.' : error.message}
      </Alert>
    );
  } else if (!entries.length) body = <p className="text-sm text-slate-600">No changes recorded yet.</p>;
  else {
    body = (
      <ol className="divide-y divide-slate-100" aria-label="Changes, newest first">
        {entries.map((entry, index) => (
          <HistoryItem key={`${entry.at}-${index}`} entry={entry} removed={valuesGone} />
        ))}
      </ol>
    );
  }

  return (
    <section aria-labelledby="history-title" className="space-y-4 rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="history-title" className="text-lg font-semibold">
          History
        </h2>
        {query.isSuccess && (
          <Button variant="secondary" size="sm" busy={query.isRefetching && !query.isFetchingNextPage} onClick={() => query.refetch()}>
            Refresh
          </Button>
        )}
      </div>
      {body}
      {query.isFetchNextPageError && (
        <Alert tone="error">{query.error instanceof Error ? query.error.message : 'Could not load more.'}</Alert>
      )}
      {query.hasNextPage && (
        <Button variant="secondary" busy={query.isFetchingNextPage} onClick={() => query.fetchNextPage()}>
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </Button>
      )}
    </section>
  );
}

function HistoryItem({ entry, removed }: { entry: HistoryEntry; removed: boolean }) {
  const fields = Object.entries(entry.changes ?? {});
  return (
    <li className="space-y-2 py-3 text-sm">
      <p>
        <span className="font-semibold">{ACTIONS[entry.action] ?? entry.action}</span>
        {' by '}
        <span className="font-medium break-all">{actorLabel(entry.actor)}</span>
        {VIA[entry.via] && <span className="text-slate-600"> via {VIA[entry.via]}</span>}
        {', '}
        <time dateTime={entry.at} title={entry.at} className="text-slate-600">
          {formatDateTime(entry.at)}
        </time>
      </p>
      {fields.length > 0 && (
        <table className="w-full table-fixed text-left text-xs">
          <caption className="sr-only">
            {ACTIONS[entry.action] ?? entry.action}, {formatDateTime(entry.at)}: fields changed
          </caption>
          <thead className="text-slate-500">
            <tr>
              <th scope="col" className="w-1/4 py-1 pr-2 font-medium">Field</th>
              <th scope="col" className="py-1 pr-2 font-medium">From</th>
              <th scope="col" className="py-1 font-medium">To</th>
            </tr>
          </thead>
          <tbody>
            {fields.map(([field, change]) => (
              <tr key={field} className="align-top">
                <th scope="row" className="py-1 pr-2 font-normal text-slate-700">{FIELDS[field] ?? field}</th>
                <td className="py-1 pr-2 break-words text-slate-600">{valueLabel(change.from, removed)}</td>
                <td className="py-1 break-words text-slate-900">{valueLabel(change.to, removed)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}
