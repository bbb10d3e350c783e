import { queryOptions, useQuery } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import type { SimilarPage } from '@/types/api';

export function getSimilar(id: string, auth: StaffAuth, signal?: AbortSignal) {
  return apiRequest<SimilarPage>(`/professionals/${encodeURIComponent(id)}/similar`, { auth, signal });
}

/**
 * Up to 10 professionals whose resumes are nearest in meaning to this one's (contract 8.4).
 * `resumeAt` (the resume's `processed_at`) is in the key, so a resume that becomes ready, or is
 * replaced, while the page is open asks again.
 */
export function similarQueryOptions(id: string, auth: StaffAuth, resumeAt?: string | null) {
  return queryOptions({
    queryKey: ['staff', 'similar', id, resumeAt ?? null],
    queryFn: ({ signal }) => getSimilar(id, auth, signal),
  });
}

export function useSimilar(id: string, resumeAt?: string | null) {
  const { auth } = useStaffAuth();
  return useQuery(similarQueryOptions(id, auth, resumeAt));
}
