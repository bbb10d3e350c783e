import type { ReactNode } from 'react';

import { cn } from './cn';

const TONES = {
  info: 'border-blue-200 bg-blue-50 text-blue-900',
  success: 'border-green-200 bg-green-50 text-green-900',
  warning: 'border-amber-200 bg-amber-50 text-amber-900',
  error: 'border-red-200 bg-red-50 text-red-900',
} as const;

type AlertProps = {
  tone?: keyof typeof TONES;
  title?: ReactNode;
  children?: ReactNode;
  className?: string;
  /** `alert` interrupts a screen reader (errors); `status` waits its turn. */
  live?: 'alert' | 'status' | 'none';
};

export function Alert({ tone = 'info', title, children, className, live }: AlertProps) {
  const role = live ?? (tone === 'error' ? 'alert' : 'status');
  return (
    <div
      role={role === 'none' ? undefined : role}
      className={cn('rounded-md border px-4 py-3 text-sm', TONES[tone], className)}
    >
      {title && <p className="font-semibold">{title}</p>}
      {children && <div className={title ? 'mt-1' : undefined}>{children}</div>}
    </div>
  );
}
