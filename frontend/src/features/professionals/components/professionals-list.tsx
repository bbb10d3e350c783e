import { useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { SelectField, TextField } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';
import { SOURCES } from '@/types/api';

import { isSearchable, listFiltersSchema, PAGE_SIZES, useProfessionals, type ListFilters } from '../api/get-professionals';

import { ProfessionalsTable } from './professionals-table';
import { SearchBox } from './search-box';
import { SearchResults } from './search-results';

/**
 * The console's home: newest first, or a search, or a look-up by email or phone; filters in the
 * URL, pages through `next_cursor`.
 */
export function ProfessionalsList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = listFiltersSchema.parse({
    source: searchParams.get('source') ?? undefined,
    limit: searchParams.get('limit') ?? undefined,
    q: searchParams.get('q') || undefined,
    lookup: searchParams.get('lookup') || undefined,
  });
  const location = useLocation();
  const navigate = useNavigate();
  // A one-time message handed over by the previous screen (e.g. after a delete): shown once,
  // then dropped from the history entry so a reload or a return does not show it again.
  const [flash] = useState((location.state as { flash?: string } | null)?.flash);
  useEffect(() => {
    if (location.state) navigate(`${location.pathname}${location.search}`, { replace: true, state: null });
  }, [location, navigate]);

  const update = (next: Partial<ListFilters>, { replace = false } = {}) => {
    const merged = { ...filters, ...next };
    const params = new URLSearchParams();
    if (merged.q) params.set('q', merged.q);
    if (merged.source) params.set('source', merged.source);
    if (merged.limit !== 25) params.set('limit', String(merged.limit));
    if (merged.lookup) params.set('lookup', merged.lookup);
    setSearchParams(params, { replace });
  };
  const mode = filters.q ? 'search' : filters.lookup ? 'lookup' : 'list';

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Professionals</h1>
      </div>
      {flash && <Alert tone="success">{flash}</Alert>}
      <SearchBox
        committed={filters.q ?? ''}
        onSearch={(q, options) => update({ q: q || undefined, lookup: undefined }, options)}
      />
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
        <LookupForm initial={filters.lookup ?? ''} onLookup={(lookup) => update({ lookup: lookup || undefined, q: undefined })} />
      </div>
      {/* Within one mode, the results shown stay (dimmed) while the next ones load. */}
      <ProfessionalsPages key={mode} filters={filters} />
    </div>
  );
}

function LookupForm({ initial, onLookup }: { initial: string; onLookup: (q: string) => void }) {
  const [value, setValue] = useState(initial);
  useEffect(() => setValue(initial), [initial]);
  return (
    <form
      role="search"
      aria-label="Look up by email or phone"
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
  // The cursors of the pages visited so far (the last one is the page shown), for these filters:
  // new filters start again from the first page.
  const filterKey = JSON.stringify(filters);
  const [paging, setPaging] = useState({ filterKey, cursors: [null] as (string | null)[] });
  if (paging.filterKey !== filterKey) setPaging({ filterKey, cursors: [null] });
  const cursors = paging.filterKey === filterKey ? paging.cursors : [null];
  const page = cursors.length;
  const query = useProfessionals({ ...filters, cursor: cursors[page - 1] });
  const data = query.data;
  const tableTop = useRef<HTMLDivElement>(null);
  // While the next page (or the next search) loads, the previous one stays on screen (dimmed)
  // under its own number and with its own highlights. Responses to older requests never show:
  // each request has its own cache entry, and the one shown is the newest one's.
  const shown = useRef({ page: 1, q: filters.q ?? '' });
  if (data && !query.isPlaceholderData) shown.current = { page, q: filters.q ?? '' };
  const displayed = shown.current.page;

  const go = (next: (string | null)[]) => {
    setPaging({ filterKey, cursors: next });
    tableTop.current?.focus();
  };

  // A search the API would refuse (too short, too long) is a hint, not a failure.
  const searchHint = (text: string) => (
    <Alert tone="info" title="Nothing was searched.">
      {text}
    </Alert>
  );
  if (filters.q && !isSearchable(filters.q)) {
    return searchHint('Type at least one word of two or more letters or digits.');
  }
  if (query.isPending) return <Spinner label={filters.q ? 'Searching…' : 'Loading professionals…'} />;
  if (query.isError && !data) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null; // the key gate takes over
    if (error instanceof ApiError && error.status === 400 && error.fields.q) {
      return searchHint(error.fields.q[0] ?? error.message);
    }
    return (
      <Alert tone="error" title={filters.q ? 'The search failed.' : 'The list could not be loaded.'}>
        <p>{error instanceof ApiError ? error.message : 'Something went wrong.'}</p>
        <Button size="sm" variant="secondary" className="mt-2" onClick={() => void query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  }
  const items = data?.items ?? [];
  const from = (displayed - 1) * filters.limit + 1;
  const to = from + items.length - 1;
  const withSource = filters.source ? `, source ${filters.source}` : '';
  let summary: string;
  if (filters.q) {
    summary = items.length
      ? `Page ${displayed}: results ${from} to ${to} for “${shown.current.q}”${withSource}.`
      : `No professional matches “${filters.q}”${filters.source ? ` with source ${filters.source}` : ''}.`;
  } else if (items.length) {
    summary = `Page ${displayed}: professionals ${from} to ${to}${withSource}.`;
  } else {
    summary = filters.lookup ? `No professional has the email or phone “${filters.lookup}”.` : 'No professionals match this filter.';
  }
  const busy = query.isPlaceholderData;

  return (
    <div className="space-y-3">
      <div ref={tableTop} tabIndex={-1} aria-live="polite" className="text-sm text-slate-700 focus:outline-none">
        {query.isFetching ? (filters.q ? 'Searching…' : 'Loading…') : summary}
      </div>
      {filters.q && items.length === 0 && !query.isFetching && (
        <p className="text-sm text-slate-600">
          Every word typed must match. Check the spelling, use fewer words
          {filters.source ? ', or search all sources' : ''}.
        </p>
      )}
      {items.length > 0 &&
        (filters.q ? (
          <SearchResults items={items} q={shown.current.q} caption={`Search results, page ${displayed}`} busy={busy} />
        ) : (
          <ProfessionalsTable items={items} caption={`Professionals, page ${displayed}`} busy={busy} />
        ))}
      {/* A look-up finds one person at most; a search that fits on one page needs no pager. */}
      {!filters.lookup && !(filters.q && page === 1 && !data?.next_cursor) && (
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
