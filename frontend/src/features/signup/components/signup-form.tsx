import { zodResolver } from '@hookform/resolvers/zod';
import { useRef, useState } from 'react';
import { useForm } from 'react-hook-form';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import { ApiError } from '@/lib/api-client';
import {
  PROFESSIONAL_FIELDS,
  type ProfessionalField,
  type ProfessionalFormValues,
} from '@/lib/professional-schema';
import { checkResumeFile } from '@/lib/resume';
import type { SignupResponse } from '@/types/api';

import {
  createProfessionalInputSchema,
  resumeDescriptor,
  useCreateProfessional,
} from '../api/create-professional';

import { ResumeFileInput } from './resume-file-input';

export type SignedUp = { professional: SignupResponse; file: File | null };

const EMPTY: ProfessionalFormValues = {
  full_name: '',
  email: '',
  phone: '',
  company_name: '',
  job_title: '',
};

const TAKEN: Record<string, string> = {
  email: 'This email address is already registered.',
  phone: 'This phone number is already registered.',
};

export function SignupForm({ onSignedUp }: { onSignedUp: (result: SignedUp) => void }) {
  const form = useForm<ProfessionalFormValues>({
    resolver: zodResolver(createProfessionalInputSchema),
    defaultValues: EMPTY,
    mode: 'onTouched',
  });
  const { register, handleSubmit, setError, formState } = form;
  const errors = formState.errors;
  const create = useCreateProfessional();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const chooseFile = (next: File | null) => {
    setFile(next);
    setFileError(next ? (checkResumeFile(next) ?? undefined) : undefined);
  };

  const showServerError = (error: unknown) => {
    if (!(error instanceof ApiError)) {
      setFormError('Something went wrong. Try again.');
      return;
    }
    if (error.status === 409 && error.conflictFields.length) {
      const fields = error.conflictFields;
      fields.forEach((field, i) =>
        setError(field as ProfessionalField, { type: 'server', message: TAKEN[field] ?? error.message }, { shouldFocus: i === 0 }),
      );
      const names = fields.map((f) => (f === 'email' ? 'email address' : 'phone number')).join(' and ');
      setFormError(`Someone has already signed up with this ${names}.`);
      return;
    }
    const fields = error.fields;
    let focused = false;
    for (const [name, messages] of Object.entries(fields)) {
      if ((PROFESSIONAL_FIELDS as readonly string[]).includes(name)) {
        setError(name as ProfessionalField, { type: 'server', message: messages.join(' ') }, { shouldFocus: !focused });
        focused = true;
      } else if (name.startsWith('resume')) {
        setFileError(messages.join(' '));
        if (!focused) fileRef.current?.focus();
        focused = true;
      }
    }
    setFormError(
      Object.keys(fields).length ? 'Please correct the highlighted fields.' : error.message,
    );
  };

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    const problem = file ? checkResumeFile(file) : null;
    if (problem) {
      setFileError(problem);
      fileRef.current?.focus();
      return;
    }
    try {
      const professional = await create.mutateAsync({
        values,
        resume: file ? resumeDescriptor(file) : undefined,
      });
      onSignedUp({ professional, file });
    } catch (error) {
      showServerError(error);
    }
  });

  return (
    <form noValidate onSubmit={onSubmit} className="space-y-5" aria-describedby="signup-required-note">
      <p id="signup-required-note" className="text-sm text-slate-600">
        Your full name and an email address or phone number are required.
      </p>
      {formError && <Alert tone="error">{formError}</Alert>}
      <TextField
        label="Full name"
        autoComplete="name"
        error={errors.full_name?.message}
        {...register('full_name')}
      />
      <div className="grid gap-5 sm:grid-cols-2">
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          inputMode="email"
          error={errors.email?.message}
          {...register('email', { deps: ['phone'] })}
        />
        <TextField
          label="Phone"
          type="tel"
          autoComplete="tel"
          hint="Any format; include the country code if outside the US."
          error={errors.phone?.message}
          {...register('phone', { deps: ['email'] })}
        />
      </div>
      <div className="grid gap-5 sm:grid-cols-2">
        <TextField
          label="Company"
          optional
          autoComplete="organization"
          error={errors.company_name?.message}
          {...register('company_name')}
        />
        <TextField
          label="Job title"
          optional
          autoComplete="organization-title"
          error={errors.job_title?.message}
          {...register('job_title')}
        />
      </div>
      <ResumeFileInput ref={fileRef} file={file} error={fileError} onChange={chooseFile} />
      <Button type="submit" busy={create.isPending} className="w-full sm:w-auto">
        {create.isPending ? 'Signing up…' : 'Sign up'}
      </Button>
    </form>
  );
}
