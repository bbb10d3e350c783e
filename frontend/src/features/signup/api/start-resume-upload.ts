import { useMutation } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import type { ResumeDescriptor, ResumeUploadResponse } from '@/types/api';

import type { SignupRef } from './get-signup-status';

/** A new upload attempt for the same person: a fresh presigned POST. */
export function startResumeUpload({
  ref,
  resume,
}: {
  ref: SignupRef;
  resume: ResumeDescriptor;
}): Promise<ResumeUploadResponse> {
  return apiRequest<ResumeUploadResponse>(`/professionals/${encodeURIComponent(ref.id)}/resume`, {
    method: 'POST',
    body: resume,
    auth: { token: ref.token },
  });
}

export function useStartResumeUpload() {
  return useMutation({ mutationFn: startResumeUpload });
}
