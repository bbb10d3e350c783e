import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import { SOURCES, type ProfessionalPage, type SearchHit, type SearchMatch } from '@/types/api';

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

/**
 * The list's filters as they appear in the URL (?q=&source=&limit=&has_resume=&email_verified=
 * &created_from=&created_until=). `created_until` is the last day wanted (inclusive), as staff
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

/** A search needs a term of two or more letters or digits; without one the API answers 400. */
export const isSearchable = (q: string) => queryTerms(q).length > 0;

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
  { source, limit, cursor, q, has_resume, email_verified, created_from, created_until }: ListParams,
  auth: StaffAuth,
  signal?: AbortSignal,
): Promise<ProfessionalPage | SearchResultPage> {
  const filters = q
    ? { has_resume, email_verified, created_from, created_to: created_until && nextDay(created_until) }
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
    enabled: !params.q || isSearchable(params.q),
  });
}

export function useProfessionals(params: ListParams) {
  const { auth } = useStaffAuth();
  return useQuery(professionalsQueryOptions(params, auth));
}
