const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function orDash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : value;
}

/** Which privacy notice a record's owner accepted, and when. */
export function consentSentence(consent: { version: string; accepted_at: string } | null): string {
  return consent ? `Version ${consent.version}, accepted ${formatDateTime(consent.accepted_at)}` : 'Not recorded';
}
