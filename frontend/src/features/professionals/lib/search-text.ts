/**
 * Search's text rules (docs/api.md, Search), the same as the server's analyzer
 * (chalicelib/search/analyzer.py), so the console highlights what the server matched: case
 * folded, accents stripped from Latin letters ("José" = "jose", ø -> o, ß -> ss), split on
 * anything that is not a letter, a digit or a combining mark. Text is folded one character
 * (with its marks) at a time, which gives the server's words and remembers where in the original
 * text each folded character came from, so a highlight covers the original letters.
 */

const WORD_CHAR = /[\p{L}\p{N}]/u;
const MARK = /\p{M}/u;
const LATIN = /\p{Script=Latin}/u;
// One character and the combining marks that follow it (or marks with nothing before them).
const CLUSTER = /\P{M}\p{M}*|\p{M}+/gu;
// Latin letters that do not decompose into a base letter and a mark (the server's table).
const LATIN_FOLD: Record<string, string> = {
  ø: 'o', đ: 'd', ð: 'd', ł: 'l', ħ: 'h', ı: 'i', ŀ: 'l', ŧ: 't', æ: 'ae', œ: 'oe', þ: 'th', ĸ: 'q',
};
const LATIN_FOLD_RE = new RegExp(`[${Object.keys(LATIN_FOLD).join('')}]`, 'gu');

export const MIN_TERM_LENGTH = 2;

/**
 * Full case folding as Python's str.casefold: "ß" and "ẞ" -> "ss", "ς" -> "σ", "ﬁ" -> "fi", and
 * Cherokee, which folds to its capital letters.
 */
const caseFold = (text: string) =>
  Array.from(text, (ch) => ch.toLowerCase().toUpperCase().toLowerCase())
    .join('')
    .replace(/[\uab70-\uabbf\u13f8-\u13fd]/gu, (ch) =>
      String.fromCharCode(ch.charCodeAt(0) - (ch >= '\uab70' ? 0xab70 - 0x13a0 : 8)),
    );

/**
 * `text` folded. `previous` is the folded character before it, when `text` is a piece of a longer
 * text: a mark right after a Latin letter goes, even when it came from the next character's
 * decomposition (as the server folds the whole text at once).
 */
export function fold(text: string, previous = ''): string {
  const out: string[] = [];
  for (const ch of caseFold(text).normalize('NFKD')) {
    const last = out.length > 0 ? out[out.length - 1] : previous;
    if (MARK.test(ch) && LATIN.test(last)) continue;
    out.push(ch);
  }
  return out.join('').normalize('NFC').replace(LATIN_FOLD_RE, (ch) => LATIN_FOLD[ch]);
}

/** A folded word and where it came from: `ends[i]` is the original end of folded character i. */
export type Word = { text: string; start: number; ends: number[] };

export function wordsOf(text: string | null | undefined): Word[] {
  const found: Word[] = [];
  let current: { chars: string[]; start: number; ends: number[] } | null = null;
  const close = () => {
    if (current) found.push({ text: current.chars.join(''), start: current.start, ends: current.ends });
    current = null;
  };
  let previous = '';
  for (const match of (text ?? '').matchAll(CLUSTER)) {
    const end = match.index + match[0].length;
    const folded = fold(match[0], previous);
    previous = folded.slice(-1) || previous;
    for (const ch of folded) {
      if (WORD_CHAR.test(ch) || (MARK.test(ch) && current)) {
        current ??= { chars: [], start: match.index, ends: [] };
        current.chars.push(ch);
        current.ends.push(end);
      } else {
        close();
      }
    }
  }
  close();
  return found;
}

/** The distinct terms of a query, in the order typed; one-character words are ignored. */
export function queryTerms(q: string): string[] {
  const terms = wordsOf(q)
    .map((word) => word.text)
    .filter((word) => Array.from(word).length >= MIN_TERM_LENGTH);
  return [...new Set(terms)];
}

export type Segment = { text: string; hit: boolean };
type Range = [start: number, end: number];

function segments(text: string, ranges: Range[]): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const [start, end] of mergeRanges(ranges)) {
    if (start > at) out.push({ text: text.slice(at, start), hit: false });
    out.push({ text: text.slice(start, end), hit: true });
    at = end;
  }
  if (at < text.length || out.length === 0) out.push({ text: text.slice(at), hit: false });
  return out;
}

function mergeRanges(ranges: Range[]): Range[] {
  const merged: Range[] = [];
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * `text` cut into plain and highlighted pieces. Profile fields match a term that starts a word
 * (`prefix`: the letters the term covers are marked); the resume matches whole words only (`word`).
 */
export function highlight(text: string, terms: string[], mode: 'prefix' | 'word'): Segment[] {
  const ranges: Range[] = [];
  for (const word of wordsOf(text)) {
    let covered = 0; // folded characters covered by the longest matching term
    for (const term of terms) {
      const length = Array.from(term).length;
      if (mode === 'word' ? word.text === term : word.text.startsWith(term)) covered = Math.max(covered, length);
    }
    if (covered) ranges.push([word.start, word.ends[covered - 1]]);
  }
  return segments(text, ranges);
}

// E.164 country calling codes of one and two digits; every other code has three.
const SHORT_COUNTRY_CODES = new Set(
  '1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
);

function countryCodeLength(digits: string): number {
  if (SHORT_COUNTRY_CODES.has(digits.slice(0, 1))) return 1;
  if (SHORT_COUNTRY_CODES.has(digits.slice(0, 2))) return 2;
  return 3;
}

// A whole q that reads as a phone number (8.3, identifiers as typed; chalicelib/search/identifiers.py):
// digits with spaces, dashes, dots and brackets, at most one "+" before them, 7 to 20 digits.
const PHONE_SEPARATORS = /[\s\-\u2010-\u2015\u2212.()[\]]+/gu;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 20;
// Trailing digits of a phone's national number, typed as one run, match from this many (8.3).
const MIN_SUFFIX_DIGITS = 4;

/**
 * The digits to mark in a phone found as the whole of `q` ("(404) 831-6195", "+44 20 7946 0958",
 * "020 7946 0958"): its international digits after "+" or "00", else the digits without a
 * single leading trunk "0"; null when `q` is no phone number.
 */
export function wholePhoneDigits(q: string): string | null {
  const compact = q.trim().replace(PHONE_SEPARATORS, '');
  if (!/^\+?\d+$/.test(compact)) return null;
  const digits = compact.replace('+', '');
  if (digits.length < MIN_PHONE_DIGITS || digits.length > MAX_PHONE_DIGITS) return null;
  if (compact.startsWith('+')) return digits;
  if (digits.startsWith('00')) return digits.slice(2);
  return digits.startsWith('0') ? digits.slice(1) : digits;
}

/**
 * A phone (E.164, as the API returns it) is two words for search: its digits without "+", and
 * its national significant number (the digits after the country code). A term marks the start of
 * either; a term of 4 or more digits also marks the end of the national number (8.3). `q`, when it
 * is a whole phone number, marks the digits it stands for.
 */
export function highlightPhone(e164: string, terms: string[], q = ''): Segment[] {
  const offset = e164.startsWith('+') ? 1 : 0;
  const digits = e164.slice(offset);
  if (!/^\d+$/.test(digits)) return highlight(e164, terms, 'prefix');
  const national = countryCodeLength(digits);
  const ranges: Range[] = [];
  const whole = wholePhoneDigits(q);
  for (const term of whole ? [...terms, whole] : terms) {
    if (digits.startsWith(term)) ranges.push([offset, offset + term.length]);
    if (digits.slice(national).startsWith(term)) ranges.push([offset + national, offset + national + term.length]);
    if (term.length >= MIN_SUFFIX_DIGITS && /^\d+$/.test(term) && digits.slice(national).endsWith(term)) {
      ranges.push([offset + digits.length - term.length, offset + digits.length]);
    }
  }
  return segments(e164, ranges);
}
