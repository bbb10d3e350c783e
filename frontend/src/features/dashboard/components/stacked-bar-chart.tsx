import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { scaleBand, scaleLinear } from '@visx/scale';
import { BarStack } from '@visx/shape';
import { useId, useLayoutEffect, useRef, useState, type RefObject } from 'react';

import { chartTotal, count, dayTotal, formatDay, type ChartSpec } from '../lib/charts';

// Drawn at the width it is given (text stays 12 px on a phone and a wide screen), 220 px high.
const DEFAULT_WIDTH = 720;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 24, bottom: 28, left: 44 };
const INNER_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;

/** The element's width, followed as it changes (the default where ResizeObserver is missing). */
function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      const next = Math.floor(entry.contentRect.width);
      if (next > 0) setWidth(next);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

type Datum = Record<string, number> & { index: number };

/**
 * One chart: a bar a day, its parts stacked. The SVG is a single image to assistive technology,
 * named by the chart's title and described by a sentence of its totals; the table under it holds
 * every figure.
 */
export function StackedBarChart({ chart, dates }: { chart: ChartSpec; dates: string[] }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const innerWidth = Math.max(width - MARGIN.left - MARGIN.right, 10);
  const titleId = useId();
  const descId = useId();
  const keys = chart.series.map((s) => s.key);
  const data: Datum[] = dates.map((_, index) => {
    const datum = { index } as Datum;
    for (const s of chart.series) datum[s.key] = s.values[index];
    return datum;
  });
  const highest = Math.max(0, ...dates.map((_, i) => dayTotal(chart, i)));
  const xScale = scaleBand<number>({ domain: dates.map((_, i) => i), range: [0, innerWidth], padding: 0.2 });
  const yScale = scaleLinear<number>({ domain: [0, Math.max(highest, 4)], range: [INNER_HEIGHT, 0], nice: true });
  const colors = new Map(chart.series.map((s) => [s.key, s.color]));
  const labels = new Map(chart.series.map((s) => [s.key, s.label]));
  // A date label every 60 px or more (at most seven), always on the last day (today).
  const step = Math.max(1, Math.ceil(dates.length / Math.max(1, Math.min(7, Math.floor(innerWidth / 60)))));
  const dateTicks = dates.map((_, i) => i).filter((i) => (dates.length - 1 - i) % step === 0);
  const total = chartTotal(chart);

  return (
    <div ref={box} className="w-full">
      <svg
        width={width}
        height={HEIGHT}
        className="block"
        role="img"
        aria-labelledby={titleId}
        aria-describedby={descId}
        data-chart={chart.id}
      >
        <title id={titleId}>{chart.title}</title>
        <desc id={descId}>{describe(chart, dates, total)}</desc>
        <Group left={MARGIN.left} top={MARGIN.top}>
          <BarStack<Datum, string>
            data={data}
            keys={keys}
            x={(d) => d.index}
            xScale={xScale}
            yScale={yScale}
            color={(key) => colors.get(key) ?? '#475569'}
          >
            {(stacks) =>
              stacks.flatMap((stack) =>
                stack.bars
                  .filter((bar) => bar.height > 0)
                  .map((bar) => (
                    <rect
                      key={`${stack.key}-${bar.index}`}
                      x={bar.x}
                      y={bar.y}
                      width={bar.width}
                      height={bar.height}
                      fill={bar.color}
                      data-series={stack.key}
                    >
                      <title>{`${dates[bar.index]} · ${labels.get(stack.key)}: ${bar.bar.data[stack.key]}`}</title>
                    </rect>
                  )),
              )
            }
          </BarStack>
          {total === 0 && (
            <text x={innerWidth / 2} y={INNER_HEIGHT / 2} textAnchor="middle" className="fill-slate-500 text-sm">
              None in these {dates.length} days
            </text>
          )}
          <AxisLeft
            scale={yScale}
            numTicks={4}
            tickFormat={(value) => (Number.isInteger(Number(value)) ? Number(value).toLocaleString('en') : '')}
            stroke="#94a3b8"
            tickStroke="#94a3b8"
            tickLabelProps={{ fill: '#334155', fontSize: 12, textAnchor: 'end', dx: -4, dy: 4 }}
          />
          <AxisBottom
            top={INNER_HEIGHT}
            scale={xScale}
            tickValues={dateTicks}
            tickFormat={(i) => formatDay(dates[Number(i)])}
            stroke="#94a3b8"
            tickStroke="#94a3b8"
            tickLabelProps={{ fill: '#334155', fontSize: 12, textAnchor: 'middle' }}
          />
        </Group>
      </svg>
    </div>
  );
}

function describe(chart: ChartSpec, dates: string[], total: number): string {
  const period = dates.length ? `from ${dates[0]} to ${dates.at(-1)}` : '';
  if (total === 0) return `None ${period}.`;
  const parts = chart.series
    .map((s) => [s.label, s.values.reduce((a, b) => a + b, 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${label} ${n.toLocaleString('en')}`);
  let busiest = 0;
  dates.forEach((_, i) => {
    if (dayTotal(chart, i) > dayTotal(chart, busiest)) busiest = i;
  });
  return `${count(total, chart.noun)} ${period}${chart.series.length > 1 ? `: ${parts.join(', ')}` : ''}. ` +
    `Most on ${dates[busiest]}: ${dayTotal(chart, busiest).toLocaleString('en')}. Every day's figures are in the table below.`;
}
