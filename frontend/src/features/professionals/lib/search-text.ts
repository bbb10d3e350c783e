/**
 * Search's text rules (docs/search-words.md; docs/api.md, Search), the same as the
 * server's analyzer (chalicelib/search/analyzer.py), so the console marks what the server matched:
 *
 * - fold: case folded ("ß" -> "ss", final "ς" -> "σ"), accents stripped from Latin, Greek and
 *   Cyrillic letters ("José" = "jose", "σωκράτης" = "σωκρατης", "Фёдор" = "федор"), except the
 *   breve of "й" and "ў"; marks of other scripts stay in their word.
 * - split on anything that is not a letter, a digit or a mark, except: a word with inner
 *   apostrophes, hyphens or dots (O'Brien, Al-Farsi, J.P.) gives its parts and its joined form
 *   (a query: the joined form only); c++, c#, .net, node.js, asp.net are words of their own;
 *   Chinese, Japanese and Korean runs give overlapping pairs of characters.
 * - resume words match by their Snowball English stem (english-stem.ts).
 *
 * Text is folded one character (with its marks) at a time, remembering where in the original text
 * each folded character came from, so a highlight covers the original letters. As on the server,
 * each folded character gets a class letter (its "shape") and one regular expression over the
 * shapes finds the tokens.
 */
import { englishStem } from './english-stem';

const MARK = /\p{M}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const DIGIT = /\p{N}/u;
const LGC = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]/u;
const LATIN_WORD = /^\p{Script=Latin}+$/u;
const ALPHA = /^\p{L}+$/u;
// One character and the combining marks that follow it (or marks with nothing before them).
const CLUSTER = /\P{M}\p{M}*|\p{M}+/gu;
// Latin letters that do not decompose into a base letter and a mark (the server's table).
const LATIN_FOLD: Record<string, string> = {
  ø: 'o', đ: 'd', ð: 'd', ł: 'l', ħ: 'h', ı: 'i', ŀ: 'l', ŧ: 't', æ: 'ae', œ: 'oe', þ: 'th', ĸ: 'q',
};
const LATIN_FOLD_RE = new RegExp(`[${Object.keys(LATIN_FOLD).join('')}]`, 'gu');
// Cyrillic letters whose breve stays: "й" and "ў" are letters of their own.
const KEEP_BREVE = /[иу]\u0306/gu;
const JOINERS: Record<string, string> = {
  "'": "'", '\u2019': "'", '\u02bc': "'", '-': '-', '\u2010': '-', '\u2011': '-', '.': '.', '+': '+', '#': '#', '@': '@',
};
const CJK_RANGES: [number, number][] = [
  [0x1100, 0x11ff], [0x2e80, 0x2fdf], [0x3005, 0x3007], [0x3021, 0x3029], [0x3031, 0x3035], [0x303b, 0x303c],
  [0x3040, 0x30ff], [0x3130, 0x318f], [0x31f0, 0x31ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa960, 0xa97f],
  [0xac00, 0xd7ff], [0xf900, 0xfaff], [0xff66, 0xffdc], [0x20000, 0x3ffff],
];
// The names "<name>.net" that are technology names (elsewhere "<name>.net" is a web domain).
const DOTNET_NAMES = new Set(['asp', 'vb', 'ado']);
// The server's _TOKEN over shapes: "s" a Latin, Greek or Cyrillic letter, "a" another letter, "d"
// a digit, "m" a mark, "c" a CJK character, joiners as themselves, " " anything else.
const TOKEN =
  /(?<t>[sa]+(?:\+\+|#(?![sadmc])))|(?<n>\.sss(?![sadmc+#]|['\-.][sad]))|(?<k>c[cm]*)|(?<j>[sad][sadm]*(?:['\-.][sad][sadm]*)+)|(?<w>[sad][sadm]*)/gu;
const RUN = /[sad][sadm]*/gu;
const UNIT = /cm*/gu;

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

/** The class of a folded character (the server's _shape_of). */
function shapeOf(ch: string): string {
  const joiner = JOINERS[ch];
  if (joiner) return joiner;
  if (MARK.test(ch)) return 'm';
  if (!LETTER_OR_DIGIT.test(ch)) return ' ';
  const point = ch.codePointAt(0) ?? 0;
  if (CJK_RANGES.some(([lo, hi]) => lo <= point && point <= hi)) return 'c';
  if (DIGIT.test(ch)) return 'd';
  return LGC.test(ch) ? 's' : 'a';
}

/**
 * `text` folded. `previous` is the class of the folded character before it, when `text` is a piece
 * of a longer text: a mark goes unless it follows another script's letter, a digit, a CJK
 * character or a kept mark (as the server folds the whole text at once).
 */
function foldPiece(text: string, previous = ' '): string {
  const out: string[] = [];
  let last = previous;
  for (const ch of caseFold(text.normalize('NFKD')).normalize('NFKD').replace(KEEP_BREVE, (pair) => pair.normalize('NFC'))) {
    const shape = shapeOf(ch);
    if (shape === 'm' && !'adcm'.includes(last)) continue;
    out.push(ch);
    last = shape;
  }
  return out.join('').normalize('NFC').replace(LATIN_FOLD_RE, (ch) => LATIN_FOLD[ch]);
}

/** Case folded, accents stripped from Latin, Greek and Cyrillic letters. */
export const fold = (text: string): string => foldPiece(text);

/** A folded text: its code points, their shapes, and where in the original each came from. */
type Folded = { chars: string[]; shape: string; starts: number[]; ends: number[] };

function foldText(text: string): Folded {
  const folded: Folded = { chars: [], shape: '', starts: [], ends: [] };
  const shapes: string[] = [];
  let previous = ' ';
  for (const match of text.matchAll(CLUSTER)) {
    const end = match.index + match[0].length;
    for (const ch of foldPiece(match[0], previous)) {
      previous = shapeOf(ch);
      folded.chars.push(ch);
      shapes.push(previous);
      folded.starts.push(match.index);
      folded.ends.push(end);
    }
  }
  folded.shape = shapes.join('');
  return folded;
}

/** A folded word and the folded characters it is made of (`at`: their indices, in order). */
type Found = { text: string; at: number[]; joined?: boolean };
type Token = { kind: string; start: number; end: number };

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function tokensOf(folded: Folded): Token[] {
  return Array.from(folded.shape.matchAll(TOKEN), (m) => ({
    kind: Object.entries(m.groups ?? {}).find(([, value]) => value !== undefined)?.[0] ?? 'w',
    start: m.index,
    end: m.index + m[0].length,
  }));
}

/** A compound's technology names, its parts, and whether its joined form counts (not in an email's domain). */
function compound(folded: Folded, { start, end }: Token) {
  const parts: Found[] = [];
  const tech: Found[] = [];
  const shape = folded.shape.slice(0, end);
  RUN.lastIndex = start;
  for (let run = RUN.exec(shape); run; run = RUN.exec(shape)) {
    const at = range(run.index, run.index + run[0].length);
    const text = at.map((i) => folded.chars[i]).join('');
    const last = parts[parts.length - 1];
    if (last && folded.chars[run.index - 1] === '.' && (text === 'js' || (text === 'net' && DOTNET_NAMES.has(last.text)))) {
      tech.push({ text: `${last.text}.${text}`, at: range(last.at[0], run.index + run[0].length) });
    }
    parts.push({ text, at });
  }
  const joined: Found = { text: parts.map((p) => p.text).join(''), at: parts.flatMap((p) => p.at), joined: true };
  return { tech, parts, joined: start > 0 && folded.shape[start - 1] === '@' ? null : joined };
}

/** A CJK run's overlapping pairs of characters (a mark stays with its character). */
function pairs(folded: Folded, { start, end }: Token): Found[] {
  const units = Array.from(folded.shape.slice(start, end).matchAll(UNIT), (u) => range(start + u.index, start + u.index + u[0].length));
  const found = (at: number[]) => ({ text: at.map((i) => folded.chars[i]).join(''), at });
  if (units.length < 2) return [found(range(start, end))];
  return units.slice(1).map((unit, i) => found([...units[i], ...unit]));
}

/** The words of one token, as the server's words() gives them. */
function tokenWords(folded: Folded, token: Token): Found[] {
  const { kind, start, end } = token;
  const whole = (from: number) => ({ text: folded.chars.slice(from, end).join(''), at: range(from, end) });
  if (kind === 'j') {
    const { tech, parts, joined } = compound(folded, token);
    return joined ? [...tech, ...parts, joined] : [...tech, ...parts];
  }
  if (kind === 'k') return pairs(folded, token);
  if (kind === 'n') return whole(start).text === '.net' ? [whole(start), whole(start + 1)] : [whole(start + 1)];
  return [whole(start)];
}

/** A folded word and where it came from in the original text. */
export type Word = { text: string; start: number; end: number };

/** Every word of `text` in order, folded, as the server's analyzer.words(). */
export function wordsOf(text: string | null | undefined): Word[] {
  const folded = foldText(text ?? '');
  return tokensOf(folded).flatMap((token) =>
    tokenWords(folded, token).map(({ text: word, at }) => ({
      text: word,
      start: folded.starts[at[0]],
      end: folded.ends[at[at.length - 1]],
    })),
  );
}

const length = (text: string) => Array.from(text).length;

/**
 * The distinct terms of a query, in the order typed (the server's query_terms()): a compound is
 * its joined form ("O'Brien" -> "obrien"), or the technology name it is ("node.js"), or in an
 * email's domain its parts; a CJK run its pairs; one-character terms are ignored.
 */
export function queryTerms(q: string): string[] {
  const folded = foldText(q);
  const found: string[] = [];
  for (const token of tokensOf(folded)) {
    if (token.kind === 'j') {
      const { tech, parts, joined } = compound(folded, token);
      if (tech.length === 1 && parts.length === 2) found.push(tech[0].text);
      else if (joined) found.push(joined.text);
      else found.push(...parts.map((p) => p.text));
    } else {
      // A ".net" token is the one word ".net"; the other kinds' first word is the token's.
      found.push(...(token.kind === 'k' ? tokenWords(folded, token) : tokenWords(folded, token).slice(0, 1)).map((w) => w.text));
    }
  }
  return [...new Set(found.filter((term) => length(term) >= MIN_TERM_LENGTH))];
}

/**
 * A word's Snowball English stem (the server's analyzer.stem()): words of Latin letters only;
 * any other word (digits, technology names, other scripts) is its own stem.
 */
export function stem(word: string): string {
  if (!ALPHA.test(word) || !LATIN_WORD.test(word)) return word;
  return englishStem(word);
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
 * `text` cut into plain and highlighted pieces. Profile fields (`prefix`) match a term that starts
 * a word: the original letters the term covers are marked, from the start of the word (of a
 * joined form such as O'Brien, with its apostrophe: the whole of it when the term is all of it).
 * The resume (`word`) matches whole words whose English stem is a term's stem ("engineers" for
 * "engineer"); a compound's part, joined form or technology name is marked as that word.
 */
export function highlight(text: string, terms: string[], mode: 'prefix' | 'word'): Segment[] {
  const folded = foldText(text);
  const stems = new Set(mode === 'word' ? terms.map(stem) : []);
  const ranges: Range[] = [];
  const mark = (at: number[], count: number) => ranges.push([folded.starts[at[0]], folded.ends[at[count - 1]]]);
  for (const token of tokensOf(folded)) {
    for (const word of tokenWords(folded, token)) {
      if (mode === 'word') {
        if (stems.has(stem(word.text))) mark(word.at, word.at.length);
        continue;
      }
      let covered = 0; // folded characters covered by the longest term the word starts with
      for (const term of terms) if (word.text.startsWith(term)) covered = Math.max(covered, length(term));
      if (covered) mark(word.at, covered);
    }
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
