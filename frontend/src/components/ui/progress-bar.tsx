import { cn } from './cn';

type ProgressBarProps = {
  label: string;
  value: number;
  max: number;
  valueText?: string;
  className?: string;
};

export function ProgressBar({ label, value, max, valueText, className }: ProgressBarProps) {
  const percent = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div className={cn('space-y-1', className)}>
      <div className="flex justify-between text-sm text-slate-700">
        <span id={`${label}-label`.replace(/\W+/g, '-')}>{label}</span>
        <span aria-hidden="true">{valueText ?? `${percent}%`}</span>
      </div>
      <div
        role="progressbar"
        aria-labelledby={`${label}-label`.replace(/\W+/g, '-')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={valueText ?? `${percent}%`}
        className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className="h-full rounded-full bg-blue-700 transition-[width] duration-150" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}
