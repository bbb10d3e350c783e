import { Fragment, memo, useLayoutEffect, useRef, type MouseEvent } from 'react';
import { useNavigate } from 'react-router';

import { paths } from '@/config/paths';
import { formatDateTime, orDash } from '@/lib/format';
import type { Professional } from '@/types/api';

import { ResumeStatusBadge } from './resume-status-badge';
import { SourceBadge } from './source-badge';
import { VerifiedBadge } from './verified-badge';

/** Marks and measures read by the end-to-end budget check (100 rows in < 100 ms). */
export const TABLE_MARKS = {
  start: 'staff-table:render-start',
  end: 'staff-table:render-end',
  render: 'staff-table:render',
  paint: 'staff-table:paint',
} as const;

/*
 * A real <table>, laid out as one CSS grid per row so that rows off screen can skip layout and
 * paint (content-visibility: auto, which table rows as table boxes do not allow). The explicit
 * ARIA roles keep the table semantics that a changed `display` can cost in some browsers.
 */
// Content-independent tracks, so that every row's grid lines up; the phone column never narrower
// than a whole international number (+1 415 555 0123 as E.164), which is not broken.
const GRID =
  'grid grid-cols-2 sm:grid-cols-[minmax(0,14fr)_minmax(0,22fr)_minmax(8.5rem,11fr)_minmax(0,13fr)_minmax(0,11fr)_minmax(0,8fr)_minmax(0,10fr)_minmax(0,11fr)]';
// On a phone each row is a small card: two columns, each cell under its own label.
// The label rules exist below the `sm` breakpoint only, so wide screens never style them.
const CELL =
  'min-w-0 px-3 py-1 sm:py-2 break-words max-sm:before:block max-sm:before:text-xs max-sm:before:font-medium ' +
  'max-sm:before:text-slate-500 max-sm:before:content-[attr(data-label)]';

/**
 * An address that wraps where a reader expects it to, before the `@` and after a dot, rather than
 * mid-word; only a part too long for the column on its own is still split.
 */
function BreakableEmail({ email }: { email: string }) {
  const parts = email.split(/(?=@)|(?<=\.)/);
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}

const Row = memo(function Row({ professional: p }: { professional: Professional }) {
  return (
    <tr
      role="row"
      className={`${GRID} border-t border-slate-200 py-2 [contain-intrinsic-size:auto_3.25rem] [content-visibility:auto] hover:bg-slate-50 sm:py-0`}
    >
      <th role="rowheader" scope="row" className="col-span-2 min-w-0 px-3 py-1 text-left font-medium break-words sm:col-span-1 sm:py-2">
        <a
          href={paths.staff.professional(p.id)}
          className="rounded text-blue-800 underline-offset-2 hover:underline focus-visible:outline-3 focus-visible:outline-blue-600"
        >
          {p.full_name}
        </a>
      </th>
      <td role="cell" data-label="Email" className={`${CELL} col-span-2 sm:col-span-1`}>
        {p.email ? <BreakableEmail email={p.email} /> : orDash(p.email)}
        {p.email && p.email_verified && <VerifiedBadge />}
      </td>
      <td role="cell" data-label="Phone" className={`${CELL} whitespace-nowrap`}>{orDash(p.phone)}</td>
      <td role="cell" data-label="Company" className={CELL}>{orDash(p.company_name)}</td>
      <td role="cell" data-label="Job title" className={CELL}>{orDash(p.job_title)}</td>
      <td role="cell" data-label="Source" className={CELL}><SourceBadge source={p.source} /></td>
      <td role="cell" data-label="Resume" className={CELL}><ResumeStatusBadge resume={p.resume} /></td>
      <td role="cell" data-label="Signed up" className={`${CELL} text-slate-600`}>
        <time dateTime={p.created_at}>{formatDateTime(p.created_at)}</time>
      </td>
    </tr>
  );
});

type ProfessionalsTableProps = { items: Professional[]; caption: string; busy?: boolean };

/**
 * Plain links with one delegated click handler (client-side navigation for a plain left click;
 * new tab, copy link and the like still work), rather than a router <Link> and its hooks per row.
 */
function useLinkDelegation() {
  const navigate = useNavigate();
  return (event: MouseEvent<HTMLTableSectionElement>) => {
    const link = (event.target as HTMLElement).closest('a');
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(link.getAttribute('href')!);
  };
}

export function ProfessionalsTable({ items, caption, busy }: ProfessionalsTableProps) {
  const onClick = useLinkDelegation();
  const measured = useRef<Professional[] | null>(null);
  if (measured.current !== items && typeof performance !== 'undefined') {
    performance.mark(TABLE_MARKS.start);
  }

  useLayoutEffect(() => {
    if (measured.current === items || typeof performance === 'undefined') return;
    measured.current = items;
    const detail = { rows: items.length };
    performance.mark(TABLE_MARKS.end);
    performance.measure(TABLE_MARKS.render, { start: TABLE_MARKS.start, end: TABLE_MARKS.end, detail });
    const start = performance.getEntriesByName(TABLE_MARKS.start, 'mark').at(-1)?.startTime ?? 0;
    // The next frame after the commit: layout and paint of the rows included.
    requestAnimationFrame(() =>
      setTimeout(() => performance.measure(TABLE_MARKS.paint, { start, end: performance.now(), detail }), 0),
    );
  }, [items]);

  return (
    <div
      role="region"
      aria-label={caption}
      tabIndex={0}
      className="overflow-x-auto rounded-lg border border-slate-200 bg-white focus-visible:outline-3 focus-visible:outline-blue-600"
    >
      <table
        role="table"
        aria-busy={busy || undefined}
        className={`block w-full text-sm sm:min-w-[62rem] ${busy ? 'opacity-60' : ''}`}
      >
        <caption className="sr-only">{caption}</caption>
        <thead role="rowgroup" className="hidden bg-slate-100 sm:block text-left text-xs font-semibold tracking-wide text-slate-700 uppercase">
          <tr role="row" className={GRID}>
            {['Name', 'Email', 'Phone', 'Company', 'Job title', 'Source', 'Resume', 'Signed up'].map((name) => (
              <th key={name} role="columnheader" scope="col" className="px-3 py-2">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody role="rowgroup" className="block [&>tr:first-child]:border-t-0 sm:[&>tr:first-child]:border-t" onClick={onClick}>
          {items.map((professional) => (
            <Row key={professional.id} professional={professional} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
