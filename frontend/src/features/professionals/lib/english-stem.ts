/**
 * The Snowball English (Porter2) stemmer, as snowballstemmer 3.1.1 generates it from english.sbl
 * (the server's analyzer.stem(); the 3.x rules included: the R1 prefixes "emerg", "inter",
 * "organ", "past", "univers"..., "added" -> "add", "-ogist" -> "og"). No npm package follows 3.x
 * ("porter2" and "wink-porter2-stemmer" follow 2.x: "organization" -> "organ"), hence this one,
 * tested against Python's output in search-text.test.ts. Input: a folded (lower-case) word.
 */

const VOWEL = new Set('aeiouy');
const V_WXY = new Set('aeiouywxY');
const VALID_LI = new Set('cdeghkmnrt');
const isV = (ch: string | undefined) => ch !== undefined && VOWEL.has(ch);
const isC = (ch: string | undefined) => ch !== undefined && !VOWEL.has(ch);

const EXCEPTIONS: Record<string, string> = {
  andes: 'andes', atlas: 'atlas', bias: 'bias', cosmos: 'cosmos', howe: 'howe', news: 'news', sky: 'sky',
  skis: 'ski', skies: 'sky', idly: 'idl', gently: 'gentl', ugly: 'ugli', early: 'earli', only: 'onli', singly: 'singl',
};
const R1_PREFIXES = ['univers', 'arsen', 'commun', 'emerg', 'gener', 'inter', 'later', 'organ', 'past'];

// [suffix, replacement or null], longest suffix first: the longest that ends the word is the one
// tried (Snowball's among), whether or not its condition then holds.
const STEP2: [string, string][] = [
  ['ational', 'ate'], ['ization', 'ize'], ['iveness', 'ive'], ['fulness', 'ful'], ['ousness', 'ous'],
  ['tional', 'tion'], ['biliti', 'ble'], ['lessli', 'less'],
  ['entli', 'ent'], ['ousli', 'ous'], ['fulli', 'ful'], ['aliti', 'al'], ['iviti', 'ive'], ['alism', 'al'],
  ['ation', 'ate'], ['ogist', 'og'],
  ['anci', 'ance'], ['enci', 'ence'], ['abli', 'able'], ['alli', 'al'], ['izer', 'ize'], ['ator', 'ate'],
  ['bli', 'ble'], ['ogi', 'og'], ['li', ''],
];
const STEP3: [string, string | null][] = [
  ['ational', 'ate'], ['tional', 'tion'], ['alize', 'al'], ['icate', 'ic'], ['iciti', 'ic'], ['ative', null],
  ['ical', 'ic'], ['ness', ''], ['ful', ''],
];
const STEP4 = ['ement', 'ment', 'ance', 'ence', 'able', 'ible', 'ant', 'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'ion', 'al', 'er', 'ic'];
const STEP1B_ING_EXCEPTIONS = new Set(['even', 'cann', 'inn', 'earr', 'herr', 'out']);
const longest = <T extends [string, ...unknown[]]>(w: string, table: T[]) => table.find(([s]) => w.endsWith(s));

/** Whether `w` ends with a short syllable (Snowball's shortv). */
function shortV(w: string): boolean {
  const n = w.length;
  if (n >= 3 && !V_WXY.has(w[n - 1]) && isV(w[n - 2]) && isC(w[n - 3])) return true;
  if (n === 2 && isC(w[1]) && isV(w[0])) return true;
  return w.endsWith('past');
}

export function englishStem(word: string): string {
  if (Object.hasOwn(EXCEPTIONS, word)) return EXCEPTIONS[word];
  if (word.length < 3) return word;

  // Prelude: a leading apostrophe goes; a "y" at the start or after a vowel is a consonant ("Y").
  let w = word.startsWith("'") ? word.slice(1) : word;
  const chars = Array.from(w);
  if (chars[0] === 'y') chars[0] = 'Y';
  for (let i = 0; i + 1 < chars.length; i++) if (isV(chars[i]) && chars[i + 1] === 'y') chars[i + 1] = 'Y';
  w = chars.join('');
  const yFound = w.includes('Y');

  // Regions: R1 after the first non-vowel that follows a vowel (or after a listed prefix), R2
  // the same again within R1.
  const after = (from: number) => {
    let i = from;
    while (i < w.length && !isV(w[i])) i++;
    while (i < w.length && isV(w[i])) i++;
    return i < w.length ? i + 1 : w.length;
  };
  const prefix = R1_PREFIXES.find((p) => w.startsWith(p));
  let p1: number;
  let p2: number;
  if (prefix) {
    p1 = prefix.length;
    p2 = after(p1);
  } else {
    p1 = after(0);
    p2 = p1 < w.length ? after(p1) : w.length;
  }
  // A region check is on where a suffix starts.
  const inR1 = (suffix: string) => w.length - suffix.length >= p1;
  const inR2 = (suffix: string) => w.length - suffix.length >= p2;
  const hasVowel = (s: string) => Array.from(s).some(isV);

  // Step 1a.
  for (const s of ["'s'", "'s", "'"]) {
    if (w.endsWith(s)) {
      w = w.slice(0, -s.length);
      break;
    }
  }
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ied') || w.endsWith('ies')) w = w.slice(0, -3) + (w.length > 4 ? 'i' : 'ie');
  else if (w.endsWith('ss') || w.endsWith('us')) {
    // unchanged
  } else if (w.endsWith('s') && w.length >= 2 && hasVowel(w.slice(0, -2))) w = w.slice(0, -1);

  // Step 1b.
  const s1b = ['eedly', 'ingly', 'edly', 'eed', 'ing', 'ed'].find((s) => w.endsWith(s));
  if (s1b === 'eed' || s1b === 'eedly') {
    const stem = w.slice(0, -s1b.length);
    if (inR1(s1b) && !['succ', 'proc', 'exc'].includes(stem)) w = `${stem}ee`;
  } else if (s1b) {
    const stem = w.slice(0, -s1b.length);
    let general = true;
    if (s1b === 'ing') {
      if (stem.length === 2 && stem[1] === 'y' && isC(stem[0])) {
        w = `${stem[0]}ie`;
        general = false;
      } else if (STEP1B_ING_EXCEPTIONS.has(stem)) general = false;
    }
    if (general && hasVowel(stem)) {
      w = stem;
      if (w.endsWith('at') || w.endsWith('bl') || w.endsWith('iz')) w += 'e';
      else if (/(bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(w)) {
        if (!(w.length === 3 && 'aeo'.includes(w[0]))) w = w.slice(0, -1);
      } else if (w.length === p1 && shortV(w)) w += 'e';
    }
  }

  // Step 1c.
  if (w.length > 2 && (w.endsWith('y') || w.endsWith('Y')) && isC(w[w.length - 2])) w = `${w.slice(0, -1)}i`;

  // Step 2.
  const s2 = longest(w, STEP2);
  if (s2 && inR1(s2[0])) {
    const [s, to] = s2;
    const before = w[w.length - s.length - 1];
    if (s === 'ogi') {
      if (before === 'l') w = `${w.slice(0, -3)}og`;
    } else if (s === 'li') {
      if (before !== undefined && VALID_LI.has(before)) w = w.slice(0, -2);
    } else w = w.slice(0, -s.length) + to;
  }

  // Step 3.
  const s3 = longest(w, STEP3);
  if (s3 && inR1(s3[0])) {
    const [s, to] = s3;
    if (to !== null) w = w.slice(0, -s.length) + to;
    else if (inR2(s)) w = w.slice(0, -s.length);
  }

  // Step 4.
  const s4 = STEP4.find((s) => w.endsWith(s));
  if (s4 && inR2(s4)) {
    if (s4 !== 'ion') w = w.slice(0, -s4.length);
    else if ('st'.includes(w[w.length - 4] ?? 'x') && w.length > 3) w = w.slice(0, -3);
  }

  // Step 5.
  if (w.endsWith('e')) {
    if (inR2('e') || (inR1('e') && !shortV(w.slice(0, -1)))) w = w.slice(0, -1);
  } else if (w.endsWith('l') && inR2('l') && w[w.length - 2] === 'l') w = w.slice(0, -1);

  return yFound ? w.replace(/Y/g, 'y') : w;
}
