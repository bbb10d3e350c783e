import { useMutation } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import type { ProfessionalPage } from '@/types/api';

/** A key is good for the console when it can list professionals (staff only). */
export async function verifyStaffKey(staffKey: string): Promise<void> {
  await apiRequest<ProfessionalPage>('/professionals', { query: { limit: 1 }, auth: { staffKey } });
}

export function useVerifyStaffKey() {
  return useMutation({ mutationFn: verifyStaffKey });
}
