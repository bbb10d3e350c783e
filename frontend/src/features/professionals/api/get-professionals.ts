import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { apiRequest } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import { SOURCES, type ProfessionalPage } from '@/types/api';

export const PAGE_SIZES = [25, 50, 100] as const;

/** The list's filters as they appear in the URL (?source=&limit=). */
export const listFiltersSchema = z.object({
  source: z.enum(SOURCES).optional().catch(undefined),
  limit: z.coerce
    .number()
    .int()
    .refine((n) => (PAGE_SIZES as readonly number[]).includes(n))
    .catch(25),
  /** An email or a phone number to look one person up by (the API normalises it). */
  q: z.string().trim().max(254).optional().catch(undefined),
});
export type ListFilters = z.infer<typeof listFiltersSchema>;

export type ListParams = ListFilters & { cursor: string | null };

export function getProfessionals(
  { source, limit, cursor, q }: ListParams,
  staffKey: string,
  signal?: AbortSignal,
): Promise<ProfessionalPage> {
  const lookup = q ? (q.includes('@') ? { email: q } : { phone: q }) : {};
  return apiRequest<ProfessionalPage>('/professionals', {
    query: { limit, source, cursor: q ? null : cursor, ...lookup },
    auth: { staffKey },
    signal,
  });
}

export function professionalsQueryOptions(params: ListParams, staffKey: string) {
  return queryOptions({
    queryKey: ['staff', 'professionals', params],
    queryFn: ({ signal }) => getProfessionals(params, staffKey, signal),
    placeholderData: keepPreviousData,
  });
}

export function useProfessionals(params: ListParams) {
  const { staffKey } = useStaffAuth();
  return useQuery(professionalsQueryOptions(params, staffKey));
}
