import { useMutation } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import {
  professionalFormSchema,
  toCreateBody,
  type ProfessionalFormValues,
} from '@/lib/professional-schema';
import type { ResumeDescriptor, SignupResponse } from '@/types/api';

export const createProfessionalInputSchema = professionalFormSchema;

export type CreateProfessionalInput = { values: ProfessionalFormValues; resume?: ResumeDescriptor };

export function resumeDescriptor(file: File): ResumeDescriptor {
  return { filename: file.name, content_type: 'application/pdf', size_bytes: file.size };
}

/** Anonymous sign-up: 201 with `access_token`, and `resume_upload` when a resume is announced. */
export function createProfessional({ values, resume }: CreateProfessionalInput): Promise<SignupResponse> {
  const body = resume ? { ...toCreateBody(values), resume } : toCreateBody(values);
  return apiRequest<SignupResponse>('/professionals', { method: 'POST', body });
}

export function useCreateProfessional() {
  return useMutation({ mutationFn: createProfessional });
}
