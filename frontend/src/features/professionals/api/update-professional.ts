import { useMutation, useQueryClient } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { staffEditSchema } from '@/lib/professional-schema';
import { useStaffAuth } from '@/lib/staff-session';
import type { Professional, ProfessionalDetail } from '@/types/api';

export const updateProfessionalInputSchema = staffEditSchema;

export function updateProfessional(
  { id, body }: { id: string; body: Record<string, string | null> },
  auth: StaffAuth,
): Promise<Professional> {
  return apiRequest<Professional>(`/professionals/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body,
    auth,
  });
}

export function useUpdateProfessional() {
  const { auth } = useStaffAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { id: string; body: Record<string, string | null> }) =>
      updateProfessional(input, auth),
    onSuccess: (updated) => {
      queryClient.setQueryData<ProfessionalDetail>(['staff', 'professional', updated.id], (previous) =>
        previous ? { ...previous, ...updated } : undefined,
      );
      void queryClient.invalidateQueries({ queryKey: ['staff', 'professionals'] });
    },
  });
}
