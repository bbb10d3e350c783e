import type { ReactNode } from 'react';
import { NavLink } from 'react-router';

import { cn } from '@/components/ui/cn';
import { paths } from '@/config/paths';

import { SkipLink } from './skip-link';

const navClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    'rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-3 focus-visible:outline-white',
    isActive ? 'bg-blue-800 text-white' : 'text-blue-100 hover:bg-blue-800/60 hover:text-white',
  );

type StaffLayoutProps = {
  actions?: ReactNode;
  /** Viewers have no import: its link is not shown. */
  canImport?: boolean;
  children: ReactNode;
};

export function StaffLayout({ actions, canImport = true, children }: StaffLayoutProps) {
  return (
    <div className="min-h-dvh">
      <SkipLink />
      <header className="bg-blue-900 text-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <span className="text-lg font-semibold tracking-tight">Staff console</span>
          <nav aria-label="Staff" className="flex flex-wrap gap-1">
            <NavLink to={paths.staff.root} end className={navClass}>
              Professionals
            </NavLink>
            {canImport && (
              <NavLink to={paths.staff.import} className={navClass}>
                Bulk import
              </NavLink>
            )}
            <NavLink to={paths.staff.dashboard} className={navClass}>
              Dashboard
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-3">{actions}</div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-7xl px-4 py-6 focus:outline-none sm:py-8">
        {children}
      </main>
    </div>
  );
}
