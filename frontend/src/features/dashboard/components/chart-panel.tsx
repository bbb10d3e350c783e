import { chartTotal, count, sum, type ChartSpec } from '../lib/charts';

import { FiguresTable } from './figures-table';
import { StackedBarChart } from './stacked-bar-chart';

/** A chart with its legend (the parts and their totals), then the same figures as a table. */
export function ChartPanel({ chart, dates }: { chart: ChartSpec; dates: string[] }) {
  const headingId = `chart-${chart.id}`;
  return (
    <section aria-labelledby={headingId} className="space-y-3 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <h2 id={headingId} className="text-lg font-semibold text-slate-900">{chart.title}</h2>
        <p className="text-sm text-slate-600">{count(chartTotal(chart), chart.noun)} in {dates.length} days</p>
      </div>
      {chart.series.length > 1 && (
        <ul className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-700" aria-label="Legend">
          {chart.series.map((s) => (
            <li key={s.key} className="inline-flex items-center gap-1.5">
              <span aria-hidden="true" className="inline-block size-3 rounded-sm" style={{ backgroundColor: s.color }} />
              {s.label} <span className="tabular-nums text-slate-500">({sum(s.values).toLocaleString('en')})</span>
            </li>
          ))}
        </ul>
      )}
      <StackedBarChart chart={chart} dates={dates} />
      <FiguresTable chart={chart} dates={dates} />
    </section>
  );
}
