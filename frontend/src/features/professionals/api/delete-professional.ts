import { useMutation, useQueryClient } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';

export function deleteProfessional(id: string, staffKey: string): Promise<void> {
  return apiRequest<void>(`/professionals/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    auth: { staffKey },
  });
}

export function useDeleteProfessional() {
  const { staffKey } = useStaffAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => deleteProfessional(id, staffKey),
    onSuccess: (_, id) => {
      queryClient.removeQueries({ queryKey: ['staff', 'professional', id] });
      void queryClient.invalidateQueries({ queryKey: ['staff', 'professionals'] });
    },
  });
}
