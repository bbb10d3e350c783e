import { useMutation } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import type { ResumeDownload } from '@/types/api';

/** A short-lived presigned GET; asked for at click time, never cached. */
export function getResumeDownload(id: string, auth: StaffAuth): Promise<ResumeDownload> {
  return apiRequest<ResumeDownload>(`/professionals/${encodeURIComponent(id)}/resume`, {
    auth,
  });
}

export function useResumeDownload() {
  const { auth } = useStaffAuth();
  return useMutation({ mutationFn: (id: string) => getResumeDownload(id, auth) });
}
