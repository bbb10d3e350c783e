import { useMutation } from '@tanstack/react-query';

import { apiRequest } from '@/lib/api-client';
import { signupFormSchema, toCreateBody, type SignupFormValues } from '@/lib/professional-schema';
import type { ResumeDescriptor, SignupResponse } from '@/types/api';

export const createProfessionalInputSchema = signupFormSchema;

export type CreateProfessionalInput = { values: SignupFormValues; resume?: ResumeDescriptor };

export function resumeDescriptor(file: File): ResumeDescriptor {
  return { filename: file.name, content_type: 'application/pdf', size_bytes: file.size };
}

/**
 * Anonymous sign-up: 201 with `access_token`, and `resume_upload` when a resume is announced.
 * `consent` is what the person ticked (the form does not submit without it).
 */
export function createProfessional({ values, resume }: CreateProfessionalInput): Promise<SignupResponse> {
  const fields = { ...toCreateBody(values), consent: values.consent };
  const body = resume ? { ...fields, resume } : fields;
  return apiRequest<SignupResponse>('/professionals', { method: 'POST', body });
}

export function useCreateProfessional() {
  return useMutation({ mutationFn: createProfessional });
}
