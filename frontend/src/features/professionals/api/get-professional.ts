import { queryOptions, useQuery } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import type { ProfessionalDetail } from '@/types/api';

export function getProfessional(id: string, staffKey: string, signal?: AbortSignal) {
  return apiRequest<ProfessionalDetail>(`/professionals/${encodeURIComponent(id)}`, {
    auth: { staffKey },
    signal,
  });
}

export function professionalQueryOptions(id: string, staffKey: string) {
  return queryOptions({
    queryKey: ['staff', 'professional', id],
    queryFn: ({ signal }) => getProfessional(id, staffKey, signal),
    // While a resume is being processed, keep the page current.
    refetchInterval: (query) => {
      const status = query.state.data?.resume?.status;
      return status === 'awaiting_upload' || status === 'processing' ? 3000 : false;
    },
  });
}

export function useProfessional(id: string) {
  const { staffKey } = useStaffAuth();
  return useQuery(professionalQueryOptions(id, staffKey));
}
