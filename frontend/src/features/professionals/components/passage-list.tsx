import { useMemo } from 'react';

import type { Passage } from '@/types/api';

import { passageSentences, scorePercent } from '../lib/passages';

import { Highlighted } from './highlighted';

type PassageListProps = {
  passages: Passage[];
  /** The query's words worth marking (lib/passages.ts meaningTerms); none for similar resumes. */
  terms: string[];
  caption: string;
};

/**
 * Passages of a resume found by meaning (contract 8.4), best first, each with its score as a
 * percentage and a bar; the sentences that share a word with the query are marked.
 */
export function PassageList({ passages, terms, caption }: PassageListProps) {
  return (
    <figure className="mt-2 text-sm">
      <figcaption className="text-slate-600">{caption}</figcaption>
      <ol className="mt-1 space-y-2">
        {passages.map((passage, i) => (
          <PassageItem key={i} passage={passage} terms={terms} />
        ))}
      </ol>
    </figure>
  );
}

function PassageItem({ passage, terms }: { passage: Passage; terms: string[] }) {
  const sentences = useMemo(() => passageSentences(passage.text, terms), [passage.text, terms]);
  const percent = scorePercent(passage.score);
  return (
    <li className="border-l-4 border-slate-300 pl-3">
      <blockquote className="break-words text-slate-800">
        {sentences.map((sentence, i) =>
          sentence.shared ? (
            <mark key={i} data-sentence="" className="rounded-sm bg-sky-100 text-inherit">
              <Highlighted segments={sentence.segments} />
            </mark>
          ) : (
            <Highlighted key={i} segments={sentence.segments} />
          ),
        )}
      </blockquote>
      <p className="mt-1 flex items-center gap-2 text-xs text-slate-600">
        <span aria-hidden="true" className="block h-1.5 w-20 overflow-hidden rounded-full bg-slate-200">
          <span className="block h-full rounded-full bg-blue-600" style={{ width: `${percent}%` }} />
        </span>
        <span>{percent}% match</span>
      </p>
    </li>
  );
}
