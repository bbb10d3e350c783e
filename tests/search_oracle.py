"""An independent reading of docs/api.md (Search)'s text rules, for the search tests to compare against.

Written from the contract's words (and docs/search-words.md for what the contract leaves
open), not from chalicelib.search, one character at a time:

- fold: lower-case; strip accents from Latin, Greek and Cyrillic letters ("José" = "jose",
  ñ -> n, ø -> o, ß -> ss, "σωκράτης" = "ΣΩΚΡΑΤΗΣ", final ς = σ, "Фёдор" = "федор"), but "й"
  and "ў" keep their breve (the decision of docs/search-words.md); other scripts keep their
  marks.
- split on everything that is not a letter, a digit or a mark, with three exceptions: a word
  with apostrophes, hyphens or dots inside ("O'Brien") gives its parts and its joined form
  (a query term: the joined form only; an email's domain is never joined); "c++", "c#",
  ".net", "node.js", "asp.net" are words of their own (node.js also gives node, js, nodejs);
  Chinese, Japanese and Korean text gives overlapping pairs of characters.
- terms of one character are ignored. A term matches a profile word as a prefix, a phone also
  by 4 or more trailing digits of its national number, and a resume word when their Snowball
  English stems are equal; the tiers are (1) full_name, (2) + company_name, job_title,
  (3) + email, phone, (4) + resume.
"""
from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from typing import Iterable

import snowballstemmer

# Latin letters the contract folds although they do not decompose into a letter and an accent:
# its ø -> o, and the other letters with a stroke, read the same way.
STROKES = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t"}
APOSTROPHES = "'\u2019\u02bc"  # ', ’, ʼ
HYPHENS = "-\u2010\u2011"
JOINERS = APOSTROPHES + HYPHENS + "."
BREVE = "\u0306"
PROFILE = ("full_name", "company_name", "job_title", "email", "phone")
TIER_FIELDS = {1: {"full_name"}, 2: {"full_name", "company_name", "job_title"},
               3: {"full_name", "company_name", "job_title", "email", "phone"},
               4: {"full_name", "company_name", "job_title", "email", "phone", "resume"}}


def is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM" and ch not in APOSTROPHES  # ʼ is a letter


def is_latin(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def accents_go(ch: str) -> bool:
    """A letter of a script whose accents the contract ignores."""
    name = unicodedata.name(ch, "")
    return unicodedata.category(ch).startswith("L") and \
        any(name.startswith(script) for script in ("LATIN", "GREEK", "CYRILLIC"))


def is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA",
                            "KATAKANA", "HANGUL"))


def starts_word(ch: str) -> bool:
    """A letter or digit that is not CJK: what a plain word begins with."""
    return bool(ch) and unicodedata.category(ch)[0] in "LN" and not is_cjk(ch) \
        and ch not in APOSTROPHES


def fold(text: str) -> str:
    lowered = text.lower().replace("ß", "ss").replace("ς", "σ")
    out: list[str] = []
    base = previous = ""  # the letter or digit the marks that follow belong to
    for ch in unicodedata.normalize("NFD", lowered):
        previous, after = ch, previous
        if is_mark(ch):
            # the breve right on "и" or "у" (canonical order) is "й" or "ў"
            if base and (not accents_go(base) or (ch == BREVE and after in "иу")):
                out.append(ch)
            continue
        base = ch if is_word_char(ch) else ""
        out.append(STROKES.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


def _run_end(text: str, i: int) -> int:
    """Where the plain run (letters, digits and marks, no CJK) that starts at ``i`` ends."""
    j = i + 1
    while j < len(text) and (is_mark(text[j]) or starts_word(text[j])):
        j += 1
    return j


def _stands_alone(text: str, end: int) -> bool:
    """Nothing that would carry the word on follows: a letter, digit or mark, "+" or "#", a
    joiner and a letter or digit."""
    after = text[end:end + 1]
    if not after:
        return True
    return not (is_word_char(after) or after in "+#"
                or (after in JOINERS and starts_word(text[end + 1:end + 2])))


def _pairs(run: str) -> list[str]:
    units: list[str] = []
    for ch in run:
        if is_mark(ch) and units:
            units[-1] += ch
        else:
            units.append(ch)
    return [a + b for a, b in zip(units, units[1:])] or units


def tokens(text: str) -> list[tuple[int, int, str, list]]:
    """Each token of an already folded text: start, end, kind ("cjk", "tech", "compound",
    "word") and what it carries (pairs; the name; the parts with the joiner before each;
    the word)."""
    out: list[tuple[int, int, str, list]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if is_cjk(ch):
            j = i + 1
            while j < n and (is_cjk(text[j]) or is_mark(text[j])):
                j += 1
            out.append((i, j, "cjk", _pairs(text[i:j])))
            i = j
        elif ch == "." and text[i + 1:i + 4] == "net" and _stands_alone(text, i + 4):
            out.append((i, i + 4, "tech", [".net"]))
            i += 4
        elif starts_word(ch):
            j = _run_end(text, i)
            run = text[i:j]
            letters = all(unicodedata.category(c).startswith("L") for c in run)
            if letters and text[j:j + 2] == "++":
                out.append((i, j + 2, "tech", [run + "++"]))
                i = j + 2
                continue
            if letters and text[j:j + 1] == "#" and not (j + 1 < n and is_word_char(text[j + 1])):
                out.append((i, j + 1, "tech", [run + "#"]))
                i = j + 1
                continue
            parts = [("", run)]
            while j + 1 < n and text[j] in JOINERS and starts_word(text[j + 1]):
                k = _run_end(text, j + 1)
                parts.append((text[j], text[j + 1:k]))
                j = k
            out.append((i, j, "compound" if len(parts) > 1 else "word", parts))
            i = j
        else:
            i += 1
    return out


def tech_names(parts: list[tuple[str, str]]) -> list[str]:
    """The technology names inside a compound: a name followed by ".js", and asp, vb, ado
    followed by ".net"."""
    return [f"{left}.{right}" for (_, left), (joiner, right) in zip(parts, parts[1:])
            if joiner == "." and (right == "js"
                                  or (right == "net" and left in ("asp", "vb", "ado")))]


def split(text: str) -> list[str]:
    """The words of an already folded text."""
    found: list[str] = []
    for start, _, kind, value in tokens(text):
        if kind == "compound":
            found += tech_names(value) + [part for _, part in value]
            if not (start and text[start - 1] == "@"):  # never the joined domain of an email
                found.append("".join(part for _, part in value))
        elif kind == "tech" and value == [".net"]:
            found += [".net", "net"]
        elif kind == "word":
            found.append(value[0][1])
        else:
            found += value
    return found


def words(text: str | None) -> list[str]:
    return split(fold(text)) if text else []


def terms(q: str) -> list[str]:
    """A query's terms: a compound is its joined form (or the one technology name it is, or in
    an email's domain its parts), a CJK run its pairs."""
    folded, found = fold(q), []
    for start, _, kind, value in tokens(folded):
        if kind == "compound":
            names = tech_names(value)
            if len(value) == 2 and len(names) == 1:
                found += names
            elif start and folded[start - 1] == "@":
                found += [part for _, part in value]
            else:
                found.append("".join(part for _, part in value))
        elif kind == "word":
            found.append(value[0][1])
        else:
            found += value
    return list(dict.fromkeys(w for w in found if len(w) >= 2))


@lru_cache(maxsize=None)
def stem(word: str) -> str:
    """Snowball English for words of Latin letters; any other word is its own stem."""
    if word.isalpha() and all(is_latin(ch) for ch in word):
        return snowballstemmer.stemmer("english").stemWord(word)
    return word


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


def phone_suffix_matches(term: str, phone: list[str]) -> bool:
    """4 or more trailing digits of the national number (the phone's last word), one run."""
    return bool(phone) and term.isdigit() and len(term) >= 4 and phone[-1].endswith(term)


def fields_of(term: str, fw: dict[str, list[str]]) -> set[str]:
    found = {name for name in PROFILE if any(w.startswith(term) for w in fw[name])}
    if phone_suffix_matches(term, fw["phone"]):
        found.add("phone")
    if stem(term) in {stem(w) for w in fw["resume"]}:
        found.add("resume")
    return found


def tier(query_terms: Iterable[str], fw: dict[str, list[str]]) -> int | None:
    """The first tier in which every term matches, or None when the professional does not."""
    per_term = [fields_of(t, fw) for t in query_terms]
    for level in (1, 2, 3, 4):
        if all(found & TIER_FIELDS[level] for found in per_term):
            return level
    return None


def edits(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and transpositions of neighbours from a to b (each
    letter edited once: the optimal string alignment distance), by the textbook table."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def typo_fields(term: str, fw: dict[str, list[str]]) -> set[str]:
    """The fields with a whole word within the term's reach (8.3: a term of 4 to 7 letters, one
    edit; of 8 or more, two). docs/search-words.md: the words of name, company and title, of 3
    to 40 letters and no digit (emails and phones are identifiers)."""
    if len(term) < 4 or not term.isalpha():
        return set()
    reach = 1 if len(term) <= 7 else 2
    return {name for name in ("full_name", "company_name", "job_title") for w in fw[name]
            if 3 <= len(w) <= 40 and w.isalpha() and not w.startswith(term)
            and edits(term, w) <= reach}


def rank(query_terms: Iterable[str], fw: dict[str, list[str]]) -> tuple[bool, int] | None:
    """(typo, tier) of a match, or None: a term that matches nothing else may match through a
    typo, and such an item ranks after every other (8.3)."""
    plain = tier(query_terms, fw)
    if plain is not None:
        return False, plain
    per_term = [fields_of(t, fw) or typo_fields(t, fw) for t in query_terms]
    for level in (1, 2, 3, 4):
        if all(found & TIER_FIELDS[level] for found in per_term):
            return True, level
    return None


def typo_matched_fields(query_terms: Iterable[str], fw: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    for t in query_terms:
        out |= fields_of(t, fw) or typo_fields(t, fw)
    return out


def exact(query_terms: Iterable[str], fw: dict[str, list[str]], level: int) -> bool:
    """Every term equals a whole word of a field of that tier (a resume word by its stem). A
    phone's trailing digits are not a whole word: they match as a prefix does."""
    def equals(term: str) -> bool:
        if any(term in fw[name] for name in PROFILE if name in TIER_FIELDS[level]):
            return True
        return level == 4 and stem(term) in {stem(w) for w in fw["resume"]}
    return all(equals(t) for t in query_terms)


def matched_fields(query_terms: Iterable[str], fw: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    for t in query_terms:
        out |= fields_of(t, fw)
    return out


def word_runs(text: str) -> Iterable[tuple[int, int]]:
    """Start and end of each token (a word, a compound such as "O'Brien" as a whole, a
    technology name, a CJK run) in the original text."""
    # Folding keeps positions for the text the tests write (composed Latin, Greek, Cyrillic,
    # CJK), except for "ß" -> "ss" and decomposed accents: tokenize a copy of the original
    # where each character stands for its own fold, one for one.
    stand_in = "".join(_one_for_one(ch) for ch in text)
    for start, end, _, _ in tokens(stand_in):
        yield start, end


def _one_for_one(ch: str) -> str:
    folded = fold(ch)
    if len(folded) == 1 or is_mark(ch):
        return folded if len(folded) == 1 else ch
    return folded[:1] or " "  # "ß" -> "s"


def first_matching_word(text: str, query_terms: Iterable[str]) -> str | None:
    """The first token of the text (as written there) one of whose words has the stem of a term."""
    wanted = {stem(t) for t in query_terms}
    for start, end in word_runs(text):
        at = "@" if start and text[start - 1] == "@" else ""  # an email's domain, not joined
        if wanted & {stem(w) for w in words(at + text[start:end])}:
            return text[start:end]
    return None


def collapse(text: str) -> str:
    return " ".join(text.split())


def bm25(query_terms: Iterable[str], resumes: dict[str, str], *, k1: float = 1.2,
         b: float = 0.75, average_words: int = 500) -> dict[str, float]:
    """Okapi BM25 of each resume for the terms (docs/api.md: k1 1.2, b 0.75, the average length
    fixed at 500 words, idf ln(1 + (N - df + 0.5) / (df + 0.5)) over the resumes given), words
    compared by stem."""
    stemmed = {key: [stem(w) for w in words(text)] for key, text in resumes.items()}
    scores = dict.fromkeys(resumes, 0.0)
    for term in query_terms:
        wanted = stem(term)
        df = sum(wanted in found for found in stemmed.values())
        rarity = math.log(1 + (len(resumes) - df + 0.5) / (df + 0.5))
        for key, found in stemmed.items():
            tf = found.count(wanted)
            if tf:
                norm = k1 * (1 - b + b * len(found) / average_words)
                scores[key] += rarity * tf * (k1 + 1) / (tf + norm)
    return scores
