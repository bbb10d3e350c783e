import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { Spinner } from '@/components/ui/spinner';
import { ApiError } from '@/lib/api-client';

import { useStats } from '../api/get-stats';
import { chartTotal, dashboardCharts, periodRange, PERIODS, readPeriod, type Period } from '../lib/charts';

import { ChartPanel } from './chart-panel';

/**
 * The staff dashboard (contract 8.6): the daily counters of `GET /stats` for the last 7, 30 or
 * 90 days (`?days=` in the URL), as charts with a table of the same figures under each.
 */
export function Dashboard() {
  const [searchParams] = useSearchParams();
  const period = readPeriod(searchParams);
  const range = useMemo(() => periodRange(period), [period]);

  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Dashboard</h1>
          <p className="mt-1 text-sm text-slate-600">
            The last {period} days, {range.from} to {range.to} (UTC days). Today's figures grow as things happen.
          </p>
        </div>
        <PeriodPicker period={period} />
      </div>
      <Figures range={range} period={period} />
    </div>
  );
}

function PeriodPicker({ period }: { period: Period }) {
  return (
    <nav aria-label="Period" className="inline-flex rounded-md shadow-sm ring-1 ring-slate-300">
      {PERIODS.map((days, i) => (
        <Link
          key={days}
          to={{ search: days === 30 ? '' : `?days=${days}` }}
          aria-current={days === period ? 'page' : undefined}
          className={cn(
            'px-3 py-1.5 text-sm font-medium focus-visible:outline-3 focus-visible:outline-offset-2 focus-visible:outline-blue-600',
            i === 0 && 'rounded-l-md',
            i === PERIODS.length - 1 && 'rounded-r-md',
            days === period ? 'bg-blue-700 text-white' : 'bg-white text-slate-800 hover:bg-slate-100',
          )}
        >
          {days} days
        </Link>
      ))}
    </nav>
  );
}

function Figures({ range, period }: { range: { from: string; to: string }; period: Period }) {
  const query = useStats(range);
  const charts = useMemo(() => (query.data ? dashboardCharts(query.data.days) : []), [query.data]);

  if (query.isPending) return <Spinner label="Loading the figures…" />;
  if (query.isError) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null; // the sign-in gate takes over
    const fields = error instanceof ApiError ? Object.entries(error.fields) : [];
    return (
      <Alert tone="error" title="The figures could not be loaded.">
        <p>{error instanceof ApiError ? error.message : 'Something went wrong.'}</p>
        {fields.length > 0 && (
          <ul className="mt-1 list-disc pl-5">
            {fields.map(([name, problems]) => (
              <li key={name}>
                <code>{name}</code>: {problems.join(' ')}
              </li>
            ))}
          </ul>
        )}
        <Button size="sm" variant="secondary" className="mt-2" onClick={() => void query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  }

  const dates = query.data.days.map((day) => day.date);
  const loadingOther = query.isPlaceholderData;
  if (!loadingOther && charts.every((chart) => chartTotal(chart) === 0)) {
    return (
      <Alert tone="info" title={`Nothing happened in the last ${period} days.`}>
        No sign-ups, resume outcomes, bulk rows, mails or erasures were counted from {range.from} to {range.to}.
        {period !== 90 && ' Try a longer period.'}
      </Alert>
    );
  }
  return (
    <div aria-busy={loadingOther || undefined} className={cn('space-y-5 transition-opacity', loadingOther && 'opacity-60')}>
      {loadingOther && <Spinner label="Loading the figures…" />}
      {charts.map((chart) => (
        <ChartPanel key={chart.id} chart={chart} dates={dates} />
      ))}
    </div>
  );
}
