import { z } from 'zod';

import { SOURCES } from '@/types/api';

/**
 * The API's rules for a professional, mirrored for inline validation. The server has the final
 * word: phone numbers in particular are only checked for plausible characters here, and the
 * server's `details.fields` is shown next to the field when it disagrees.
 */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Digits with the usual separators, an optional leading +, an optional extension.
const PHONE = /^\+?[\d\s().\-/]+(?:\s*(?:x|ext\.?|extension)\s*\d+)?$/i;

export const fullNameField = z
  .string()
  .trim()
  .min(1, 'Enter a full name.')
  .max(200, 'Use at most 200 characters.');

export const emailField = z
  .string()
  .trim()
  .max(254, 'Use at most 254 characters.')
  .refine((value) => value === '' || EMAIL.test(value), 'Enter an email address like name@example.com.');

export const phoneField = z
  .string()
  .trim()
  .max(40, 'Use at most 40 characters.')
  .refine(
    (value) => value === '' || (PHONE.test(value) && (value.match(/\d/g)?.length ?? 0) >= 4),
    'Enter a phone number, for example +1 415 555 0123.',
  );

export const optionalTextField = z.string().trim().max(200, 'Use at most 200 characters.');

const contactRequired = (value: { email: string; phone: string }, ctx: z.RefinementCtx) => {
  if (value.email === '' && value.phone === '') {
    const message = 'Give an email address or a phone number (or both).';
    ctx.addIssue({ code: 'custom', path: ['email'], message });
    ctx.addIssue({ code: 'custom', path: ['phone'], message });
  }
};

const baseShape = {
  full_name: fullNameField,
  email: emailField,
  phone: phoneField,
  company_name: optionalTextField,
  job_title: optionalTextField,
};

// The public sign-up and the person's own record need an email: the links to confirm the address
// and to come back to the record are mailed there.
export const requiredEmailField = (message = 'Enter your email address: we send you a link there to confirm it.') =>
  emailField.refine((value) => value !== '', message);

/** The public sign-up: an email, and the privacy notice accepted (the box is never pre-ticked). */
export const signupFormSchema = z.object({
  ...baseShape,
  email: requiredEmailField(),
  consent: z
    .boolean()
    .refine((value) => value, 'Tick the box to accept the privacy notice: we cannot sign you up without it.'),
});
export type SignupFormValues = z.input<typeof signupFormSchema>;

/** A person editing their own record (/me): the email cannot be cleared, the source is not theirs. */
export const selfEditSchema = z.object({
  ...baseShape,
  email: requiredEmailField('Enter your email address: it cannot be removed, only changed.'),
});
export type SelfEditValues = z.input<typeof selfEditSchema>;

export const staffEditSchema = z
  .object({ ...baseShape, source: z.enum(SOURCES) })
  .superRefine(contactRequired);
export type StaffEditValues = z.input<typeof staffEditSchema>;

export const PROFESSIONAL_FIELDS = ['full_name', 'email', 'phone', 'company_name', 'job_title'] as const;
export type ProfessionalField = (typeof PROFESSIONAL_FIELDS)[number];

export const FIELD_LABELS: Record<ProfessionalField | 'source', string> = {
  full_name: 'Full name',
  email: 'Email',
  phone: 'Phone',
  company_name: 'Company',
  job_title: 'Job title',
  source: 'Source',
};

/** A create body: trimmed values, empty optional fields left out. */
export function toCreateBody(values: Partial<Record<ProfessionalField, string>>): Record<string, string> {
  const body: Record<string, string> = {};
  for (const field of PROFESSIONAL_FIELDS) {
    const value = (values[field] ?? '').trim();
    if (value !== '') body[field] = value;
  }
  return body;
}

/** An edit form's starting values: the record's fields, an absent one as ''. */
export function toFormValues(current: Record<ProfessionalField, string | null>): Record<ProfessionalField, string> {
  const values = {} as Record<ProfessionalField, string>;
  for (const field of PROFESSIONAL_FIELDS) values[field] = current[field] ?? '';
  return values;
}

/**
 * A PATCH body with only the fields that changed; a cleared optional field becomes null. Only the
 * fields the form has are compared (a person's own form has no source).
 */
export function toPatchBody(
  values: Partial<Record<ProfessionalField | 'source', string>>,
  current: Partial<Record<ProfessionalField | 'source', string | null>>,
): Record<string, string | null> {
  const body: Record<string, string | null> = {};
  for (const field of [...PROFESSIONAL_FIELDS, 'source'] as const) {
    if (!(field in values)) continue;
    const value = (values[field] ?? '').trim();
    const next = value === '' ? null : value;
    if (next !== (current[field] ?? null)) body[field] = next;
  }
  return body;
}
