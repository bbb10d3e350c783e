import { dayTotal, sum, type ChartSpec } from '../lib/charts';

/** The figures of a chart, a row a day (newest first) and a total, to read or copy. */
export function FiguresTable({ chart, dates }: { chart: ChartSpec; dates: string[] }) {
  const stacked = chart.series.length > 1;
  const rows = dates.map((date, index) => ({ date, index })).reverse();
  return (
    <div
      className="max-h-72 overflow-auto rounded-md ring-1 ring-slate-200 focus-visible:outline-3 focus-visible:outline-blue-600"
      tabIndex={0}
      role="region"
      aria-label={`${chart.title}: figures`}
    >
      <table className="w-full border-collapse text-sm tabular-nums" data-figures={chart.id}>
        <caption className="sr-only">{chart.title}, a row a day, newest first</caption>
        <thead className="sticky top-0 bg-slate-100 text-left text-slate-700">
          <tr>
            <th scope="col" className="px-3 py-1.5 font-medium">Date</th>
            {chart.series.map((s) => (
              <th key={s.key} scope="col" className="px-3 py-1.5 text-right font-medium" data-series={s.key}>
                {s.label}
              </th>
            ))}
            {stacked && <th scope="col" className="px-3 py-1.5 text-right font-medium">Total</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ date, index }) => (
            <tr key={date} className="border-t border-slate-100">
              <th scope="row" className="px-3 py-1 text-left font-normal whitespace-nowrap text-slate-700">{date}</th>
              {chart.series.map((s) => (
                <td key={s.key} className="px-3 py-1 text-right">{s.values[index]}</td>
              ))}
              {stacked && <td className="px-3 py-1 text-right font-medium">{dayTotal(chart, index)}</td>}
            </tr>
          ))}
        </tbody>
        <tfoot className="border-t-2 border-slate-300 font-semibold">
          <tr>
            <th scope="row" className="px-3 py-1.5 text-left">Total</th>
            {chart.series.map((s) => (
              <td key={s.key} className="px-3 py-1.5 text-right">{sum(s.values)}</td>
            ))}
            {stacked && <td className="px-3 py-1.5 text-right">{sum(chart.series.map((s) => sum(s.values)))}</td>}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
