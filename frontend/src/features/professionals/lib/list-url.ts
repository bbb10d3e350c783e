import { listFiltersSchema, SEARCH_FILTERS, type ListFilters } from '../api/get-professionals';

/**
 * The list's state in the URL: its filters, and where in the pages it is. `cursor` is repeated,
 * one for each page after the first up to the one shown (the page number is their count + 1),
 * so that a reload, back and forward, and "← Previous" return to the same pages.
 */
export type ListUrl = { filters: ListFilters; cursors: string[] };

export function readListUrl(params: URLSearchParams): ListUrl {
  const value = (name: string) => params.get(name) || undefined;
  const filters = listFiltersSchema.parse({
    source: value('source'),
    limit: value('limit'),
    // A look-up by email or phone (?lookup=, before search read them) is now a search.
    q: value('q') ?? value('lookup'),
    mode: value('mode'),
    ...Object.fromEntries(SEARCH_FILTERS.map((name) => [name, value(name)])),
  });
  return { filters, cursors: params.getAll('cursor').filter(Boolean) };
}

export function listUrl(filters: ListFilters, cursors: string[] = []): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.mode) params.set('mode', filters.mode);
  if (filters.source) params.set('source', filters.source);
  if (filters.limit !== 25) params.set('limit', String(filters.limit));
  if (filters.q) {
    for (const name of SEARCH_FILTERS) {
      const value = filters[name];
      if (value) params.set(name, value);
    }
  }
  for (const cursor of cursors) params.append('cursor', cursor);
  return params;
}
