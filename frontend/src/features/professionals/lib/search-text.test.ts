import { highlight, highlightPhone, queryTerms, wholePhoneDigits, wordsOf, type Segment } from './search-text';

const words = (text: string) => wordsOf(text).map((word) => word.text);
// Marked pieces written as [brackets], to compare at a glance.
const marked = (segments: Segment[]) => segments.map((s) => (s.hit ? `[${s.text}]` : s.text)).join('');

describe('search text rules (the same as chalicelib/search/analyzer.py)', () => {
  // Each expected value is what the server's analyzer.words() returns for the same text.
  it.each([
    ['José Núñez-García', ['jose', 'nunez', 'garcia']],
    ['ada.lovelace@example.com', ['ada', 'lovelace', 'example', 'com']],
    ['STRAẞE Straße', ['strasse', 'strasse']],
    ['Øyvind Ærø Łódź', ['oyvind', 'aero', 'lodz']],
    ['ǅemal İnci', ['dzemal', 'inci']],
    ['ΟΔΟΣ', ['οδοσ']],
    ['ﬁnance', ['finance']],
    ['नमस्ते दुनिया', ['नमस्ते', 'दुनिया']],
    ['東京タワー', ['東京タワー']],
    ["O'Brien_x2 a", ['o', 'brien', 'x2', 'a']],
  ])('%s', (text, expected) => {
    expect(words(text)).toEqual(expected);
  });

  it('keeps the distinct terms of two characters or more, in the order typed', () => {
    expect(queryTerms('a José j. ab AB')).toEqual(['jose', 'ab']);
    expect(queryTerms('a b c')).toEqual([]);
  });
});

describe('highlight', () => {
  it('marks the original letters a folded term starts, accents and case included', () => {
    expect(marked(highlight('José Núñez', ['jose'], 'prefix'))).toBe('[José] Núñez');
    expect(marked(highlight('Ada Lovelace', ['lov', 'ad'], 'prefix'))).toBe('[Ad]a [Lov]elace');
    expect(marked(highlight('Große Straße', ['strass'], 'prefix'))).toBe('Große [Straß]e');
    expect(marked(highlight('ada.lovelace@example.com', ['exa'], 'prefix'))).toBe('ada.lovelace@[exa]mple.com');
  });

  it('marks only whole words in resume text', () => {
    expect(marked(highlight('Engineer, engineering; ENGINEER.', ['engineer'], 'word'))).toBe('[Engineer], engineering; [ENGINEER].');
    expect(marked(highlight('Résumé of José', ['resume', 'jos'], 'word'))).toBe('[Résumé] of José');
  });

  it('leaves text without a match whole', () => {
    expect(highlight('Ada', ['bob'], 'prefix')).toEqual([{ text: 'Ada', hit: false }]);
    expect(highlight('', ['bob'], 'prefix')).toEqual([{ text: '', hit: false }]);
  });

  it('keeps markup as text', () => {
    expect(marked(highlight('<b>ada</b>', ['ada'], 'prefix'))).toBe('<b>[ada]</b>');
  });

  it('marks a phone from its E.164 digits or from its national number', () => {
    expect(marked(highlightPhone('+14155550123', ['1415']))).toBe('+[1415]5550123');
    expect(marked(highlightPhone('+14155550123', ['415']))).toBe('+1[415]5550123');
    expect(marked(highlightPhone('+442071234567', ['2071']))).toBe('+44[2071]234567');
    expect(marked(highlightPhone('+3531234567', ['12']))).toBe('+353[12]34567');
    expect(marked(highlightPhone('+14155550123', ['555']))).toBe('+14155550123');
  });

  it('marks 4 or more trailing digits of the national number, typed as one run', () => {
    expect(marked(highlightPhone('+14048316195', ['8316195']))).toBe('+1404[8316195]');
    expect(marked(highlightPhone('+442079460958', ['0958']))).toBe('+44207946[0958]');
    expect(marked(highlightPhone('+14048316195', ['195']))).toBe('+14048316195'); // too short
  });

  it('marks the whole phone when q is a phone number as people type it', () => {
    const mark = (e164: string, q: string) => marked(highlightPhone(e164, queryTerms(q), q));
    expect(mark('+14048316195', '(404) 831-6195')).toBe('+1[4048316195]');
    expect(mark('+442079460958', '+44 20 7946 0958')).toBe('+[442079460958]');
    expect(mark('+442079460958', '020 7946 0958')).toBe('+44[2079460958]');
    expect(mark('+442079460958', '0044 20 7946 0958')).toBe('+[442079460958]');
  });

  it('reads a whole q as a phone number only when it is one', () => {
    expect(wholePhoneDigits(' (404) 831-6195 ')).toBe('4048316195');
    expect(wholePhoneDigits('831 6195')).toBe('8316195');
    expect(wholePhoneDigits('831 619')).toBeNull(); // 6 digits
    expect(wholePhoneDigits('1-800-FLOWERS')).toBeNull();
    expect(wholePhoneDigits('ada 4048316195')).toBeNull();
  });
});
