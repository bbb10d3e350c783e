import { useMutation, useQueryClient } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import type { Professional, ProfessionalDetail, SessionResponse } from '@/types/api';

import { ownProfessionalKey, type SignupRef } from './get-signup-status';

/** An emailed link's token for a 24-hour access token and the record (400 when it opens nothing). */
export function openSession(token: string): Promise<SessionResponse> {
  return apiRequest<SessionResponse>('/sessions', { method: 'POST', body: { token } });
}

export function useOpenSession() {
  return useMutation({ mutationFn: openSession });
}

/** Always 202 for a well-formed address, registered or not: the answer tells nothing. */
export function requestAccessLink(email: string): Promise<{ status: string }> {
  return apiRequest<{ status: string }>('/access-links', { method: 'POST', body: { email } });
}

export function useRequestAccessLink() {
  return useMutation({ mutationFn: requestAccessLink });
}

export type OwnPatch = Record<string, string | null>;

export function updateOwnProfessional({ ref, body }: { ref: SignupRef; body: OwnPatch }): Promise<Professional> {
  return apiRequest<Professional>(`/professionals/${encodeURIComponent(ref.id)}`, {
    method: 'PATCH',
    body,
    auth: { token: ref.token },
  });
}

export function useUpdateOwnProfessional() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateOwnProfessional,
    onSuccess: (updated) =>
      queryClient.setQueryData<ProfessionalDetail>(ownProfessionalKey(updated.id), (previous) => ({
        resume_text: previous?.resume_text ?? null,
        ...updated,
      })),
  });
}

/** Erasure: the record, its email and phone, its resume files and its search entries. */
export function eraseOwnProfessional(ref: SignupRef): Promise<void> {
  return apiRequest<void>(`/professionals/${encodeURIComponent(ref.id)}`, {
    method: 'DELETE',
    auth: { token: ref.token },
  });
}

export function useEraseOwnProfessional() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: eraseOwnProfessional,
    onSuccess: (_nothing, ref) => queryClient.removeQueries({ queryKey: ownProfessionalKey(ref.id) }),
  });
}
