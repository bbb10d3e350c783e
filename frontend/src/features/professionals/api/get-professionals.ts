import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { apiRequest } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import { SOURCES, type ProfessionalPage, type SearchPage } from '@/types/api';

import { queryTerms } from '../lib/search-text';

export const PAGE_SIZES = [25, 50, 100] as const;

/** The list's filters as they appear in the URL (?source=&limit=&q=&lookup=). */
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
    /** An email or a phone number to look one person up by (the API normalises it). */
    lookup: z.string().trim().max(254).optional().catch(undefined),
  })
  // The API refuses q with email or phone; a search wins.
  .transform((filters) => (filters.q ? { ...filters, lookup: undefined } : filters));
export type ListFilters = z.infer<typeof listFiltersSchema>;

export type ListParams = ListFilters & { cursor: string | null };

/** A search needs a term of two or more letters or digits; without one the API answers 400. */
export const isSearchable = (q: string) => queryTerms(q).length > 0;

export function getProfessionals(
  { source, limit, cursor, q, lookup }: ListParams,
  staffKey: string,
  signal?: AbortSignal,
): Promise<ProfessionalPage | SearchPage> {
  const found = lookup ? (lookup.includes('@') ? { email: lookup } : { phone: lookup }) : {};
  return apiRequest<ProfessionalPage | SearchPage>('/professionals', {
    query: { limit, source, cursor: lookup ? null : cursor, q, ...found },
    auth: { staffKey },
    signal,
  });
}

export function professionalsQueryOptions(params: ListParams, staffKey: string) {
  return queryOptions({
    queryKey: ['staff', 'professionals', params],
    // The signal cancels a request nobody waits for any more (an older search while typing).
    queryFn: ({ signal }) => getProfessionals(params, staffKey, signal),
    placeholderData: keepPreviousData,
    enabled: !params.q || isSearchable(params.q),
  });
}

export function useProfessionals(params: ListParams) {
  const { staffKey } = useStaffAuth();
  return useQuery(professionalsQueryOptions(params, staffKey));
}
