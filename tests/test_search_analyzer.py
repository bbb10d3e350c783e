"""The search text pipeline (chalicelib.search.analyzer) against docs/api.md (Search)'s words: folding,
splitting, one-character terms, email and phone words, prefixes. Examples first, then Hypothesis
properties, including a comparison with the independent reading in tests/search_oracle.py."""
from __future__ import annotations

import unicodedata

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
    ("Jean-Luc Picard", ["jean", "luc", "picard"]),
    ("O'Brien", ["o", "brien"]),
    ("snake_case", ["snake", "case"]),
    ("R2-D2, C3PO!", ["r2", "d2", "c3po"]),
    ("a/b\\c|d", ["a", "b", "c", "d"]),
    ("tab\tnew\nline\r\x00nul\x07bell", ["tab", "new", "line", "nul", "bell"]),
    ("  (415) 555-0123  ", ["415", "555", "0123"]),
    ("emoji😀inside", ["emoji", "inside"]),
    ("«quoted» “words” — dash…", ["quoted", "words", "dash"]),
    ("non\u00a0breaking\u2003space", ["non", "breaking", "space"]),
    ("", []),
    ("?!-- ..", []),
])
def test_text_is_split_on_everything_but_letters_digits_and_marks(text, expected):
    assert analyzer.words(text) == expected


def test_email_splits_into_its_words():
    assert analyzer.words("ada.lovelace@example.com") == ["ada", "lovelace", "example", "com"]
    assert analyzer.words("ada+cv_2@mail.example.co.uk") == \
        ["ada", "cv", "2", "mail", "example", "co", "uk"]
    assert analyzer.profile_words({"full_name": "Ada", "email": "ada.lovelace@example.com"}) \
        ["email"] == ["ada", "lovelace", "example", "com"]


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


# -- other scripts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Пётр Чайковский",  # Cyrillic (ё keeps its diaeresis: not a Latin letter)
    "Ελένη Παπαδοπούλου",  # Greek with tonos
    "नमस्ते दुनिया",  # Devanagari: vowel signs and virama are marks
    "مُحَمَّد علي",  # Arabic with harakat
    "שָׁלוֹם עולם",  # Hebrew with niqqud
    "สวัสดี ครับ",  # Thai: vowel and tone marks
    "東京大学 京都",  # CJK
    "김철수 이영희",  # Hangul
    "カタカナ ひらがな",
])
def test_words_of_other_scripts_keep_their_marks_and_stay_whole(text):
    assert analyzer.words(text) == [NFC(w).lower() for w in text.split(" ")]


def test_marks_of_other_scripts_are_not_stripped():
    # "accents are stripped from Latin letters" only: a Greek or Cyrillic accent stays
    assert analyzer.words("Ελένη") != analyzer.words("Ελενη")
    assert analyzer.words("Пётр") != analyzer.words("Петр")
    assert analyzer.words("नमस्ते") != analyzer.words("नमसत")


def test_other_scripts_are_lower_cased():
    assert analyzer.query_terms("ПЁТР") == analyzer.query_terms("пётр")
    assert analyzer.query_terms("ΕΛΈΝΗ") == analyzer.query_terms("ελένη")


def test_decomposed_input_of_other_scripts_equals_composed():
    for text in ("Пётр", "Ελένη", "ガギグ", "한국어"):
        assert analyzer.words(unicodedata.normalize("NFD", text)) == analyzer.words(NFC(text))


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


def test_resume_counts_count_whole_folded_words():
    counts, total = analyzer.resume_counts("Python, python; PYTHON pythonic Café cafe a")
    assert counts["python"] == 3 and counts["pythonic"] == 1 and counts["cafe"] == 2
    assert total == 7


# -- properties ------------------------------------------------------------------------------------

def _chars(*ranges: tuple[int, int]) -> str:
    return "".join(chr(c) for a, b in ranges for c in range(a, b + 1)
                   if unicodedata.category(chr(c)) != "Cn")


# Scripts people write names and CVs in, with marks, digits, punctuation and spaces.
PRACTICAL = _chars((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
                   (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F),
                   (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x3040, 0x30FF), (0x4E00, 0x4E80),
                   (0xAC00, 0xAC80))
practical_text = st.text(alphabet=PRACTICAL, max_size=40)
any_text = st.text(max_size=40)


def _latin_for_oracle() -> str:
    """Latin letters whose lower case needs no case folding or compatibility mapping beyond
    the contract's ß, plus the letters with a stroke, digits, marks and separators."""
    out = []
    for ch in _chars((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF)):
        low = ch.lower()
        if ch in "ßẞ" or (low.casefold() == low and len(low) == 1 and unicodedata.normalize(
                "NFKD", low) == unicodedata.normalize("NFD", low)):
            if unicodedata.category(ch).startswith("L") and unicodedata.normalize(
                    "NFD", low)[0] not in "æœþðĸıŀʒƀƃ":
                out.append(ch)
    return "".join(out) + "0123456789" + "\u0301\u0308\u0327\u0303" + " -.,'@_/"


latin_text = st.text(alphabet=_latin_for_oracle(), max_size=40)
WORD_CHARS = "".join(ch for ch in PRACTICAL if unicodedata.category(ch)[0] in "LNM")


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
@example("Straße")
@example("ÆØÅ æøå")
@example("𝐀𝐝𝐚")  # mathematical bold letters, as pasted from a styled profile
def test_folding_is_idempotent(text):
    once = analyzer.fold(text)
    assert analyzer.fold(once) == once


@settings(max_examples=300, database=None, deadline=None)
@given(any_text)
def test_words_never_contain_separators_and_are_never_empty(text):
    for word in analyzer.words(text):
        assert word
        assert all(unicodedata.category(ch)[0] in "LNM" for ch in word), word


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
@example("𝐀𝐝𝐚 Lovelace")
def test_each_word_typed_back_as_a_query_is_itself(text):
    for word in analyzer.words(text):
        assert analyzer.words(word) == [word]
        if len(word) >= 2:
            assert analyzer.query_terms(word) == [word]


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
@example("0ϲ")  # GREEK LUNATE SIGMA SYMBOL
def test_query_terms_of_a_folded_text_equal_those_of_the_text(text):
    assert analyzer.query_terms(analyzer.fold(text)) == analyzer.query_terms(text)


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
@example("𝐀𝐝𝐚 ϒ")
def test_words_carry_no_latin_accent_and_no_upper_case(text):
    for word in analyzer.words(text):
        assert unicodedata.normalize("NFC", word.casefold()) == word
        decomposed = unicodedata.normalize("NFD", word)
        for before, ch in zip(decomposed, decomposed[1:]):
            if unicodedata.category(ch).startswith("M"):
                assert not oracle.is_latin(before), (word, before, ch)


@settings(max_examples=300, database=None, deadline=None)
@given(latin_text)
@example("Straße ẞ Ørsted øre ĐŁĦ")
@example("Jose\u0301 NÚÑEZ")
def test_latin_words_equal_an_independent_reading_of_the_contract(text):
    assert analyzer.words(text) == oracle.words(text)


@settings(max_examples=300, database=None, deadline=None)
@given(latin_text)
def test_case_does_not_matter_in_latin(text):
    assert analyzer.words(text.upper()) == analyzer.words(text.lower()) == analyzer.words(text)


@settings(max_examples=300, database=None, deadline=None)
@given(practical_text)
def test_case_does_not_matter(text):
    assert analyzer.words(text.upper()) == analyzer.words(text.lower())


@settings(max_examples=200, database=None, deadline=None)
@given(st.lists(st.text(alphabet=WORD_CHARS, min_size=1, max_size=8).filter(
    lambda w: w[0].isalnum()), min_size=1, max_size=5),
       st.lists(st.sampled_from([" ", "-", ".", ",", "@", "/", "\t", "_", "'", "(", "—", "·"]),
                min_size=5, max_size=5))
def test_joining_with_separators_concatenates_the_words(parts, separators):
    joined = "".join(p + s for p, s in zip(parts, separators))
    assert analyzer.words(joined) == [w for p in parts for w in analyzer.words(p)]


@settings(max_examples=200, database=None, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzéñøßÅ0123456789", min_size=2, max_size=30),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=30),
       st.data())
def test_a_term_matches_a_profile_word_exactly_when_it_starts_it(word, term, data):
    profile = analyzer.profile_words({"full_name": word, "job_title": "Clerk"})
    (folded,) = analyzer.words(word)
    start = folded[:data.draw(st.integers(2, len(folded)))]
    assert analyzer.term_fields(start, profile) == ["full_name"]
    expected = ["full_name"] if folded.startswith(term) else []
    assert analyzer.term_fields(term, profile) == expected
