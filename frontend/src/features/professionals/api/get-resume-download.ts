import { useMutation } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';
import type { ResumeDownload } from '@/types/api';

/** A short-lived presigned GET; asked for at click time, never cached. */
export function getResumeDownload(id: string, staffKey: string): Promise<ResumeDownload> {
  return apiRequest<ResumeDownload>(`/professionals/${encodeURIComponent(id)}/resume`, {
    auth: { staffKey },
  });
}

export function useResumeDownload() {
  const { staffKey } = useStaffAuth();
  return useMutation({ mutationFn: (id: string) => getResumeDownload(id, staffKey) });
}
