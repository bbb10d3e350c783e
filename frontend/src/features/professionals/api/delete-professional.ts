import { useMutation, useQueryClient } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';

export function deleteProfessional(id: string, auth: StaffAuth): Promise<void> {
  return apiRequest<void>(`/professionals/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    auth,
  });
}

export function useDeleteProfessional() {
  const { auth } = useStaffAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteProfessional(id, auth),
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: ['staff', 'professional', id] });
      void queryClient.invalidateQueries({ queryKey: ['staff', 'professionals'] });
    },
  });
}
