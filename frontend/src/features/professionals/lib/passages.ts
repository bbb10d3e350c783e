/**
 * A passage found by meaning (contract 8.4), cut into its sentences, with the sentences that
 * share a word with the query marked. The match is by meaning, so a passage may share no word
 * at all; the marks only help the eye find the likely part, with the resume's word rules
 * (search-text.ts: folded, English stems), ignoring the little words every sentence has.
 */
import { highlight, queryTerms, stem, type Segment } from './search-text';

// Words too common to say that a sentence is about the query.
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can do for from had has have he her his i in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this to us ' +
    'was we were what when where which who whom why will with would you your'
  ).split(' '),
);

/** The terms of a query worth marking in a passage: no stop words. */
export function meaningTerms(q: string): string[] {
  return queryTerms(q).filter((term) => !STOP_WORDS.has(term) && !STOP_WORDS.has(stem(term)));
}

export type Sentence = {
  /** The sentence's words, with those that are query terms marked (`hit`). */
  segments: Segment[];
  /** True when the sentence shares a word with the query. */
  shared: boolean;
};

// A sentence ends at . ! ? or … followed by a space or the end (so "node.js" and "3.5" do not
// end one), with any closing quote or bracket, or at a line break.
const SENTENCE_END = /(?:[.!?…]+["'”’)\]]*(?=\s|$)|\n)\s*/gu;

/** `text` cut into sentences; together they are the whole text, spaces included. */
export function sentencesOf(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (const match of text.matchAll(SENTENCE_END)) {
    const end = match.index + match[0].length;
    if (end > at) {
      out.push(text.slice(at, end));
      at = end;
    }
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

export function passageSentences(text: string, terms: string[]): Sentence[] {
  return sentencesOf(text).map((sentence) => {
    const segments = highlight(sentence, terms, 'word');
    return { segments, shared: segments.some((segment) => segment.hit) };
  });
}

/** A score of 0..1 as a whole percentage, clamped (a rounding error never shows 101%). */
export const scorePercent = (score: number) => Math.round(Math.min(1, Math.max(0, Number(score) || 0)) * 100);
