import type { StatsDay, StatsRange } from '../api/get-stats';

/** The periods the picker offers, in days ending today (UTC); the URL's `?days=`. */
export const PERIODS = [7, 30, 90] as const;
export type Period = (typeof PERIODS)[number];
export const DEFAULT_PERIOD: Period = 30;

export function readPeriod(params: URLSearchParams): Period {
  const days = Number(params.get('days'));
  return (PERIODS as readonly number[]).includes(days) ? (days as Period) : DEFAULT_PERIOD;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** The last `days` UTC days, today included, as the `from` and `to` of `GET /stats`. */
export function periodRange(days: Period, now: Date = new Date()): StatsRange {
  const from = new Date(now);
  from.setUTCDate(from.getUTCDate() - (days - 1));
  return { from: isoDay(from), to: isoDay(now) };
}

/** One stacked part of a chart: its name and a figure for each day. */
export type Series = { key: string; label: string; color: string; values: number[] };

export type ChartSpec = {
  id: string;
  title: string;
  /** What a figure counts, for the sentence that sums the chart up ("3 sign-ups"). */
  noun: [one: string, many: string];
  series: Series[];
};

// Distinct at a glance and each at least 3:1 against white (WCAG 1.4.11, graphics).
const COLORS = {
  green: '#15803d',
  blue: '#1d4ed8',
  violet: '#7c3aed',
  slate: '#475569',
  amber: '#b45309',
  red: '#b91c1c',
  rose: '#be185d',
  orange: '#c2410c',
  teal: '#0f766e',
  brown: '#78350f',
} as const;
const REJECTED_COLORS = [COLORS.red, COLORS.orange, COLORS.rose, COLORS.amber, COLORS.brown, COLORS.violet, COLORS.slate, COLORS.teal];

export const REASON_LABELS: Record<string, string> = {
  not_pdf: 'not a PDF',
  too_large: 'too large',
  empty: 'empty',
  unreadable: 'unreadable',
  encrypted: 'encrypted',
  too_many_pages: 'too many pages',
  timeout: 'timed out',
  expired: 'expired',
};

const series = (key: string, label: string, color: string, days: StatsDay[], pick: (day: StatsDay) => number): Series => ({
  key,
  label,
  color,
  values: days.map((day) => pick(day) ?? 0),
});

/** The reasons resumes were rejected for in these days, most frequent first. */
export function rejectionReasons(days: StatsDay[]): string[] {
  const totals = new Map<string, number>();
  for (const day of days) {
    for (const [reason, n] of Object.entries(day.resumes.rejected ?? {})) {
      if (n > 0) totals.set(reason, (totals.get(reason) ?? 0) + n);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([reason]) => reason);
}

/** The five charts of the dashboard, from the days `GET /stats` answered. */
export function dashboardCharts(days: StatsDay[]): ChartSpec[] {
  return [
    {
      id: 'signups',
      title: 'Sign-ups per day, by source',
      noun: ['sign-up', 'sign-ups'],
      series: [
        series('direct', 'Direct', COLORS.green, days, (d) => d.signups.direct),
        series('partner', 'Partner', COLORS.violet, days, (d) => d.signups.partner),
        series('internal', 'Internal', COLORS.slate, days, (d) => d.signups.internal),
      ],
    },
    {
      id: 'resumes',
      title: 'Resumes ready, and rejected by reason',
      noun: ['resume', 'resumes'],
      series: [
        series('ready', 'Ready', COLORS.green, days, (d) => d.resumes.ready),
        ...rejectionReasons(days).map((reason, i) =>
          series(`rejected:${reason}`, `Rejected: ${REASON_LABELS[reason] ?? reason.replace(/_/g, ' ')}`,
            REJECTED_COLORS[i % REJECTED_COLORS.length], days, (d) => d.resumes.rejected?.[reason] ?? 0),
        ),
      ],
    },
    {
      id: 'bulk-rows',
      title: 'Bulk rows per day, by outcome',
      noun: ['row', 'rows'],
      series: [
        series('created', 'Created', COLORS.green, days, (d) => d.bulk_rows.created),
        series('updated', 'Updated', COLORS.blue, days, (d) => d.bulk_rows.updated),
        series('unchanged', 'Unchanged', COLORS.slate, days, (d) => d.bulk_rows.unchanged),
        series('failed', 'Failed', COLORS.red, days, (d) => d.bulk_rows.failed),
      ],
    },
    {
      id: 'mails',
      title: 'Mails per day, sent and suppressed',
      noun: ['mail', 'mails'],
      series: [
        series('sent', 'Sent', COLORS.blue, days, (d) => d.mails.sent),
        series('suppressed', 'Suppressed', COLORS.amber, days, (d) => d.mails.suppressed),
      ],
    },
    {
      id: 'erasures',
      title: 'Erasures per day',
      noun: ['erasure', 'erasures'],
      series: [series('erasures', 'Erased', COLORS.red, days, (d) => d.erasures)],
    },
  ];
}

export const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);

/** The figures of a day, all parts stacked. */
export const dayTotal = (chart: ChartSpec, index: number) => sum(chart.series.map((s) => s.values[index]));

export const chartTotal = (chart: ChartSpec) => sum(chart.series.map((s) => sum(s.values)));

export const count = (n: number, [one, many]: [string, string]) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

const shortDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** "7 Dec" for 2026-12-07. */
export const formatDay = (iso: string) => shortDate.format(new Date(`${iso}T00:00:00Z`));
