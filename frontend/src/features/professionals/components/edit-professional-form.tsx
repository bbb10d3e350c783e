import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { PhoneField, SelectField, TextField } from '@/components/ui/field';
import { SaveOrCancel } from '@/components/ui/save-or-cancel';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api-client';
import { placeConflicts, placeFieldErrors } from '@/lib/form-errors';
import { toFormValues, toPatchBody, type StaffEditValues } from '@/lib/professional-schema';
import { SOURCES, type Professional } from '@/types/api';

import { updateProfessionalInputSchema, useUpdateProfessional } from '../api/update-professional';

const EDITABLE: readonly string[] = ['full_name', 'email', 'phone', 'company_name', 'job_title', 'source'];

export function EditProfessionalForm({
  professional,
  onDone,
}: {
  professional: Professional;
  onDone: (message: string | null) => void;
}) {
  const { register, handleSubmit, setError, formState } = useForm<StaffEditValues>({
    resolver: zodResolver(updateProfessionalInputSchema),
    defaultValues: { ...toFormValues(professional), source: professional.source },
    mode: 'onTouched',
  });
  const errors = formState.errors;
  const update = useUpdateProfessional();
  const [formError, setFormError] = useState<React.ReactNode>(null);

  const onSubmit = handleSubmit(async (values) => {
    setFormError(null);
    const body = toPatchBody(values, professional);
    if (Object.keys(body).length === 0) {
      onDone(null);
      return;
    }
    try {
      await update.mutateAsync({ id: professional.id, body });
      onDone('Changes saved.');
    } catch (error) {
      if (!(error instanceof ApiError)) {
        setFormError('Something went wrong. Try again.');
        return;
      }
      if (error.isAuthError) return; // the sign-in gate asks to sign in again
      const conflicts = error.details.conflicts ?? [];
      if (error.status === 409 && placeConflicts(error, setError, () => 'Already used by another professional.').length) {
        setFormError(
          <>
            {error.message}{' '}
            {conflicts
              .filter((c) => c.id)
              .map((c) => (
                <Link key={c.field} to={paths.staff.professional(c.id!)} className="underline">
                  Open the professional with this {c.field}.
                </Link>
              ))}
          </>,
        );
        return;
      }
      placeFieldErrors(error, EDITABLE, setError);
      setFormError(error.message);
    }
  });

  return (
    <form noValidate onSubmit={onSubmit} className="space-y-4" aria-label={`Edit ${professional.full_name}`}>
      {formError && <Alert tone="error">{formError}</Alert>}
      <TextField label="Full name" error={errors.full_name?.message} {...register('full_name')} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Email" type="email" error={errors.email?.message} {...register('email', { deps: ['phone'] })} />
        <PhoneField autoComplete="off" error={errors.phone?.message} {...register('phone', { deps: ['email'] })} />
        <TextField label="Company" optional error={errors.company_name?.message} {...register('company_name')} />
        <TextField label="Job title" optional error={errors.job_title?.message} {...register('job_title')} />
        <SelectField label="Source" error={errors.source?.message} {...register('source')}>
          {SOURCES.map((source) => (
            <option key={source} value={source}>
              {source}
            </option>
          ))}
        </SelectField>
      </div>
      <p className="text-sm text-slate-600">Clear an optional field to remove it. Email or phone must remain.</p>
      <SaveOrCancel busy={update.isPending} onCancel={() => onDone(null)} />
    </form>
  );
}
