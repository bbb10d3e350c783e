import { englishStem } from './english-stem';
import { highlight, highlightPhone, queryTerms, stem, wholePhoneDigits, wordsOf, type Segment } from './search-text';

const words = (text: string) => wordsOf(text).map((word) => word.text);
// Marked pieces written as [brackets], to compare at a glance.
const marked = (segments: Segment[]) => segments.map((s) => (s.hit ? `[${s.text}]` : s.text)).join('');

// Words and their stems from Python's snowballstemmer 3.1.1 ("english"), which the server uses:
// `snowballstemmer.stemmer('english').stemWord(word)`. english-stem.ts also agreed with it on
// 300,508 words (every word of the API's Python dependencies and docs, and random letter strings).
const STEMS = [
  'engineer:engin engineers:engin engineering:engin engineered:engin generously:generous ',
  'generic:generic generate:generat arsenal:arsenal communism:communism communication:communic ',
  'emergency:emergenc interval:interval international:internat interfered:interfer lateral:lateral ',
  'organization:organiz organizing:organiz universal:universal university:universiti past:past ',
  'paste:paste pasting:paste added:add adding:add aed:a skis:ski skies:sky sky:sky dying:die ',
  'lying:lie tying:tie news:news only:onli early:earli ugly:ugli singly:singl gently:gentl idly:idl ',
  'howe:howe andes:andes atlas:atlas bias:bias cosmos:cosmos inning:inning innings:inning ',
  'canning:canning outing:outing outings:outing evening:evening herring:herring earring:earring ',
  'proceed:proceed proceeding:proceed exceed:exceed succeeding:succeed agreed:agre feed:feed ',
  'bleed:bleed cries:cri ties:tie dies:die gas:gas gaps:gap kiwis:kiwi caresses:caress ponies:poni ',
  'sses:ss hopping:hop hoping:hope hopeful:hope hopefulness:hope falling:fall filing:file ',
  'fizzed:fizz failing:fail conflated:conflat troubled:troubl sized:size tanned:tan motoring:motor ',
  'sing:sing happy:happi crying:cri cried:cri says:say playing:play yelling:yell youth:youth ',
  'yyy:yyy ayyy:ayyy archaeologist:archaeolog ecologist:ecolog geologist:geolog ecology:ecolog ',
  'apology:apolog analogous:analog radically:radic differently:differ fluently:fluentli ',
  'lessly:lessli hopelessly:hopeless effective:effect electrical:electr electricity:electr ',
  'formalize:formal formative:format triplicate:triplic callousness:callous decisiveness:decis ',
  'feudalism:feudal operator:oper predication:predic vietnamization:vietnam digitizer:digit ',
  'conditional:condit rational:ration relational:relat adjustment:adjust adjustable:adjust ',
  'defensible:defens irritant:irrit replacement:replac dependent:depend adoption:adopt ',
  'homologous:homolog activate:activ angularity:angular bowdlerize:bowdler probate:probat rate:rate ',
  'cease:ceas controlled:control rolling:roll python:python pythons:python developer:develop ',
  'developers:develop development:develop developing:develop managed:manag manager:manag ',
  'management:manag managing:manag analyst:analyst analysis:analysi analyses:analys ',
  'analytics:analyt data:data databases:databas kubernetes:kubernet docker:docker aws:aw ',
  'javascript:javascript typescript:typescript reacting:react react:react designs:design ',
  'designer:design leadership:leadership leading:lead leads:lead led:led team:team teams:team ',
  'teamwork:teamwork communicate:communic communicating:communic communications:communic ',
  'generalization:general generalize:general agile:agil scrum:scrum testing:test tested:test ',
  'tests:test consultant:consult consulting:consult consultancy:consult nursing:nurs nurse:nurs ',
  'nurses:nurs accountant:account accounting:account finance:financ financial:financi ',
  'marketing:market marketed:market sales:sale salesperson:salesperson strategy:strategi ',
  'strategic:strateg strategies:strategi research:research researcher:research researched:research ',
  'sciences:scienc scientific:scientif scientist:scientist splr:splr rhhp:rhhp declrg:declrg ',
  'streamrb:streamrb parseboolean:parseboolean silzb:silzb bssrt:bssrt stringzk:stringzk ',
  'halloc:halloc rowmult:rowmult getendparse:getendpars exitprocessor:exitprocessor wvrh:wvrh ',
  'oyjrixvahm:oyjrixvahm rootz:rootz pathry:pathri metaclasses:metaclass tmzn:tmzn dmqqt:dmqqt ',
  'getansicolors:getansicolor dnxx:dnxx randoms:random',
]
  .join('')
  .split(' ')
  .map((pair) => pair.split(':') as [string, string]);

describe('search text rules (the same as chalicelib/search/analyzer.py)', () => {
  // Each expected value is what the server's analyzer.words() returns for the same text.
  it.each([
    ['José Núñez-García', ['jose', 'nunez', 'garcia', 'nunezgarcia']],
    ['ada.lovelace@example.com', ['ada', 'lovelace', 'adalovelace', 'example', 'com']],
    ['STRAẞE Straße', ['strasse', 'strasse']],
    ['Øyvind Ærø Łódź', ['oyvind', 'aero', 'lodz']],
    ['ǅemal İnci', ['dzemal', 'inci']],
    ['ΟΔΟΣ', ['οδοσ']],
    ['ﬁnance', ['finance']],
    ['नमस्ते दुनिया', ['नमस्ते', 'दुनिया']],
    ['東京タワー', ['東京', '京タ', 'タワ', 'ワー']],
    ["O'Brien_x2 a", ["o", "brien", "obrien", "x2", "a"]],
    ['ΣΩΚΡΑΤΗΣ σωκράτης σωκρατης', ['σωκρατησ', 'σωκρατησ', 'σωκρατησ']],
    ['Фёдор федор', ['федор', 'федор']],
    ['Андрей Андреи ўсё', ['андрей', 'андреи', 'ўсе']],
    ["O'Brien", ["o", "brien", "obrien"]],
    ['Al-Farsi', ['al', 'farsi', 'alfarsi']],
    ['J.P. Morgan', ['j', 'p', 'jp', 'morgan']],
    ['C++, c#, F# and .NET', ['c++', 'c#', 'f#', 'and', '.net', 'net']],
    ['C#/.NET', ['c#', '.net', 'net']],
    ['ASP.NET', ['asp.net', 'asp', 'net', 'aspnet']],
    ['Node.js', ['node.js', 'node', 'js', 'nodejs']],
    ['vue.js d3.js', ['vue.js', 'vue', 'js', 'vuejs', 'd3.js', 'd3', 'js', 'd3js']],
    ['王小明', ['王小', '小明']],
    ['王', ['王']],
    ['iPhone手机', ['iphone', '手机']],
    ['example.net', ['example', 'net', 'examplenet']],
    ['J. R. well--known Ada - Lovelace end.', ['j', 'r', 'well', 'known', 'ada', 'lovelace', 'end']],
    ['2019–2021', ['2019', '2021']],
    ['C++17', ['c++', '17']],
    ['room#12', ['room', '12']],
    ['notepad++', ['notepad++']],
    ['objective-c', ['objective', 'c', 'objectivec']],
    ['ｶﾀｶﾅ', ['カタ', 'タカ', 'カナ']],
    ['김민준 서울', ['김민', '민준', '서울']],
    ['O’Brien D’Angelo', ['o', 'brien', 'obrien', 'd', 'angelo', 'dangelo']],
  ])('%s', (text, expected) => {
    expect(words(text)).toEqual(expected);
  });

  // Each expected value is what the server's analyzer.query_terms() returns for the same q.
  it.each([
    ["O'Brien", ["obrien"]],
    ['Al-Farsi', ['alfarsi']],
    ['J.P.', ['jp']],
    ['ada.lovelace@example.com', ['adalovelace', 'example', 'com']],
    ['C++', ['c++']],
    ['c#', ['c#']],
    ['F#', ['f#']],
    ['C#/.NET', ['c#', '.net']],
    ['ASP.NET', ['asp.net']],
    ['Node.js', ['node.js']],
    ['王小明', ['王小', '小明']],
    ['王', []],
    ['iPhone手机', ['iphone', '手机']],
    ['ΣΩΚΡΑΤΗΣ', ['σωκρατησ']],
    ['Фёдор', ['федор']],
    ['a José j. ab AB', ['jose', 'ab']],
    ['a b c', []],
    ['.net', ['.net']],
    ['.com', ['com']],
    ['example.net', ['examplenet']],
  ])('query %s', (q, expected) => {
    expect(queryTerms(q)).toEqual(expected);
  });

  it('compares case and accents away in Latin, Greek and Cyrillic (8.3)', () => {
    expect(queryTerms('ΣΩΚΡΑΤΗΣ')).toEqual(queryTerms('σωκράτης'));
    expect(queryTerms('σωκράτης')).toEqual(queryTerms('σωκρατης'));
    expect(queryTerms('Фёдор')).toEqual(queryTerms('федор'));
    expect(queryTerms('Андрей')).not.toEqual(queryTerms('Андреи'));
  });
});

describe('English stems (Snowball English, as snowballstemmer 3.1.1)', () => {
  it('has a table to test against', () => {
    expect(STEMS.length).toBeGreaterThanOrEqual(200);
  });

  it.each(STEMS)('%s -> %s', (word, expected) => {
    expect(englishStem(word)).toBe(expected);
  });

  it('stems only words of Latin letters (the server\'s analyzer.stem())', () => {
    expect(stem('engineering')).toBe('engin');
    expect(stem('c++')).toBe('c++');
    expect(stem('node.js')).toBe('node.js');
    expect(stem('2019s')).toBe('2019s');
    expect(stem('федоры')).toBe('федоры');
  });
});
describe('highlight', () => {
  it('marks the original letters a folded term starts, accents and case included', () => {
    expect(marked(highlight('José Núñez', ['jose'], 'prefix'))).toBe('[José] Núñez');
    expect(marked(highlight('Ada Lovelace', ['lov', 'ad'], 'prefix'))).toBe('[Ad]a [Lov]elace');
    expect(marked(highlight('Große Straße', ['strass'], 'prefix'))).toBe('Große [Straß]e');
    expect(marked(highlight('ada.lovelace@example.com', ['exa'], 'prefix'))).toBe('ada.lovelace@[exa]mple.com');
  });

  it('marks only whole words in resume text, by their English stem', () => {
    expect(marked(highlight('Engineer, engineering; ENGINEER.', ['engineer'], 'word'))).toBe('[Engineer], [engineering]; [ENGINEER].');
    expect(marked(highlight('Résumé of José', ['resume', 'jos'], 'word'))).toBe('[Résumé] of José');
  });

  it('marks a joined form such as O\'Brien whole when the term is all of it, its start otherwise (8.3)', () => {
    const mark = (text: string, q: string) => marked(highlight(text, queryTerms(q), 'prefix'));
    expect(mark("Liam O'Brien", "O'Brien")).toBe("Liam [O'Brien]");
    expect(mark("Liam O'Brien", 'obrien')).toBe("Liam [O'Brien]");
    expect(mark('Liam OBrien', "O'Brien")).toBe('Liam [OBrien]');
    expect(mark("Liam O'Brien", 'obr')).toBe("Liam [O'Br]ien");
    expect(mark("Liam O'Brien", 'brien')).toBe("Liam O'[Brien]");
    expect(mark('Liam O’Brien', "o'brien")).toBe('Liam [O’Brien]');
    expect(mark('Omar Al-Farsi', 'alfarsi')).toBe('Omar [Al-Farsi]');
    expect(mark('Omar Al-Farsi', 'Al-Farsi')).toBe('Omar [Al-Farsi]');
    expect(mark('Omar Al-Farsi', 'farsi')).toBe('Omar Al-[Farsi]');
    expect(mark('J.P. Morgan', 'J.P.')).toBe('[J.P]. Morgan');
    expect(mark('ada.lovelace@example.com', 'ada.lovelace@example.com')).toBe('[ada.lovelace]@[example].[com]');
    expect(mark('ada.lovelace@example.com', 'examplecom')).toBe('ada.lovelace@example.com'); // a domain is never joined
  });

  it('marks technology names as words of their own (8.3)', () => {
    const mark = (text: string, q: string) => marked(highlight(text, queryTerms(q), 'prefix'));
    expect(mark('C++ and C# developer', 'c++')).toBe('[C++] and C# developer');
    expect(mark('C++ and C# developer', 'C#')).toBe('C++ and [C#] developer');
    expect(mark('F# engineer', 'f#')).toBe('[F#] engineer');
    expect(mark('C#/.NET lead', '.net')).toBe('C#/[.NET] lead');
    expect(mark('ASP.NET developer', 'asp.net')).toBe('[ASP.NET] developer');
    expect(mark('Node.js developer', 'node.js')).toBe('[Node.js] developer');
    expect(mark('Node.js developer', 'node')).toBe('[Node].js developer');
    expect(mark('Network engineer', '.net')).toBe('Network engineer');
  });

  it('marks Greek and Cyrillic whatever their case and accents (8.3)', () => {
    const mark = (text: string, q: string) => marked(highlight(text, queryTerms(q), 'prefix'));
    expect(mark('Σωκράτης Παππάς', 'ΣΩΚΡΑΤΗΣ')).toBe('[Σωκράτης] Παππάς');
    expect(mark('ΣΩΚΡΑΤΗΣ ΠΑΠΠΑΣ', 'σωκράτης')).toBe('[ΣΩΚΡΑΤΗΣ] ΠΑΠΠΑΣ');
    expect(mark('σωκράτης', 'σωκρατης')).toBe('[σωκράτης]');
    expect(mark('σωκράτης', 'σωκ')).toBe('[σωκ]ράτης');
    expect(mark('Фёдор Достоевский', 'федор')).toBe('[Фёдор] Достоевский');
    expect(mark('Федор', 'Фёдор')).toBe('[Федор]');
    expect(mark('Андреи', 'Андрей')).toBe('Андреи'); // й keeps its breve
    expect(mark('Андрей', 'Андрей')).toBe('[Андрей]');
  });

  it('marks Chinese, Japanese and Korean text holding the pairs of a term (8.3)', () => {
    const mark = (text: string, q: string) => marked(highlight(text, queryTerms(q), 'prefix'));
    expect(mark('王小明', '王小明')).toBe('[王小明]');
    expect(mark('王小明', '小明')).toBe('王[小明]');
    expect(mark('王大明', '王小明')).toBe('王大明');
    expect(mark('iPhone手机', '手机')).toBe('iPhone[手机]');
    expect(mark('東京タワー', 'タワー')).toBe('東京[タワー]');
    expect(mark('김민준', '민준')).toBe('김[민준]');
  });

  it('marks resume words whose English stem is a term\'s stem (8.3), whole', () => {
    const mark = (text: string, q: string) => marked(highlight(text, queryTerms(q), 'word'));
    expect(mark('Engineers, engineering and an engineer.', 'engineer')).toBe('[Engineers], [engineering] and an [engineer].');
    expect(mark('Engineers, engineering and an engineer.', 'engineering')).toBe('[Engineers], [engineering] and an [engineer].');
    expect(mark('Managed the managers', 'management')).toBe('[Managed] the [managers]');
    expect(mark('Engineers', 'engin')).toBe('[Engineers]'); // the stem is a term's stem, not a prefix
    expect(mark('Engineers', 'eng')).toBe('Engineers');
    expect(mark("Worked with Liam O'Brien", 'obrien')).toBe("Worked with Liam [O'Brien]");
    expect(mark("Worked with Liam O'Brien", 'brien')).toBe("Worked with Liam O'[Brien]");
    expect(mark('Wrote C++ and C#/.NET services', 'c++ .net')).toBe('Wrote [C++] and C#/[.NET] services');
    expect(mark('Node.js services', 'node.js')).toBe('[Node.js] services');
    expect(mark('在东京工作', '东京')).toBe('在[东京]工作');
    expect(mark('Σωκράτης', 'σωκρατης')).toBe('[Σωκράτης]');
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
