import { useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { SelectField, TextField } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';
import { SOURCES } from '@/types/api';

import { listFiltersSchema, PAGE_SIZES, useProfessionals, type ListFilters } from '../api/get-professionals';

import { ProfessionalsTable } from './professionals-table';

/** The console's home: filters in the URL, pages through `next_cursor`, newest first. */
export function ProfessionalsList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = listFiltersSchema.parse({
    source: searchParams.get('source') ?? undefined,
    limit: searchParams.get('limit') ?? undefined,
    q: searchParams.get('q') || undefined,
  });
  const location = useLocation();
  const navigate = useNavigate();
  // A one-time message handed over by the previous screen (e.g. after a delete): shown once,
  // then dropped from the history entry so a reload or a return does not show it again.
  const [flash] = useState((location.state as { flash?: string } | null)?.flash);
  useEffect(() => {
    if (location.state) navigate(`${location.pathname}${location.search}`, { replace: true, state: null });
  }, [location, navigate]);

  const update = (next: Partial<ListFilters>) => {
    const merged = { ...filters, ...next };
    const params = new URLSearchParams();
    if (merged.source) params.set('source', merged.source);
    if (merged.limit !== 25) params.set('limit', String(merged.limit));
    if (merged.q) params.set('q', merged.q);
    setSearchParams(params);
  };

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Professionals</h1>
      </div>
      {flash && <Alert tone="success">{flash}</Alert>}
      <div className="flex flex-wrap items-end gap-4 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
        <SelectField
          label="Source"
          value={filters.source ?? ''}
          onChange={(event) =>
            update({ source: (event.target.value || undefined) as ListFilters['source'] })
          }
          className="w-40"
        >
          <option value="">All sources</option>
          {SOURCES.map((source) => (
            <option key={source} value={source}>
              {source[0].toUpperCase() + source.slice(1)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Rows per page"
          value={filters.limit}
          onChange={(event) => update({ limit: Number(event.target.value) })}
          className="w-32"
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </SelectField>
        <LookupForm initial={filters.q ?? ''} onLookup={(q) => update({ q: q || undefined })} />
      </div>
      <ProfessionalsPages key={`${filters.source}|${filters.limit}|${filters.q}`} filters={filters} />
    </div>
  );
}

function LookupForm({ initial, onLookup }: { initial: string; onLookup: (q: string) => void }) {
  const [value, setValue] = useState(initial);
  useEffect(() => setValue(initial), [initial]);
  return (
    <form
      role="search"
      className="flex flex-1 flex-wrap items-end gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        onLookup(value.trim());
      }}
    >
      <TextField
        label="Find by email or phone"
        type="search"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        placeholder="ada@example.com or +1 415 555 0123"
        className="min-w-56 flex-1"
      />
      <Button type="submit" variant="secondary">
        Find
      </Button>
      {initial && (
        <Button variant="ghost" onClick={() => onLookup('')}>
          Clear
        </Button>
      )}
    </form>
  );
}

function ProfessionalsPages({ filters }: { filters: ListFilters }) {
  // The cursors of the pages visited so far; the last one is the page shown.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length;
  const query = useProfessionals({ ...filters, cursor: cursors[page - 1] });
  const data = query.data;
  const tableTop = useRef<HTMLDivElement>(null);
  // While the next page loads, the previous one stays on screen (dimmed) under its own number.
  const shownPage = useRef(1);
  if (data && !query.isPlaceholderData) shownPage.current = page;
  const displayed = shownPage.current;

  const go = (next: (string | null)[]) => {
    setCursors(next);
    tableTop.current?.focus();
  };

  if (query.isPending) return <Spinner label="Loading professionals…" />;
  if (query.isError && !data) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null; // the key gate takes over
    return (
      <Alert tone="error" title="The list could not be loaded.">
        <p>{error instanceof ApiError ? error.message : 'Something went wrong.'}</p>
        <Button size="sm" variant="secondary" className="mt-2" onClick={() => void query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  }
  const items = data?.items ?? [];
  const from = (displayed - 1) * filters.limit + 1;
  const summary = items.length
    ? `Page ${displayed}: professionals ${from} to ${from + items.length - 1}${filters.source ? `, source ${filters.source}` : ''}.`
    : filters.q
      ? `No professional has the email or phone “${filters.q}”.`
      : 'No professionals match this filter.';

  return (
    <div className="space-y-3">
      <div ref={tableTop} tabIndex={-1} aria-live="polite" className="text-sm text-slate-700 focus:outline-none">
        {query.isFetching ? 'Loading…' : summary}
      </div>
      {items.length > 0 && (
        <ProfessionalsTable items={items} caption={`Professionals, page ${displayed}`} busy={query.isPlaceholderData} />
      )}
      {!filters.q && (
        <nav aria-label="Pages" className="flex items-center justify-between gap-2">
          <Button variant="secondary" disabled={page === 1 || query.isFetching} onClick={() => go(cursors.slice(0, -1))}>
            ← Previous
          </Button>
          <span className="text-sm text-slate-600">Page {page}</span>
          <Button
            variant="secondary"
            disabled={!data?.next_cursor || query.isFetching}
            onClick={() => data?.next_cursor && go([...cursors, data.next_cursor])}
          >
            Next →
          </Button>
        </nav>
      )}
    </div>
  );
}
