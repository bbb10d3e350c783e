import { useMutation, useQueryClient } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import { staffEditSchema } from '@/lib/professional-schema';
import { useStaffAuth } from '@/lib/staff-session';
import type { Professional, ProfessionalDetail } from '@/types/api';

export const updateProfessionalInputSchema = staffEditSchema;

export function updateProfessional(
  { id, body }: { id: string; body: Record<string, string | null> },
  staffKey: string,
): Promise<Professional> {
  return apiRequest<Professional>(`/professionals/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body,
    auth: { staffKey },
  });
}

export function useUpdateProfessional() {
  const { staffKey } = useStaffAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { id: string; body: Record<string, string | null> }) =>
      updateProfessional(input, staffKey),
    onSuccess: (updated) => {
      queryClient.setQueryData<ProfessionalDetail>(['staff', 'professional', updated.id], (previous) =>
        previous ? { ...previous, ...updated } : undefined,
      );
      void queryClient.invalidateQueries({ queryKey: ['staff', 'professionals'] });
    },
  });
}
