import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';

import { Alert } from '@/components/ui/alert';
import { PhoneField, TextField } from '@/components/ui/field';
import { SaveOrCancel } from '@/components/ui/save-or-cancel';
import { ApiError } from '@/lib/api-client';
import { placeConflicts, placeFieldErrors } from '@/lib/form-errors';
import {
  PROFESSIONAL_FIELDS,
  selfEditSchema,
  toFormValues,
  toPatchBody,
  type SelfEditValues,
} from '@/lib/professional-schema';
import type { Professional } from '@/types/api';

import type { SignupRef } from '../api/get-signup-status';
import { useUpdateOwnProfessional } from '../api/self-service';

const TAKEN: Record<string, string> = {
  email: 'This email address is already registered to someone else.',
  phone: 'This phone number is already registered to someone else.',
};

type OwnRecordEditFormProps = {
  signup: SignupRef;
  professional: Professional;
  /** `message` says what was saved (null: nothing changed or cancelled). */
  onDone: (message: string | null) => void;
  onSessionEnded: () => void;
};

/** The person corrects their own details; a new email is confirmed through a link mailed to it. */
export function OwnRecordEditForm({ signup, professional, onDone, onSessionEnded }: OwnRecordEditFormProps) {
  const { register, handleSubmit, setError, formState } = useForm<SelfEditValues>({
    resolver: zodResolver(selfEditSchema),
    defaultValues: toFormValues(professional),
    mode: 'onTouched',
  });
  const errors = formState.errors;
  const update = useUpdateOwnProfessional();
  const [formError, setFormError] = useState<string | null>(null);

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    const body = toPatchBody(values, professional);
    if (Object.keys(body).length === 0) return onDone(null);
    try {
      const updated = await update.mutateAsync({ ref: signup, body });
      onDone(
        'email' in body
          ? `Changes saved. We sent a link to ${updated.email} to confirm the new address; until you open it, the address shows as not confirmed.`
          : 'Changes saved.',
      );
    } catch (error) {
      if (!(error instanceof ApiError)) return setFormError('Something went wrong. Try again.');
      if (error.status === 401) return onSessionEnded();
      if (error.status === 409 && placeConflicts(error, setError, (field) => TAKEN[field] ?? error.message).length) {
        return setFormError('Nothing was saved: an address or number you entered is already registered.');
      }
      const placed = placeFieldErrors(error, PROFESSIONAL_FIELDS, setError);
      setFormError(placed.length ? 'Please correct the highlighted fields.' : error.message);
    }
  });

  return (
    <form noValidate onSubmit={onSubmit} className="space-y-4" aria-label="Edit your details">
      {formError && <Alert tone="error">{formError}</Alert>}
      <TextField label="Full name" autoComplete="name" error={errors.full_name?.message} {...register('full_name')} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          hint="A new address is confirmed through a link we mail to it."
          error={errors.email?.message}
          {...register('email')}
        />
        <PhoneField optional error={errors.phone?.message} {...register('phone')} />
        <TextField label="Company" optional autoComplete="organization" error={errors.company_name?.message} {...register('company_name')} />
        <TextField label="Job title" optional autoComplete="organization-title" error={errors.job_title?.message} {...register('job_title')} />
      </div>
      <p className="text-sm text-slate-600">Clear an optional field to remove it.</p>
      <SaveOrCancel busy={update.isPending} onCancel={() => onDone(null)} />
    </form>
  );
}
