import { cn } from '@/components/ui/cn';
import { STATUS_LABELS } from '@/lib/resume';
import type { Resume } from '@/types/api';

const STYLES: Record<Resume['status'], string> = {
  awaiting_upload: 'text-slate-600',
  processing: 'text-amber-800',
  ready: 'text-green-800',
  rejected: 'text-red-800',
};

export function ResumeStatusBadge({ resume }: { resume: Resume | null }) {
  if (!resume) return <span className="text-slate-500">None</span>;
  return <span className={cn('font-medium', STYLES[resume.status])}>{STATUS_LABELS[resume.status]}</span>;
}
