"""The search text pipeline (chalicelib.search.analyzer) against docs/api.md (Search)'s words and
docs/search-words.md: folding (Latin, Greek, Cyrillic), splitting, words with inner punctuation,
technology names, CJK pairs, one-character terms, email and phone words, stems, prefixes.
Examples first, then Hypothesis properties, including a comparison with the independent reading
in tests/search_oracle.py."""
from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chalicelib.search import analyzer
from tests import search_oracle as oracle

NFC = lambda text: unicodedata.normalize("NFC", text)  # noqa: E731


# -- folding ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("José", ["jose"]),
    ("JOSÉ", ["jose"]),
    ("Jose\u0301", ["jose"]),  # the same accent as a combining mark (NFD input)
    ("Núñez", ["nunez"]),
    ("ÑANDÚ", ["nandu"]),
    ("Ørsted", ["orsted"]),
    ("søren", ["soren"]),
    ("Straße", ["strasse"]),
    ("STRAẞE", ["strasse"]),
    ("Müller", ["muller"]),
    ("François", ["francois"]),
    ("Nguyễn", ["nguyen"]),  # two accents stacked on one letter
    ("Dvořák", ["dvorak"]),
    ("Åsa Zoë", ["asa", "zoe"]),
    ("İstanbul", ["istanbul"]),
    ("AdA LoVeLaCe", ["ada", "lovelace"]),
])
def test_latin_letters_are_lower_cased_and_lose_their_accents(text, expected):
    assert analyzer.words(text) == expected


def test_accented_and_plain_spellings_give_the_same_terms():
    assert analyzer.query_terms("José Núñez Ørsted Straße") == \
        analyzer.query_terms("jose nunez orsted strasse") == ["jose", "nunez", "orsted", "strasse"]


def test_umlaut_is_stripped_not_transliterated():
    # ü -> u (an accent stripped), never ue: "mueller" is another word
    assert analyzer.words("Müller") == ["muller"] != analyzer.words("Mueller")


def test_sharp_s_alone_is_a_two_letter_term():
    assert analyzer.query_terms("ß") == ["ss"]


# -- splitting -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Jean-Luc Picard", ["jean", "luc", "jeanluc", "picard"]),
    ("O'Brien", ["o", "brien", "obrien"]),
    ("snake_case", ["snake", "case"]),
    ("R2-D2, C3PO!", ["r2", "d2", "r2d2", "c3po"]),
    ("a/b\\c|d", ["a", "b", "c", "d"]),
    ("tab\tnew\nline\r\x00nul\x07bell", ["tab", "new", "line", "nul", "bell"]),
    ("  (415) 555-0123  ", ["415", "555", "0123", "5550123"]),
    ("end. Next - dash -- double ' quote", ["end", "next", "dash", "double", "quote"]),
    ("emoji😀inside", ["emoji", "inside"]),
    ("«quoted» “words” — dash…", ["quoted", "words", "dash"]),
    ("non\u00a0breaking\u2003space", ["non", "breaking", "space"]),
    ("", []),
    ("?!-- ..", []),
])
def test_text_is_split_on_everything_but_letters_digits_and_marks(text, expected):
    assert analyzer.words(text) == expected


def test_email_splits_into_its_words_and_the_joined_local_part():
    # 7.1's words (ada, lovelace, example, com), and the local part joined as a compound;
    # the domain is never joined ("examplecom" is no word of anyone's)
    assert analyzer.words("ada.lovelace@example.com") == \
        ["ada", "lovelace", "adalovelace", "example", "com"]
    assert analyzer.words("ada+cv_2@mail.example.co.uk") == \
        ["ada", "cv", "2", "mail", "example", "co", "uk"]
    assert analyzer.profile_words({"full_name": "Ada", "email": "ada.lovelace@example.com"}) \
        ["email"] == ["ada", "lovelace", "adalovelace", "example", "com"]
    assert analyzer.query_terms("ada.lovelace@example.com") == ["adalovelace", "example", "com"]


def test_one_character_terms_are_ignored():
    assert analyzer.query_terms("a b cd e") == ["cd"]
    assert analyzer.query_terms("é") == []  # one letter once folded
    assert analyzer.query_terms("J. R. R. Tolkien") == ["tolkien"]
    assert analyzer.query_terms("東 京都") == ["京都"]
    assert analyzer.query_terms("x y z") == []


def test_query_terms_keep_typed_order_without_repeats():
    assert analyzer.query_terms("Lovelace ada LOVELACE") == ["lovelace", "ada"]


# -- phones ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("e164, expected", [
    ("+14155550123", ["14155550123", "4155550123"]),
    ("+442079460958", ["442079460958", "2079460958"]),  # national number without the trunk 0
    ("+390612345678", ["390612345678", "0612345678"]),  # Italy keeps its leading 0
    ("+33123456789", ["33123456789", "123456789"]),
    ("+81312345678", ["81312345678", "312345678"]),
])
def test_a_phone_is_its_e164_digits_and_its_national_significant_number(e164, expected):
    assert analyzer.phone_words(e164) == expected
    assert analyzer.profile_words({"full_name": "X", "phone": e164})["phone"] == expected


@pytest.mark.parametrize("e164, national, expected", [
    ("+14155550123", "4155550123",
     ["155550123", "55550123", "5550123", "550123", "50123", "0123"]),
    ("+33123456789", "123456789", ["23456789", "3456789", "456789", "56789", "6789"]),
    ("+3545511234", "5511234", ["511234", "11234", "1234"]),
])
def test_phone_suffixes_are_the_trailing_runs_of_four_or_more_digits_longest_first(
        e164, national, expected):
    # contract: any 4 or more trailing digits of a phone's national number ("0123", "5550123")
    assert analyzer.national_number(e164) == national
    assert analyzer.phone_suffixes(e164) == expected
    assert {"0123", "5550123"} <= set(analyzer.phone_suffixes("+14155550123"))
    assert analyzer.phone_suffixes(None) == [] == analyzer.phone_suffixes("+1")


def test_phone_suffixes_match_as_whole_runs_only():
    profile = analyzer.profile_words({"full_name": "X", "phone": "+14155550123"})
    assert profile["phone"] == ["14155550123", "4155550123"]
    assert profile[analyzer.PHONE_ENDS] == analyzer.phone_suffixes("+14155550123")
    for term in ("0123", "50123", "5550123", "155550123"):
        assert analyzer.term_fields(term, profile) == ["phone"], term
    for term in ("012", "555012", "123", "4155550123x"):
        assert analyzer.term_fields(term, profile) == [], term


def test_a_query_of_more_than_eight_terms_is_the_callers_to_refuse():
    assert analyzer.MAX_TERMS == 8
    assert len(analyzer.query_terms("aa bb cc dd ee ff gg hh ii")) == 9


# -- words with inner punctuation ------------------------------------------------------------------

@pytest.mark.parametrize("text, expected_words, expected_terms", [
    ("O'Brien", ["o", "brien", "obrien"], ["obrien"]),
    ("O’Brien", ["o", "brien", "obrien"], ["obrien"]),  # typographic apostrophe
    ("Oʼbrien", ["o", "brien", "obrien"], ["obrien"]),  # modifier letter apostrophe
    ("Al-Farsi", ["al", "farsi", "alfarsi"], ["alfarsi"]),
    ("Al\u2010Farsi", ["al", "farsi", "alfarsi"], ["alfarsi"]),  # Unicode hyphen
    ("J.P.", ["j", "p", "jp"], ["jp"]),
    ("J.P. Morgan", ["j", "p", "jp", "morgan"], ["jp", "morgan"]),
    ("ada.lovelace", ["ada", "lovelace", "adalovelace"], ["adalovelace"]),
    ("Smith-O'Neil", ["smith", "o", "neil", "smithoneil"], ["smithoneil"]),
    ("d'Artagnan's", ["d", "artagnan", "s", "dartagnans"], ["dartagnans"]),
])
def test_inner_apostrophes_hyphens_and_dots_give_parts_and_joined_form(
        text, expected_words, expected_terms):
    assert analyzer.words(text) == expected_words
    assert analyzer.query_terms(text) == expected_terms


@pytest.mark.parametrize("text, expected", [
    ("J. R. R. Tolkien", ["j", "r", "r", "tolkien"]),  # a dot then a space: not inside
    ("'quoted'", ["quoted"]),
    ("well--known", ["well", "known"]),  # two joiners in a row: a separator
    ("Ada - Lovelace", ["ada", "lovelace"]),
    ("end.", ["end"]),
    ("2019–2021", ["2019", "2021"]),  # an en dash is no hyphen
])
def test_punctuation_not_inside_a_word_still_separates(text, expected):
    assert analyzer.words(text) == expected


def test_a_query_with_the_joined_form_finds_both_spellings():
    # q "O'Brien" is the term "obrien": the word of "OBrien" and the joined form of "O'Brien"
    (term,) = analyzer.query_terms("O'Brien")
    assert term in analyzer.words("O'Brien") and term in analyzer.words("OBrien")
    for q in ("obrien", "brien", "alfarsi", "farsi", "jp"):
        (term,) = analyzer.query_terms(q)
        assert term in analyzer.words("O'Brien Al-Farsi J.P.")
    assert analyzer.term_fields("obr", analyzer.profile_words({"full_name": "Dana O'Brien"})) \
        == ["full_name"]


# -- technology names ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected_words, expected_terms", [
    ("c++", ["c++"], ["c++"]),
    ("C++", ["c++"], ["c++"]),
    ("C#", ["c#"], ["c#"]),
    ("F# and J#", ["f#", "and", "j#"], ["f#", "and", "j#"]),
    ("g++ notepad++", ["g++", "notepad++"], ["g++", "notepad++"]),
    (".NET", [".net", "net"], [".net"]),
    ("C#/.NET developer", ["c#", ".net", "net", "developer"], ["c#", ".net", "developer"]),
    ("(.net)", [".net", "net"], [".net"]),
    ("ASP.NET", ["asp.net", "asp", "net", "aspnet"], ["asp.net"]),
    ("VB.NET", ["vb.net", "vb", "net", "vbnet"], ["vb.net"]),
    ("ADO.NET", ["ado.net", "ado", "net", "adonet"], ["ado.net"]),
    ("node.js", ["node.js", "node", "js", "nodejs"], ["node.js"]),
    ("Node.JS.", ["node.js", "node", "js", "nodejs"], ["node.js"]),
    ("Vue.js next.js React.js", ["vue.js", "vue", "js", "vuejs", "next.js", "next", "js", "nextjs",
                                 "react.js", "react", "js", "reactjs"],
     ["vue.js", "next.js", "react.js"]),
    ("d3.js", ["d3.js", "d3", "js", "d3js"], ["d3.js"]),
    ("C++17", ["c++", "17"], ["c++", "17"]),
    ("objective-c", ["objective", "c", "objectivec"], ["objectivec"]),
    ("ada@example.net", ["ada", "example", "net"], ["ada", "example", "net"]),
    ("example.net", ["example", "net", "examplenet"], ["examplenet"]),
    ("room#12", ["room", "12"], ["room", "12"]),
    ("a.net", ["a", "net", "anet"], ["anet"]),
])
def test_technology_names_are_words_of_their_own(text, expected_words, expected_terms):
    assert analyzer.words(text) == expected_words
    assert analyzer.query_terms(text) == expected_terms


def test_technology_names_are_found_in_profiles_and_resumes():
    # contract: c++, c#, .net and node.js are words in their own right, in profiles and resumes
    profile = analyzer.profile_words({"full_name": "Ada", "job_title": "C++/C# .NET, Node.js dev"})
    for q in ("c++", "C#", ".NET", "node.js", "nodejs", "node"):
        (term,) = analyzer.query_terms(q)
        assert analyzer.term_fields(term, profile) == ["job_title"], q
    counts, _ = analyzer.resume_counts("Wrote C++ and C#; shipped .NET and Node.js services.")
    for q in ("c++", "c#", ".net", "node.js", "nodejs", "node"):
        (term,) = analyzer.query_terms(q)
        assert analyzer.stem(term) in counts, q
    assert analyzer.query_terms("c") == [] and analyzer.query_terms("c++") == ["c++"]


# -- scripts ---------------------------------------------------------------------------------------

def test_greek_ignores_case_accents_and_final_sigma():
    # contract: ΣΩΚΡΑΤΗΣ = σωκράτης = σωκρατης
    assert analyzer.words("ΣΩΚΡΑΤΗΣ") == analyzer.words("σωκράτης") == \
        analyzer.words("σωκρατης") == ["σωκρατησ"]
    assert analyzer.query_terms("Ελένη Παπαδοπούλου") == analyzer.query_terms("ελενη παπαδοπουλου")
    assert analyzer.words("Ϊ ΐ ἈΘῆΝΑΙ") == ["ι", "ι", "αθηναι"]


def test_cyrillic_ignores_case_and_accents_but_keeps_the_breve():
    # contract: Фёдор = федор; docs/search-words.md: й and ў stay letters of their own
    assert analyzer.words("Фёдор") == analyzer.words("федор") == analyzer.words("ФЁДОР") == \
        ["федор"]
    assert analyzer.words("Пётр Чайковский") == ["петр", "чайковский"]
    assert analyzer.words("Андрей") == analyzer.words("АНДРЕЙ") == ["андрей"] != \
        analyzer.words("Андреи")
    assert analyzer.words("и\u0306 Ў") == ["й", "ў"]  # decomposed, and capital
    assert analyzer.words("Київ") == ["киів"]  # Ukrainian ї loses its diaeresis like ё


@pytest.mark.parametrize("text, expected_words, expected_terms", [
    ("王小明", ["王小", "小明"], ["王小", "小明"]),
    ("東京大学", ["東京", "京大", "大学"], ["東京", "京大", "大学"]),
    ("王", ["王"], []),  # a run of one: a word, and as a term of one character, ignored
    ("東 京都", ["東", "京都"], ["京都"]),
    ("김철수", ["김철", "철수"], ["김철", "철수"]),
    ("カタカナ ひらがな", ["カタ", "タカ", "カナ", "ひら", "らが", "がな"],
     ["カタ", "タカ", "カナ", "ひら", "らが", "がな"]),
    ("iPhone手机", ["iphone", "手机"], ["iphone", "手机"]),  # split at the change of script
    ("2020年東京", ["2020", "年東", "東京"], ["2020", "年東", "東京"]),
    ("ｶﾀｶﾅ", ["カタ", "タカ", "カナ"], ["カタ", "タカ", "カナ"]),  # half-width katakana
    ("王小明-Ada", ["王小", "小明", "ada"], ["王小", "小明", "ada"]),
])
def test_chinese_japanese_and_korean_runs_are_overlapping_pairs(text, expected_words,
                                                                expected_terms):
    assert analyzer.words(text) == expected_words
    assert analyzer.query_terms(text) == expected_terms


def test_a_cjk_term_matches_text_holding_its_characters_in_sequence():
    indexed = set(analyzer.words("我们的王小明先生"))
    assert set(analyzer.query_terms("王小明")) <= indexed
    assert not set(analyzer.query_terms("王明")) <= indexed


@pytest.mark.parametrize("text", [
    "नमस्ते दुनिया",  # Devanagari: vowel signs and virama are marks
    "مُحَمَّد علي",  # Arabic with harakat
    "שָׁלוֹם עולם",  # Hebrew with niqqud
    "สวัสดี ครับ",  # Thai: vowel and tone marks
])
def test_words_of_other_scripts_keep_their_marks_and_stay_whole(text):
    assert analyzer.words(text) == [NFC(w).lower() for w in text.split(" ")]


def test_marks_of_other_scripts_are_not_stripped():
    assert analyzer.words("नमस्ते") != analyzer.words("नमसत")
    assert analyzer.words("مُحَمَّد") != analyzer.words("محمد")


def test_other_scripts_are_lower_cased():
    assert analyzer.query_terms("ПЁТР") == analyzer.query_terms("пётр") == ["петр"]
    assert analyzer.query_terms("ΕΛΈΝΗ") == analyzer.query_terms("ελένη") == ["ελενη"]


def test_decomposed_input_of_other_scripts_equals_composed():
    for text in ("Пётр", "Андрей", "Ελένη", "ガギグ", "한국어", "नमस्ते"):
        assert analyzer.words(unicodedata.normalize("NFD", text)) == analyzer.words(NFC(text))


# -- stems -----------------------------------------------------------------------------------------

def test_engineer_engineers_and_engineering_share_a_stem():
    # contract: Snowball English: engineer, engineers, engineering
    assert analyzer.stem("engineer") == analyzer.stem("engineers") == \
        analyzer.stem("engineering") == "engin"
    counts, total = analyzer.resume_counts("Engineer. Engineers; ENGINEERING!")
    assert counts == {"engin": 3} and total == 3


@pytest.mark.parametrize("word", ["2020", "r2d2", "c++", "c#", ".net", "node.js", "σωκρατησ",
                                  "федор", "王小", "नमस्ते"])
def test_only_latin_letter_words_have_a_stem_of_their_own(word):
    assert analyzer.stem(word) == word


def test_resume_counts_count_folded_words_by_stem():
    counts, total = analyzer.resume_counts("Python, python; PYTHON pythonic Café cafe a")
    assert counts == {"python": 4, "cafe": 2, "a": 1}
    assert total == 7
    assert analyzer.resume_words("Python, python; PYTHON pythonic") == \
        ["python", "python", "python", "pythonic"]
    assert analyzer.resume_counts(None) == ({}, 0)


def test_resume_counts_leave_out_words_longer_than_any_query():
    long_word = "x" * (analyzer.MAX_WORD + 1)
    counts, total = analyzer.resume_counts(f"short {long_word}")
    assert counts == {"short": 1} and total == 2
    assert analyzer.resume_words(f"short {long_word}") == ["short"]


# -- spans -----------------------------------------------------------------------------------------

def test_spans_cover_a_compound_a_technology_name_and_an_email_domain_whole():
    text = "Hi O'Brien: C++, node.js, ada@example.com; 王小明"
    found = [(text[a:b], w) for a, b, w in analyzer.spans(text)]
    assert found == [("Hi", ["hi"]), ("O'Brien", ["o", "brien", "obrien"]), ("C++", ["c++"]),
                     ("node.js", ["node.js", "node", "js", "nodejs"]), ("ada", ["ada"]),
                     ("example.com", ["example", "com"]), ("王小明", ["王小", "小明"])]


def test_spans_of_a_text_give_its_words():
    text = "Straße — Müller's C# (.NET) ﬁne"
    assert [w for _, _, found in analyzer.spans(text) for w in found] == analyzer.words(text)


# -- prefixes --------------------------------------------------------------------------------------

def test_term_fields_is_prefix_on_profile_words():
    profile = analyzer.profile_words({"full_name": "Ada Lovelace", "company_name": "Analytical",
                                      "email": "ada@example.com", "phone": "+14155550123"})
    assert analyzer.term_fields("ada", profile) == ["full_name", "email"]
    assert analyzer.term_fields("an", profile) == ["company_name"]
    assert analyzer.term_fields("415", profile) == ["phone"]
    assert analyzer.term_fields("1415", profile) == ["phone"]
    assert analyzer.term_fields("555", profile) == []
    assert analyzer.term_fields("velace", profile) == []


# -- properties ------------------------------------------------------------------------------------

def _chars(*ranges: tuple[int, int]) -> str:
    return "".join(chr(c) for a, b in ranges for c in range(a, b + 1)
                   if unicodedata.category(chr(c)) != "Cn")


# Scripts people write names and CVs in, with marks, digits, punctuation and spaces.
PRACTICAL = _chars((0x20, 0x7E), (0xA0, 0x24F), (0x2BC, 0x2BC), (0x300, 0x36F), (0x370, 0x3FF),
                   (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F),
                   (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x3040, 0x30FF), (0x4E00, 0x4E80),
                   (0xAC00, 0xAC80))
practical_text = st.text(alphabet=PRACTICAL, max_size=40)
any_text = st.text(max_size=40)


def _plain(ch: str) -> bool:
    """A character whose lower case needs no case folding or compatibility mapping beyond the
    contract's ß (what the oracle, reading the contract, does not do)."""
    low = ch.lower()
    return ch in "ßẞ" or (low.casefold() == low and len(low) == 1 and unicodedata.normalize(
        "NFKD", low) == unicodedata.normalize("NFD", low) and ch.upper().lower() == low)


def _oracle_alphabet() -> str:
    """Latin, Greek and Cyrillic letters (as above), CJK, kana and hangul, digits, accents,
    and the characters that join or make words: apostrophes, hyphens, dots, +, #, @."""
    out = []
    for ch in _chars((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF), (0x386, 0x3CE),
                     (0x400, 0x45F)):
        if unicodedata.category(ch).startswith("L") and _plain(ch) and unicodedata.normalize(
                "NFD", ch.lower())[0] not in "æœþðĸıŀʒƀƃ":
            out.append(ch)
    return ("".join(out) + "0123456789" + "\u0301\u0308\u0327\u0303\u0306" + "王小明東京大学"
            + "カタナひらが" + "김철수" + "  -.,'’ʼ‐@_/+#" + "cnetjsaspvb")


oracle_text = st.text(alphabet=_oracle_alphabet(), max_size=40)
# Words the tokenizer treats specially, to be put together by Hypothesis.
PIECES = ["c", "++", "#", ".net", "net", "node", ".js", "asp", "vb", "'", "’", "-", ".", "@", " ",
          "O", "Brien", "J", "P", "王小", "明", "a1", "Ñ", "Σ", "ς", "й", "ё", "5", "."]
pieces_text = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
WORD_CHARS = "".join(ch for ch in PRACTICAL if unicodedata.category(ch)[0] in "LNM")
TECH_SIGNS = set("+#.")


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
@example("Straße")
@example("ÆØÅ æøå")
@example("𝐀𝐝𝐚")  # mathematical bold letters, as pasted from a styled profile
@example("ΣΩΚΡΑΤΗΣ Фёдор Й")
def test_folding_is_idempotent(text):
    once = analyzer.fold(text)
    assert analyzer.fold(once) == once


@settings(max_examples=300, database=None, deadline=None)
@given(any_text)
def test_words_are_never_empty_and_hold_only_word_characters_or_a_technology_sign(text):
    for word in analyzer.words(text):
        assert word
        signs = [ch for ch in word if unicodedata.category(ch)[0] not in "LNM"]
        assert set(signs) <= TECH_SIGNS, word
        if signs:
            assert word == ".net" or word.endswith(("++", "#")) or ".js" in word \
                or word.endswith(".net"), word


@settings(max_examples=300, database=None, deadline=None)
@given(st.one_of(practical_text, pieces_text))
@example("𝐀𝐝𝐚 Lovelace")
@example("node.js .net C#")
def test_each_word_typed_back_as_a_query_is_itself(text):
    for word in analyzer.words(text):
        assert word in analyzer.words(word)
        if len(word) >= 2:
            assert analyzer.query_terms(word) == [word], word


@settings(max_examples=300, database=None, deadline=None)
@given(st.one_of(practical_text, pieces_text))
@example("0ϲ")  # GREEK LUNATE SIGMA SYMBOL
def test_query_terms_of_a_folded_text_equal_those_of_the_text(text):
    assert analyzer.query_terms(analyzer.fold(text)) == analyzer.query_terms(text)


@settings(max_examples=300, database=None, deadline=None)
@given(st.one_of(practical_text, pieces_text))
@example("O'Brien ada.lovelace@example.com node.js 王小明 C++")
def test_the_terms_of_any_text_are_words_of_that_text(text):
    # so typing what a profile says (or any start of it) always finds that profile
    indexed = analyzer.words(text)
    for term in analyzer.query_terms(text):
        assert term in indexed, (term, indexed)


@settings(max_examples=300, database=None, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñøßΣσЁё0123456789", min_size=1,
                        max_size=6), min_size=2, max_size=4),
       st.lists(st.sampled_from(["'", "’", "ʼ", "-", "‐", "."]), min_size=3, max_size=3))
def test_the_joined_form_and_every_part_of_a_compound_find_it(parts, joiners):
    compound = parts[0] + "".join(j + p for j, p in zip(joiners, parts[1:]))
    indexed = analyzer.words(f"x {compound} y")
    joined = "".join(w for p in parts for w in analyzer.words(p))
    assert joined in indexed
    if len(joined) >= 2:
        (term,) = analyzer.query_terms(compound)
        assert term in indexed and analyzer.query_terms(joined) in ([term], [])
    for part in parts:
        assert analyzer.words(part)[0] in indexed


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
@example("𝐀𝐝𝐚 ϒ")
@example("Фёдор Йй Ўў ΐ")
def test_words_carry_no_latin_greek_or_cyrillic_accent_and_no_upper_case(text):
    for word in analyzer.words(text):
        assert unicodedata.normalize("NFC", word.casefold()) == word
        decomposed = unicodedata.normalize("NFD", word)
        for before, ch in zip(decomposed, decomposed[1:]):
            if unicodedata.category(ch).startswith("M") and oracle.accents_go(before):
                assert before in "иу" and ch == "\u0306", (word, before, ch)


@settings(max_examples=500, database=None, deadline=None)
@given(st.one_of(oracle_text, pieces_text))
@example("Straße ẞ Ørsted øre ĐŁĦ")
@example("Jose\u0301 NÚÑEZ")
@example("O'Brien J.P. ada.lovelace@example.com C++ c# .NET asp.net Node.js 王小明 Фёдор ΣΩΚΡΑΤΗΣ")
@example(".net++ .net# x..net c#.net a.b@c.d-e")
def test_words_and_terms_equal_an_independent_reading_of_the_contract(text):
    assert analyzer.words(text) == oracle.words(text)
    assert analyzer.query_terms(text) == oracle.terms(text)


@settings(max_examples=200, database=None, deadline=None)
@given(oracle_text)
def test_resume_counts_are_the_oracles_stems(text):
    counts, total = analyzer.resume_counts(text)
    found = oracle.words(text)
    assert total == len(found)
    assert counts == Counter(oracle.stem(w) for w in found)


@settings(max_examples=300, database=None, deadline=None)
@given(oracle_text)
def test_case_does_not_matter_in_latin_greek_and_cyrillic(text):
    assert analyzer.words(text.upper()) == analyzer.words(text.lower()) == analyzer.words(text)


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
def test_case_does_not_matter(text):
    assert analyzer.words(text.upper()) == analyzer.words(text.lower())


@settings(max_examples=200, database=None, deadline=None)
@given(st.lists(st.text(alphabet=WORD_CHARS, min_size=1, max_size=8).filter(
    lambda w: w[0].isalnum()), min_size=1, max_size=5),
       st.lists(st.sampled_from([" ", ",", "/", "\t", "_", "(", "—", "·", "–"]),
                min_size=5, max_size=5))
def test_joining_with_separators_concatenates_the_words(parts, separators):
    # not "@": the words after it are an email's domain, whose inner punctuation is not joined
    # ("0@0ŉ": ŉ is "ʼn")
    joined = "".join(p + s for p, s in zip(parts, separators))
    assert analyzer.words(joined) == [w for p in parts for w in analyzer.words(p)]


@settings(max_examples=200, database=None, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñøßÅ0123456789", min_size=2, max_size=30),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=30),
       st.data())
def test_a_term_matches_a_profile_word_exactly_when_it_starts_it(word, term, data):
    profile = analyzer.profile_words({"full_name": word, "job_title": "Ωμέγα"})  # no Latin term
    (folded,) = analyzer.words(word)
    start = folded[:data.draw(st.integers(2, len(folded)))]
    assert analyzer.term_fields(start, profile) == ["full_name"]
    expected = ["full_name"] if folded.startswith(term) else []
    assert analyzer.term_fields(term, profile) == expected


@settings(max_examples=100, database=None, deadline=None)
@given(st.sampled_from(["+14155550123", "+442079460958", "+390612345678", "+33123456789",
                        "+81312345678", "+61291234567"]), st.integers(4, 12))
def test_phone_suffixes_agree_with_the_oracle(e164, length):
    national = oracle.national_number(e164)
    suffixes = analyzer.phone_suffixes(e164)
    assert suffixes == sorted(suffixes, key=len, reverse=True)
    assert all(national.endswith(s) and 4 <= len(s) < len(national) for s in suffixes)
    tail = national[-length:]
    if len(tail) == length < len(national):
        assert tail in suffixes
        assert oracle.phone_suffix_matches(tail, oracle.phone_words(e164))


@settings(max_examples=200, database=None, deadline=None)
@given(st.lists(st.sampled_from(["engineer", "engineers", "engineering", "engine", "managed",
                                 "managing", "management", "c++", "node.js", "2020", "федор"]),
                min_size=1, max_size=8))
def test_a_term_finds_a_resume_word_with_the_same_stem(resume_words):
    counts, _ = analyzer.resume_counts(" ".join(resume_words))
    fw = {**{f: [] for f in oracle.PROFILE}, "resume": oracle.words(" ".join(resume_words))}
    for q in ("engineers", "management", "c++", "node.js", "2020", "Фёдор", "python"):
        (term,) = analyzer.query_terms(q)
        assert (analyzer.stem(term) in counts) == (oracle.tier([term], fw) == 4), q
        assert (analyzer.stem(term) in counts) == oracle.exact([term], fw, 4), q
