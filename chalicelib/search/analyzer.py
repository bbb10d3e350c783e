"""The one text pipeline of search: fold, split, and the words of each field.

The same functions run when a professional is indexed and when a query is read, so a query
term and an indexed word are always compared in the same form (docs/api.md, Search): lower-case
(case-folded, so "ß" becomes "ss"), accents stripped from Latin letters only ("José" = "jose",
"ñ" -> "n", "ø" -> "o"), and split on anything that is not a letter, a digit or a combining
mark. Marks on other scripts stay in their word (Devanagari vowel signs, say), and words of
any script are words: "東京" is one word, found as itself.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable

MIN_TERM = 2  # one-character terms are ignored
MAX_QUERY_CHARS = 200
MAX_WORD = MAX_QUERY_CHARS  # no query has a longer term; longer runs of letters are not indexed
# Profile fields, in the order match.fields lists them, and the tier each one belongs to.
PROFILE_FIELDS = ("full_name", "company_name", "job_title", "email", "phone")
FIELD_TIER = {"full_name": 1, "company_name": 2, "job_title": 2, "email": 3, "phone": 3}
RESUME_TIER = 4

# Latin letters that do not decompose into a base letter and a mark.
_LATIN_FOLD = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i",
                             "ŀ": "l", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th", "ĸ": "q"})


@lru_cache(maxsize=4096)
def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


@lru_cache(maxsize=65536)
def _kind(ch: str) -> str:
    """'w' for a word character (letter, digit), 'm' for a combining mark, ' ' otherwise."""
    cat = unicodedata.category(ch)
    if cat[0] in "LN":
        return "w"
    if cat[0] == "M":
        return "m"
    return " "


def fold(text: str) -> str:
    """Case-fold and strip accents from Latin letters; other scripts keep their marks."""
    out: list[str] = []
    # Compatibility forms first ("ᴬ" -> "A", "ﬁ" -> "fi"), then case, then decompose again
    # whatever case-folding composed.
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    for ch in folded:
        if _kind(ch) == "m" and out and _is_latin(out[-1]):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).translate(_LATIN_FOLD)


def words(text: str | None) -> list[str]:
    """Every word of ``text`` in order, folded (repeats kept; one-letter words too)."""
    if not text:
        return []
    found: list[str] = []
    current: list[str] = []
    for ch in fold(text):
        kind = _kind(ch)
        if kind == "w" or (kind == "m" and current):
            current.append(ch)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def query_terms(q: str) -> list[str]:
    """The distinct terms of a query (2+ characters), in the order they were typed."""
    return list(dict.fromkeys(w for w in words(q) if len(w) >= MIN_TERM))


def phone_words(e164: str | None, national: str | None = None) -> list[str]:
    """A phone is two words: its E.164 digits without '+', and its national significant number."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    if national is None:
        national = national_number(e164)
    return list(dict.fromkeys(w for w in (digits, national) if w))


def national_number(e164: str) -> str:
    import phonenumbers
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return ""


def profile_words(fields: dict[str, str | None]) -> dict[str, list[str]]:
    """The distinct words of each profile field that has any."""
    out: dict[str, list[str]] = {}
    for name in PROFILE_FIELDS:
        value = fields.get(name)
        found = phone_words(value) if name == "phone" else words(value)
        if found:
            out[name] = list(dict.fromkeys(found))
    return out


def resume_counts(text: str | None) -> tuple[Counter[str], int]:
    """How often each word occurs in the resume text, and how many words it has."""
    found = words(text)
    return Counter(w for w in found if len(w) <= MAX_WORD), len(found)


def spans(text: str) -> Iterable[tuple[int, int, list[str]]]:
    """Each run of word characters of the original ``text``: start, end, and its folded words
    (usually one), lazily, so a caller can stop at the first it wants."""
    start = None
    for i, ch in enumerate(text):
        kind = _kind(ch)
        if kind == "w" or (kind == "m" and start is not None):
            if start is None:
                start = i
        elif start is not None:
            yield start, i, words(text[start:i])
            start = None
    if start is not None:
        yield start, len(text), words(text[start:])


# The prefix lengths that have a partition of their own: every length up to 6 (as-you-type),
# then every other length up to 20. A term reads the partition of the longest of these that it
# is not shorter than, filtered on the words when it is longer: at most one letter of slack.
PREFIX_LENGTHS = (2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20)


def prefixes(word: str) -> Iterable[str]:
    """The prefixes of ``word`` that have a partition."""
    return (word[:n] for n in PREFIX_LENGTHS if n <= len(word))


def partition_prefix(term: str) -> str:
    """The prefix whose partition holds every word that starts with ``term``."""
    return term[:max(n for n in PREFIX_LENGTHS if n <= len(term))]


def term_fields(term: str, profile: dict[str, list[str]]) -> list[str]:
    """The profile fields with a word that starts with ``term``."""
    return [name for name in PROFILE_FIELDS
            if any(w.startswith(term) for w in profile.get(name, ()))]
