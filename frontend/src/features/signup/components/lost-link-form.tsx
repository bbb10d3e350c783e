import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { TextField } from '@/components/ui/field';
import { ApiError } from '@/lib/api-client';
import { requiredEmailField } from '@/lib/professional-schema';

import { useRequestAccessLink } from '../api/self-service';

const schema = z.object({ email: requiredEmailField('Enter the email address you signed up with.') });
type Values = z.input<typeof schema>;

/**
 * "Lost your link?": asks for a new one. The answer is the same whether or not we hold the
 * address (the API always says 202), so the page never tells who is registered.
 */
export function LostLinkForm({ headingLevel = 2 }: { headingLevel?: 2 | 3 }) {
  const { register, handleSubmit, setError, formState } = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { email: '' },
    mode: 'onTouched',
  });
  const request = useRequestAccessLink();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const Heading = `h${headingLevel}` as const;

  const onSubmit = handleSubmit(async ({ email }) => {
    setFormError(null);
    setSentTo(null);
    try {
      await request.mutateAsync(email.trim());
      setSentTo(email.trim());
    } catch (error) {
      const fieldMessages = error instanceof ApiError ? error.fields.email : undefined;
      if (fieldMessages?.length) {
        setError('email', { type: 'server', message: fieldMessages.join(' ') }, { shouldFocus: true });
      } else {
        setFormError(error instanceof ApiError ? error.message : 'Something went wrong. Try again.');
      }
    }
  });

  return (
    <section aria-labelledby="lost-link-heading" className="space-y-3 rounded-md border border-slate-200 bg-slate-50 p-4">
      <Heading id="lost-link-heading" className="text-lg font-semibold text-slate-900">
        Lost your link?
      </Heading>
      <p className="text-sm text-slate-700">
        Enter the email address you signed up with, and we will send it a new link to your details.
      </p>
      <div aria-live="polite">
        {sentTo && (
          <Alert tone="success" live="none" title="If we hold that address, we sent it a link.">
            Look for a message to {sentTo} in the next few minutes (and in your spam folder). The
            link works for 7 days.
          </Alert>
        )}
      </div>
      {formError && <Alert tone="error">{formError}</Alert>}
      <form noValidate onSubmit={onSubmit} className="flex flex-col gap-3 sm:flex-row sm:items-start">
        <TextField
          label="Email address"
          type="email"
          autoComplete="email"
          inputMode="email"
          className="sm:flex-1"
          error={formState.errors.email?.message}
          {...register('email')}
        />
        <Button type="submit" busy={request.isPending} className="sm:mt-6">
          Send me a link
        </Button>
      </form>
    </section>
  );
}
