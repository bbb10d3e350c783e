import type { ReactNode } from 'react';
import { Link } from 'react-router';

import { paths } from '@/config/paths';

import { SkipLink } from './skip-link';

export function PublicLayout({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  return (
    <div className="min-h-dvh">
      <SkipLink />
      <header className="bg-blue-900 text-white">
        <div className="mx-auto flex max-w-3xl items-center justify-between px-4 py-4">
          <Link to={paths.home} className="text-lg font-semibold tracking-tight focus-visible:outline-3 focus-visible:outline-white">
            Professionals
          </Link>
          <Link
            to={paths.staff.root}
            className="rounded text-sm text-blue-100 underline-offset-4 hover:underline focus-visible:outline-3 focus-visible:outline-white"
          >
            Staff console
          </Link>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="mx-auto max-w-3xl px-4 py-8 focus:outline-none sm:py-12">
        <div className="rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200 sm:p-8">
          <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
          {intro && <div className="mt-2 text-slate-700">{intro}</div>}
          <div className="mt-6">{children}</div>
        </div>
      </main>
    </div>
  );
}
