import { cn } from '@/components/ui/cn';
import type { Source } from '@/types/api';

const STYLES: Record<Source, string> = {
  direct: 'bg-emerald-50 text-emerald-800 border-emerald-200',
  partner: 'bg-violet-50 text-violet-800 border-violet-200',
  internal: 'bg-slate-100 text-slate-700 border-slate-300',
};

export function SourceBadge({ source }: { source: Source }) {
  return (
    <span className={cn('inline-block rounded-full border px-2 text-xs leading-5 font-medium', STYLES[source])}>
      {source}
    </span>
  );
}
