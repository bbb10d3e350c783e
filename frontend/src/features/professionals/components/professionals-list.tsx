import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { SelectField } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';
import { SOURCES, type SearchMode } from '@/types/api';

import {
  PAGE_SIZES,
  SEARCH_FILTERS,
  searchHint,
  useProfessionals,
  type ListFilters,
  type SearchResultPage,
} from '../api/get-professionals';
import { listUrl, readListUrl } from '../lib/list-url';

import { ProfessionalsTable } from './professionals-table';
import { SearchBox } from './search-box';
import { SearchFilters } from './search-filters';
import { MEANING_UNAVAILABLE } from './search-mode';
import { SearchResults } from './search-results';

/**
 * The console's home: newest first, or a search (a name, a word, a whole email or phone number)
 * with its filters; filters and the page shown in the URL, pages through `next_cursor`.
 */
export function ProfessionalsList() {
  const [searchParams, setSearchParams] = useSearchParams();
  const { filters, cursors } = readListUrl(searchParams);
  const location = useLocation();
  const navigate = useNavigate();
  // A one-time message handed over by the previous screen (e.g. after a delete): shown once,
  // then dropped from the history entry so a reload or a return does not show it again.
  const [flash] = useState((location.state as { flash?: string } | null)?.flash);
  useEffect(() => {
    if (location.state) navigate(`${location.pathname}${location.search}`, { replace: true, state: null });
  }, [location, navigate]);

  // New filters start again from the first page.
  const update = (next: Partial<ListFilters>, { replace = false } = {}) =>
    setSearchParams(listUrl({ ...filters, ...next }), { replace });
  const searchMode: SearchMode = filters.mode ?? 'keyword';
  const setSearchMode = (next: SearchMode) => update({ mode: next === 'keyword' ? undefined : next });
  // Another kind of list, or another kind of search, starts afresh: results found by keyword are
  // not shown (dimmed) while those found by meaning load.
  const view = filters.q ? `search-${searchMode}` : 'list';

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Professionals</h1>
      </div>
      {flash && <Alert tone="success">{flash}</Alert>}
      <SearchBox
        committed={filters.q ?? ''}
        onSearch={(q, options) => update({ q: q || undefined }, options)}
        mode={searchMode}
        onMode={setSearchMode}
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
        {filters.q && <SearchFilters filters={filters} onChange={(next) => update(next)} />}
      </div>
      {/* Within one mode, the results shown stay (dimmed) while the next ones load. */}
      <ProfessionalsPages
        key={view}
        filters={filters}
        cursors={cursors}
        onPage={(next) => setSearchParams(listUrl(filters, next))}
        onKeywords={() => setSearchMode('keyword')}
      />
    </div>
  );
}

/** What the filters add to a summary: ["source partner", "with a ready resume", …]. */
function filtersSaid(filters: ListFilters): string[] {
  return [
    filters.source && `source ${filters.source}`,
    filters.has_resume && (filters.has_resume === 'true' ? 'a ready resume' : 'no ready resume'),
    filters.email_verified && (filters.email_verified === 'true' ? 'a verified email' : 'an unverified email'),
    filters.created_from && `created from ${filters.created_from}`,
    filters.created_until && `created on or before ${filters.created_until}`,
  ].filter((said): said is string => Boolean(said));
}

// How a 400's field is named in the hint shown for it.
const FIELD_NAMES: Record<string, string> = {
  q: '',
  mode: 'Search by: ',
  has_resume: 'Ready resume: ',
  email_verified: 'Email verified: ',
  created_from: 'Created from: ',
  created_to: 'Created on or before: ',
};

type PagesProps = {
  filters: ListFilters;
  /** The cursors of the pages after the first, up to the one shown (from the URL). */
  cursors: string[];
  onPage: (cursors: string[]) => void;
  /** Back to keyword search (offered when search by meaning is unavailable). */
  onKeywords: () => void;
};

function ProfessionalsPages({ filters, cursors, onPage, onKeywords }: PagesProps) {
  const searchMode: SearchMode = filters.mode ?? 'keyword';
  const byMeaning = searchMode !== 'keyword';
  const page = cursors.length + 1;
  const query = useProfessionals({ ...filters, cursor: cursors.at(-1) ?? null });
  const data = query.data;
  const tableTop = useRef<HTMLDivElement>(null);
  // While the next page (or the next search) loads, the previous one stays on screen (dimmed)
  // under its own number and with its own highlights. Responses to older requests never show:
  // each request has its own cache entry, and the one shown is the newest one's.
  const shown = useRef({ page: 1, q: filters.q ?? '' });
  if (data && !query.isPlaceholderData) shown.current = { page, q: filters.q ?? '' };
  const displayed = shown.current.page;

  const go = (next: string[]) => {
    onPage(next);
    tableTop.current?.focus();
  };

  // A search the API would refuse (too short, too long, a bad filter) is a hint, not a failure.
  const hint = (text: string) => (
    <Alert tone="info" title="Nothing was searched.">
      {text}
    </Alert>
  );
  const refused = filters.q ? searchHint(filters.q, searchMode) : null;
  if (refused) return hint(refused);
  if (query.isPending) return <Spinner label={filters.q ? 'Searching…' : 'Loading professionals…'} />;
  if (query.isError && !data) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null; // the sign-in gate takes over
    const field = error instanceof ApiError && error.status === 400 ? Object.keys(FIELD_NAMES).find((name) => error.fields[name]) : undefined;
    if (error instanceof ApiError && field) {
      return hint(`${FIELD_NAMES[field]}${error.fields[field][0] ?? error.message}`);
    }
    // A page's cursor from an old URL (another query, a rotated secret): the first page still works.
    const stale = error instanceof ApiError && error.status === 400 && cursors.length > 0;
    if (filters.q && byMeaning && error instanceof ApiError && error.status === 503) {
      return (
        <Alert tone="error" title={MEANING_UNAVAILABLE}>
          <div className="mt-1 flex flex-wrap gap-2">
            <Button size="sm" variant="secondary" onClick={onKeywords}>
              Search by keywords
            </Button>
            <Button size="sm" variant="secondary" onClick={() => void query.refetch()}>
              Try again
            </Button>
          </div>
        </Alert>
      );
    }
    return (
      <Alert tone="error" title={stale ? 'This page cannot be shown any more.' : filters.q ? 'The search failed.' : 'The list could not be loaded.'}>
        <p>{error instanceof ApiError ? error.message : 'Something went wrong.'}</p>
        {stale ? (
          <Button size="sm" variant="secondary" className="mt-2" onClick={() => go([])}>
            Go to the first page
          </Button>
        ) : (
          <Button size="sm" variant="secondary" className="mt-2" onClick={() => void query.refetch()}>
            Try again
          </Button>
        )}
      </Alert>
    );
  }
  const items = data?.items ?? [];
  const more = Boolean(data?.next_cursor);
  const said = filtersSaid(filters);
  const suggestion = data && 'suggestion' in data ? (data as SearchResultPage).suggestion : null;
  let summary: string;
  if (filters.q) {
    const q = `“${shown.current.q}”${said.length ? `, ${said.join(', ')}` : ''}`;
    // Search pages may be short (8.3: a page's request budget, filters), so they are counted, not numbered.
    if (items.length) summary = `Page ${displayed}: ${items.length} ${items.length === 1 ? 'result' : 'results'} for ${q}.`;
    else if (more) summary = `Page ${displayed}: nothing on this page for ${q}; more may follow on the next.`;
    else if (displayed > 1) summary = `Page ${displayed}: no more results for ${q}.`;
    else if (searchMode === 'semantic') summary = `No resume is close in meaning to “${filters.q}”${said.length ? ` with ${said.join(', ')}` : ''}.`;
    else summary = `No professional matches “${filters.q}”${said.length ? ` with ${said.join(', ')}` : ''}.`;
  } else if (items.length) {
    const from = (displayed - 1) * filters.limit + 1;
    summary = `Page ${displayed}: professionals ${from} to ${from + items.length - 1}${said.length ? `, ${said.join(', ')}` : ''}.`;
  } else {
    summary = 'No professionals match this filter.';
  }
  const busy = query.isPlaceholderData;
  const filtered = SEARCH_FILTERS.some((name) => filters[name]);

  return (
    <div className="space-y-3">
      <div ref={tableTop} tabIndex={-1} aria-live="polite" className="text-sm text-slate-700 focus:outline-none">
        {query.isFetching ? (filters.q ? 'Searching…' : 'Loading…') : summary}
      </div>
      {filters.q && items.length === 0 && !more && page === 1 && !query.isFetching && (
        <>
          {suggestion && (
            <p className="text-base text-slate-900">
              Did you mean{' '}
              <Link
                to={{ search: `?${listUrl({ ...filters, q: suggestion })}` }}
                className="rounded font-semibold text-blue-800 underline underline-offset-2 focus-visible:outline-3 focus-visible:outline-blue-600"
              >
                {suggestion}
              </Link>
              ?
            </p>
          )}
          <p className="text-sm text-slate-600">
            {searchMode === 'semantic'
              ? 'Only professionals with a ready resume are found by meaning; for names, emails and phones, search by keywords'
              : searchMode === 'hybrid'
                ? 'Check the spelling, or describe the experience in other words'
                : 'Every word typed must match. Check the spelling, use fewer words'}
            {filters.source || filtered ? ', or search with fewer filters' : ''}.
          </p>
        </>
      )}
      {items.length > 0 &&
        (filters.q ? (
          <SearchResults items={items} q={shown.current.q} caption={`Search results, page ${displayed}`} busy={busy} />
        ) : (
          <ProfessionalsTable items={items} caption={`Professionals, page ${displayed}`} busy={busy} />
        ))}
      {/* A search that fits on one page needs no pager. */}
      {!(filters.q && page === 1 && !more) && (
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
