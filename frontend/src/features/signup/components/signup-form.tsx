import { zodResolver } from '@hookform/resolvers/zod';
import { useRef, useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { CheckboxField, PhoneField, TextField } from '@/components/ui/field';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api-client';
import { placeConflicts, placeFieldErrors } from '@/lib/form-errors';
import {
  PROFESSIONAL_FIELDS,
  type SignupFormValues,
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

const EMPTY: SignupFormValues = {
  full_name: '',
  email: '',
  phone: '',
  company_name: '',
  job_title: '',
  consent: false,
};

const FORM_FIELDS: readonly string[] = [...PROFESSIONAL_FIELDS, 'consent'];

const TAKEN: Record<string, string> = {
  email: 'This email address is already registered.',
  phone: 'This phone number is already registered.',
};

export function SignupForm({ onSignedUp }: { onSignedUp: (result: SignedUp) => void }) {
  const form = useForm<SignupFormValues>({
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
    const fields = error.status === 409 ? placeConflicts(error, setError, (field) => TAKEN[field] ?? error.message) : [];
    if (fields.length) {
      const names = fields.map((f) => (f === 'email' ? 'email address' : 'phone number')).join(' and ');
      // The API mails the address's owner a link on a 409 on the email (never said for a phone).
      const mailed = fields.includes('email')
        ? ' If the address is yours, we have sent it a link to your details.'
        : '';
      setFormError(`Someone has already signed up with this ${names}.${mailed}`);
      return;
    }
    const placed = placeFieldErrors(error, FORM_FIELDS, setError);
    const aboutResume = Object.entries(error.fields).filter(([name]) => name.startsWith('resume'));
    if (aboutResume.length) {
      setFileError(aboutResume.flatMap(([, messages]) => messages).join(' '));
      if (!placed.length) fileRef.current?.focus();
    }
    setFormError(
      Object.keys(error.fields).length ? 'Please correct the highlighted fields.' : error.message,
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
        Your full name and email address are required. We send a link to the address so that you
        can confirm it, and come back later to see, correct or delete your details.
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
          {...register('email')}
        />
        <PhoneField optional error={errors.phone?.message} {...register('phone')} />
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
      <CheckboxField
        label={
          <>
            I have read the{' '}
            <a href={paths.privacy} target="_blank" rel="noopener" className="text-blue-800 underline underline-offset-2">
              privacy notice<span className="sr-only"> (opens in a new tab)</span>
            </a>{' '}
            and agree that you keep my details as it describes.
          </>
        }
        error={errors.consent?.message}
        {...register('consent')}
      />
      <Button type="submit" busy={create.isPending} className="w-full sm:w-auto">
        {create.isPending ? 'Signing up…' : 'Sign up'}
      </Button>
      <p className="text-sm text-slate-600">
        Signed up already?{' '}
        <Link to={paths.me} className="text-blue-800 underline underline-offset-2">
          Lost your link?
        </Link>{' '}
        We can mail you a new one.
      </p>
    </form>
  );
}
