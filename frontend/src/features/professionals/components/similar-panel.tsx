import { Link, useLocation } from 'react-router';

import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { paths } from '@/config/paths';
import { ApiError } from '@/lib/api-client';
import type { SearchHit } from '@/types/api';

import { useSimilar } from '../api/get-similar';

import { PassageList } from './passage-list';
import { MEANING_UNAVAILABLE } from './search-mode';

type SimilarPanelProps = {
  id: string;
  /** The resume's `processed_at`: a new resume asks again. */
  resumeAt?: string | null;
};

/** Professionals whose resumes are nearest in meaning to this one's (contract 8.4), nearest first. */
export function SimilarPanel({ id, resumeAt }: SimilarPanelProps) {
  const query = useSimilar(id, resumeAt);
  // Opened from a search: the way back stays that search (ProfessionalDetail reads it).
  const state = useLocation().state as unknown;

  let body: React.ReactNode;
  if (query.isPending) body = <Spinner label="Finding similar professionals…" />;
  else if (query.isError) {
    const error = query.error;
    if (error instanceof ApiError && error.isAuthError) return null; // the sign-in gate takes over
    const unavailable = error instanceof ApiError && error.status === 503;
    body = (
      <Alert tone="error" title={unavailable ? MEANING_UNAVAILABLE : 'Could not find similar professionals'}>
        {!unavailable && <p>{error instanceof ApiError && error.status === 404 ? 'This professional does not exist, or was deleted.' : error.message}</p>}
        <Button size="sm" variant="secondary" className="mt-2" busy={query.isFetching} onClick={() => void query.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  } else if (!query.data.items.length) {
    body = (
      <div className="space-y-1 text-sm text-slate-600">
        <p className="font-medium text-slate-900">No similar professionals yet</p>
        <p>Similar professionals are found from a ready resume, this one’s and theirs; a new resume takes up to half a minute to be found.</p>
      </div>
    );
  } else {
    body = (
      <ol className="divide-y divide-slate-100" aria-label="Similar professionals, nearest first">
        {query.data.items.map((item) => (
          <SimilarItem key={item.id} item={item} state={state} />
        ))}
      </ol>
    );
  }

  return (
    <section aria-labelledby="similar-title" className="space-y-4 rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="similar-title" className="text-lg font-semibold">
          Similar professionals
        </h2>
        {query.isSuccess && (
          <Button variant="secondary" size="sm" busy={query.isRefetching} onClick={() => query.refetch()}>
            Refresh
          </Button>
        )}
      </div>
      {body}
    </section>
  );
}

function SimilarItem({ item, state }: { item: SearchHit; state: unknown }) {
  const role = [item.job_title, item.company_name].filter(Boolean).join(', ');
  const nearest = item.match?.passages?.[0];
  return (
    <li className="py-3 text-sm">
      <p>
        <Link
          to={paths.staff.professional(item.id)}
          state={state}
          className="rounded font-semibold text-blue-800 underline-offset-2 hover:underline focus-visible:outline-3 focus-visible:outline-blue-600"
        >
          {item.full_name}
        </Link>
        {role && <span className="text-slate-600"> · {role}</span>}
      </p>
      {nearest ? (
        <PassageList passages={[nearest]} terms={[]} caption="Nearest passage of their resume:" />
      ) : (
        item.match?.snippet && (
          <figure className="mt-2">
            <figcaption className="text-slate-600">Nearest passage of their resume:</figcaption>
            <blockquote className="mt-1 border-l-4 border-slate-300 pl-3 break-words text-slate-800">{item.match.snippet}</blockquote>
          </figure>
        )
      )}
    </li>
  );
}
