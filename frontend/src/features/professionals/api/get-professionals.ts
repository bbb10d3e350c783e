import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import { SOURCES, type ProfessionalPage, type SearchHit, type SearchMatch, type SearchMode } from '@/types/api';

import { queryTerms } from '../lib/search-text';

export const PAGE_SIZES = [25, 50, 100] as const;

const flag = z.enum(['true', 'false']).optional().catch(undefined);
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine(isDay)
  .optional()
  .catch(undefined);

/** The filters of a search (contract 8.3): only with q. */
export const SEARCH_FILTERS = ['has_resume', 'email_verified', 'created_from', 'created_until'] as const;

/** By meaning and hybrid take q of 3..500 characters (contract 8.4). */
export const MEANING_MIN_CHARS = 3;
export const MEANING_MAX_CHARS = 500;

/**
 * The list's filters as they appear in the URL (?q=&mode=&source=&limit=&has_resume=&email_verified=
 * &created_from=&created_until=). `mode` is absent for keyword search, the default; it stays in
 * the URL without q, so the choice made before typing holds. `created_until` is the last day wanted (inclusive), as staff
 * choose it; the API's `created_to` is exclusive, so it is sent the day after.
 */
export const listFiltersSchema = z
  .object({
    source: z.enum(SOURCES).optional().catch(undefined),
    limit: z.coerce
      .number()
      .int()
      .refine((n) => (PAGE_SIZES as readonly number[]).includes(n))
      .catch(25),
    /** Search text (docs/api.md, Search); the server has the final word on its length and terms. */
    q: z.string().trim().optional().catch(undefined),
    mode: z.enum(['semantic', 'hybrid'] satisfies SearchMode[]).optional().catch(undefined),
    has_resume: flag,
    email_verified: flag,
    created_from: day,
    created_until: day,
  })
  // The API refuses the search filters without q.
  .transform((filters) =>
    filters.q ? filters : { ...filters, ...Object.fromEntries(SEARCH_FILTERS.map((name) => [name, undefined])) },
  );
export type ListFilters = z.infer<typeof listFiltersSchema>;

export type ListParams = ListFilters & { cursor: string | null };

/** A search result; `typo` and a page's `suggestion` are sent by newer APIs only (8.3, Typos). */
export type SearchResultItem = SearchHit & { match: SearchMatch & { typo?: boolean } };
export type SearchResultPage = { items: SearchResultItem[]; next_cursor: string | null; suggestion?: string | null };

/** Characters as the API counts them (code points, not UTF-16 units). */
export const charCount = (text: string) => Array.from(text).length;

/**
 * Why the API would refuse this search, or null: a keyword search needs a term of two or more
 * letters or digits; by meaning and hybrid take 3..500 characters (contract 8.4).
 */
export function searchHint(q: string, mode: SearchMode = 'keyword'): string | null {
  if (mode === 'keyword') return queryTerms(q).length > 0 ? null : 'Type at least one word of two or more letters or digits.';
  const count = charCount(q);
  if (count < MEANING_MIN_CHARS) return `Type at least ${MEANING_MIN_CHARS} characters to search by meaning.`;
  if (count > MEANING_MAX_CHARS) return `A search by meaning takes at most ${MEANING_MAX_CHARS} characters; this one has ${count}.`;
  return null;
}

export const isSearchable = (q: string, mode: SearchMode = 'keyword') => searchHint(q, mode) === null;

function isDay(text: string): boolean {
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

/** The day after a YYYY-MM-DD day (UTC), as YYYY-MM-DD. */
export function nextDay(text: string): string {
  const date = new Date(`${text}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

export function getProfessionals(
  { source, limit, cursor, q, mode, has_resume, email_verified, created_from, created_until }: ListParams,
  auth: StaffAuth,
  signal?: AbortSignal,
): Promise<ProfessionalPage | SearchResultPage> {
  const filters = q
    ? { mode, has_resume, email_verified, created_from, created_to: created_until && nextDay(created_until) }
    : {};
  return apiRequest<ProfessionalPage | SearchResultPage>('/professionals', {
    query: { limit, source, cursor, q, ...filters },
    auth,
    signal,
  });
}

export function professionalsQueryOptions(params: ListParams, auth: StaffAuth) {
  return queryOptions({
    queryKey: ['staff', 'professionals', params],
    // The signal cancels a request nobody waits for any more (an older search while typing).
    queryFn: ({ signal }) => getProfessionals(params, auth, signal),
    placeholderData: keepPreviousData,
    enabled: !params.q || isSearchable(params.q, params.mode),
  });
}

export function useProfessionals(params: ListParams) {
  const { auth } = useStaffAuth();
  return useQuery(professionalsQueryOptions(params, auth));
}
