"""An independent reading of docs/api.md (Search)'s text rule, for the search tests to compare against.

Written from the contract's words, not from chalicelib.search: lower-case; strip accents from
Latin letters ("José" = "jose", ñ -> n, ø -> o, ß -> ss); keep the combining marks of other
scripts in their word; split on everything that is not a letter, a digit or such a mark; terms
of one character are ignored. A term matches a profile word as a prefix and a resume word only
when equal; the tiers are (1) full_name, (2) + company_name, job_title, (3) + email, phone,
(4) + resume.
"""
from __future__ import annotations

import unicodedata
from typing import Iterable

# Latin letters the contract folds although they do not decompose into a letter and an accent:
# its ø -> o, and the other letters with a stroke, read the same way.
STROKES = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t"}
PROFILE = ("full_name", "company_name", "job_title", "email", "phone")
TIER_FIELDS = {1: {"full_name"}, 2: {"full_name", "company_name", "job_title"},
               3: {"full_name", "company_name", "job_title", "email", "phone"},
               4: {"full_name", "company_name", "job_title", "email", "phone", "resume"}}


def is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


def is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def fold(text: str) -> str:
    lowered = text.lower().replace("ß", "ss")
    out: list[str] = []
    keeps_marks = False  # a mark stays only on a letter or digit that is not Latin
    for ch in unicodedata.normalize("NFD", lowered):
        if is_mark(ch):
            if keeps_marks:
                out.append(ch)
            continue
        keeps_marks = is_word_char(ch) and not is_latin(ch)
        out.append(STROKES.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def split(text: str) -> list[str]:
    found, current = [], ""
    for ch in text:
        if is_word_char(ch):
            current += ch
        elif current:
            found.append(current)
            current = ""
    return found + ([current] if current else [])


def words(text: str | None) -> list[str]:
    return split(fold(text)) if text else []


def terms(q: str) -> list[str]:
    return list(dict.fromkeys(w for w in words(q) if len(w) >= 2))


def national_number(e164: str) -> str:
    """The national significant number (phonenumbers, not the code under test)."""
    import phonenumbers
    return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))


def phone_words(e164: str | None, national: str | None = None) -> list[str]:
    return [e164[1:], national or national_number(e164)] if e164 else []


def field_words(record: dict, national: str | None = None) -> dict[str, list[str]]:
    """The words of each field of a professional as the API returns it (``resume_text`` being
    the extracted text of the ready resume)."""
    out = {name: words(record.get(name)) for name in ("full_name", "company_name", "job_title",
                                                      "email")}
    out["phone"] = phone_words(record.get("phone"), national)
    out["resume"] = words(record.get("resume_text"))
    return out


def fields_of(term: str, fw: dict[str, list[str]]) -> set[str]:
    found = {name for name in PROFILE if any(w.startswith(term) for w in fw[name])}
    if term in fw["resume"]:
        found.add("resume")
    return found


def tier(query_terms: Iterable[str], fw: dict[str, list[str]]) -> int | None:
    """The first tier in which every term matches, or None when the professional does not."""
    per_term = [fields_of(t, fw) for t in query_terms]
    for level in (1, 2, 3, 4):
        if all(found & TIER_FIELDS[level] for found in per_term):
            return level
    return None


def matched_fields(query_terms: Iterable[str], fw: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    for t in query_terms:
        out |= fields_of(t, fw)
    return out


def word_runs(text: str) -> Iterable[tuple[int, int]]:
    """Start and end of each run of letters, digits and marks in the original text."""
    start = None
    for i, ch in enumerate(text):
        if is_word_char(ch):
            start = i if start is None else start
        elif start is not None:
            yield start, i
            start = None
    if start is not None:
        yield start, len(text)


def first_matching_word(text: str, query_terms: Iterable[str]) -> str | None:
    """The first word of the text (as written there) that equals a term."""
    wanted = set(query_terms)
    for start, end in word_runs(text):
        if wanted & set(words(text[start:end])):
            return text[start:end]
    return None


def collapse(text: str) -> str:
    return " ".join(text.split())


def frequency(term: str, text: str) -> tuple[float, float]:
    """How much the text uses the term for its length, by words and by characters."""
    found = words(text)
    uses = found.count(term)
    return uses / max(len(found), 1), uses / max(len(text), 1)
