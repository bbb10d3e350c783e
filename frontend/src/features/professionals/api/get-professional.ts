import { queryOptions, useQuery } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import type { ProfessionalDetail } from '@/types/api';

export function getProfessional(id: string, auth: StaffAuth, signal?: AbortSignal) {
  return apiRequest<ProfessionalDetail>(`/professionals/${encodeURIComponent(id)}`, {
    auth,
    signal,
  });
}

export function professionalQueryOptions(id: string, auth: StaffAuth) {
  return queryOptions({
    queryKey: ['staff', 'professional', id],
    queryFn: ({ signal }) => getProfessional(id, auth, signal),
    // While a resume is being processed, keep the page current.
    refetchInterval: (query) => {
      const status = query.state.data?.resume?.status;
      return status === 'awaiting_upload' || status === 'processing' ? 3000 : false;
    },
  });
}

export function useProfessional(id: string) {
  const { auth } = useStaffAuth();
  return useQuery(professionalQueryOptions(id, auth));
}
