import { queryOptions, useQuery } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import { isFinal } from '@/lib/resume';
import type { ProfessionalDetail } from '@/types/api';

export type SignupRef = { id: string; token: string };

export function getOwnProfessional({ id, token }: SignupRef): Promise<ProfessionalDetail> {
  return apiRequest<ProfessionalDetail>(`/professionals/${encodeURIComponent(id)}`, {
    auth: { token },
  });
}

/** The person's own record, read with their access token; one cache entry per person. */
export const ownProfessionalKey = (id: string) => ['signup', id, 'status'] as const;

/** The record as /me shows it: read on opening, then kept fresh by the resume tracker's polling. */
export function ownProfessionalQueryOptions(ref: SignupRef) {
  return queryOptions({
    queryKey: ownProfessionalKey(ref.id),
    queryFn: () => getOwnProfessional(ref),
    staleTime: 0,
  });
}

export const POLL_FAST_MS = 1000;
export const POLL_SLOW_MS = 5000;
/** After this long without a final status, poll less often and tell the person they may leave. */
export const SLOW_AFTER_MS = 90_000;

export function signupStatusQueryOptions(ref: SignupRef, pollSince: number | null) {
  return queryOptions({
    queryKey: ownProfessionalKey(ref.id),
    queryFn: () => getOwnProfessional(ref),
    enabled: pollSince !== null,
    staleTime: 0,
    refetchInterval: (query) => {
      if (pollSince === null || isFinal(query.state.data?.resume)) return false;
      return Date.now() - pollSince > SLOW_AFTER_MS ? POLL_SLOW_MS : POLL_FAST_MS;
    },
    refetchIntervalInBackground: true,
  });
}

/** Follows the resume's processing with the sign-up's access token until ready or rejected. */
export function useSignupStatus(ref: SignupRef, pollSince: number | null) {
  return useQuery(signupStatusQueryOptions(ref, pollSince));
}
