import { useMemo, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router';

import { cn } from '@/components/ui/cn';
import { paths } from '@/config/paths';
import { formatDateTime } from '@/lib/format';
import { MATCH_FIELDS, type MatchField, type Professional } from '@/types/api';

import type { SearchResultItem } from '../api/get-professionals';
import { meaningTerms } from '../lib/passages';
import { highlight, highlightPhone, queryTerms } from '../lib/search-text';

import { Highlighted } from './highlighted';
import { PassageList } from './passage-list';
import { ResumeStatusBadge } from './resume-status-badge';
import { SourceBadge } from './source-badge';

/** The fields a result matched in, named for people. */
export const MATCH_FIELD_NAMES: Record<MatchField, string> = {
  full_name: 'Name',
  company_name: 'Company',
  job_title: 'Title',
  email: 'Email',
  phone: 'Phone',
  resume: 'Resume',
};

type SearchResultsProps = {
  items: (Professional | SearchResultItem)[];
  /** The search these items answer (for the highlights). */
  q: string;
  caption: string;
  busy?: boolean;
};

export function SearchResults({ items, q, caption, busy }: SearchResultsProps) {
  const terms = useMemo(() => ({ fields: queryTerms(q), passages: meaningTerms(q) }), [q]);
  const { pathname, search } = useLocation();
  const here = `${pathname}${search}`;
  return (
    <ol aria-label={caption} aria-busy={busy || undefined} className={cn('space-y-3', busy && 'opacity-60')}>
      {items.map((item) => (
        <SearchResult key={item.id} hit={item} q={q} terms={terms} searchUrl={here} />
      ))}
    </ol>
  );
}

type SearchResultProps = {
  hit: Professional | SearchResultItem;
  q: string;
  terms: { fields: string[]; passages: string[] };
  searchUrl: string;
};

function SearchResult({ hit, q, terms: { fields: terms, passages: passageTerms }, searchUrl }: SearchResultProps) {
  const match: SearchResultItem['match'] = 'match' in hit ? hit.match : { fields: [], snippet: null };
  const matched = new Set(match.fields);
  // Highlights only where the server says a term matched.
  const show = (field: Exclude<MatchField, 'resume'>): ReactNode => {
    const value = hit[field];
    if (!value || !matched.has(field)) return value;
    return <Highlighted segments={field === 'phone' ? highlightPhone(value, terms, q) : highlight(value, terms, 'prefix')} />;
  };
  const details = (['job_title', 'company_name', 'email', 'phone'] as const).filter((field) => hit[field]);

  return (
    <li className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h2 className="text-base font-semibold">
          <Link
            to={paths.staff.professional(hit.id)}
            state={{ search: searchUrl }}
            className="rounded text-blue-800 underline-offset-2 hover:underline focus-visible:outline-3 focus-visible:outline-blue-600"
          >
            {show('full_name')}
          </Link>
        </h2>
        {/* Matched through a typo (8.3): below every exact or prefix match, and nothing to highlight. */}
        {match.typo && (
          <span className="rounded-sm bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300">
            close match
          </span>
        )}
        <SourceBadge source={hit.source} />
        <span className="text-sm">
          <span className="text-slate-600">Resume: </span>
          <ResumeStatusBadge resume={hit.resume} />
        </span>
        <span className="text-sm text-slate-600">
          Signed up <time dateTime={hit.created_at}>{formatDateTime(hit.created_at)}</time>
        </span>
      </div>
      {details.length > 0 && (
        <dl className="mt-2 flex flex-wrap gap-x-6 gap-y-1 text-sm">
          {details.map((field) => (
            <div key={field} className="max-w-full min-w-0">
              <dt className="inline text-slate-600">{MATCH_FIELD_NAMES[field]}: </dt>
              <dd className="inline break-words text-slate-900">{show(field)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p className="mt-2 text-sm text-slate-700">
        <span className="font-medium text-slate-900">Matched in: </span>
        {MATCH_FIELDS.filter((field) => matched.has(field))
          .map((field) => MATCH_FIELD_NAMES[field])
          .join(', ') || '—'}
      </p>
      {/* Found by meaning (8.4): its passages, the best of which is also the snippet. */}
      {match.passages?.length ? (
        <PassageList
          passages={match.passages}
          terms={passageTerms}
          caption={match.passages.length === 1 ? 'Closest in meaning, from the resume:' : 'Closest in meaning, from the resume (best first):'}
        />
      ) : match.snippet && (
        <figure className="mt-2 text-sm">
          <figcaption className="text-slate-600">From the resume:</figcaption>
          <blockquote className="mt-1 border-l-4 border-slate-300 pl-3 break-words text-slate-800">
            <Highlighted segments={highlight(match.snippet, terms, 'word')} />
          </blockquote>
        </figure>
      )}
    </li>
  );
}
