import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { apiRequest, type StaffAuth } from '@/lib/api-client';
import { useStaffAuth } from '@/lib/staff-session';

/** One UTC day of the daily counters (contract 8.6). */
export type StatsDay = {
  date: string;
  signups: { direct: number; partner: number; internal: number };
  resumes: { ready: number; rejected: Record<string, number> };
  bulk_rows: { created: number; updated: number; unchanged: number; failed: number };
  mails: { sent: number; suppressed: number };
  erasures: number;
};

export type Stats = { days: StatsDay[] };

/** `from` and `to` are UTC days (YYYY-MM-DD), both included. */
export type StatsRange = { from: string; to: string };

const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** A day as the charts read it: a figure the answer leaves out counts as 0. */
export function readDay(raw: Partial<Record<keyof StatsDay, unknown>>): StatsDay {
  const part = (name: keyof StatsDay) => (typeof raw[name] === 'object' && raw[name] !== null ? raw[name] : {}) as Record<string, unknown>;
  const signups = part('signups');
  const resumes = part('resumes');
  const bulk = part('bulk_rows');
  const mails = part('mails');
  const rejected = typeof resumes.rejected === 'object' && resumes.rejected !== null ? resumes.rejected : {};
  return {
    date: String(raw.date),
    signups: { direct: count(signups.direct), partner: count(signups.partner), internal: count(signups.internal) },
    resumes: {
      ready: count(resumes.ready),
      rejected: Object.fromEntries(Object.entries(rejected).map(([reason, n]) => [reason, count(n)])),
    },
    bulk_rows: { created: count(bulk.created), updated: count(bulk.updated), unchanged: count(bulk.unchanged), failed: count(bulk.failed) },
    mails: { sent: count(mails.sent), suppressed: count(mails.suppressed) },
    erasures: count(raw.erasures),
  };
}

export async function getStats({ from, to }: StatsRange, auth: StaffAuth, signal?: AbortSignal): Promise<Stats> {
  const answer = await apiRequest<{ days?: unknown }>('/stats', { query: { from, to }, auth, signal });
  const days = Array.isArray(answer?.days) ? (answer.days as Partial<Record<keyof StatsDay, unknown>>[]) : [];
  return { days: days.map(readDay).sort((a, b) => a.date.localeCompare(b.date)) };
}

export function statsQueryOptions(range: StatsRange, auth: StaffAuth) {
  return queryOptions({
    queryKey: ['staff', 'stats', range],
    queryFn: ({ signal }) => getStats(range, auth, signal),
    // Another period keeps the charts shown (dimmed) until its figures arrive.
    placeholderData: keepPreviousData,
    // Today's counters move (a sign-up shows within seconds): read again every minute.
    refetchInterval: 60_000,
  });
}

export function useStats(range: StatsRange) {
  const { auth } = useStaffAuth();
  return useQuery(statsQueryOptions(range, auth));
}
