"""The one text pipeline of search: fold, split, and the words of each field.

The same functions run when a professional is indexed and when a query is read, so a query
term and an indexed word are always compared in the same form (docs/api.md, Search;
docs/search-words.md lists the rules with examples):

- fold: case-folded ("ß" -> "ss", final "ς" -> "σ"), accents stripped from Latin, Greek and
  Cyrillic letters ("José" = "jose", "σωκράτης" = "σωκρατης", "Фёдор" = "федор"), except the
  breve of Cyrillic "й" and "ў", which stay letters of their own. Marks of other scripts stay
  in their word (Devanagari vowel signs, say).
- split on anything that is not a letter, a digit or a mark, except that: a word with inner
  apostrophes, hyphens or dots (O'Brien, Al-Farsi, J.P.) gives its parts and its joined form
  (a query gives the joined form only); a few technology names (c++, c#, .net, node.js) are
  words of their own; Chinese, Japanese and Korean runs give overlapping pairs of characters.
- resume words are compared by their Snowball English stem (stem()).

The work is done on a "shape" of the folded text, one class letter per character (see
_shape_of), so that the tokenizer is one regular expression run in C: it reads every word of
100,000-character resumes.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable, Iterator

MIN_TERM = 2  # one-character terms are ignored
MAX_TERMS = 8  # a query of more terms is refused (400 naming q)
MAX_QUERY_CHARS = 200
MAX_WORD = MAX_QUERY_CHARS  # no query has a longer term; longer runs of letters are not indexed
# Profile fields, in the order match.fields lists them, and the tier each one belongs to.
PROFILE_FIELDS = ("full_name", "company_name", "job_title", "email", "phone")
FIELD_TIER = {"full_name": 1, "company_name": 2, "job_title": 2, "email": 3, "phone": 3}
RESUME_TIER = 4
MIN_PHONE_SUFFIX = 4  # trailing digits of a national number that find its phone

# Latin letters that do not decompose into a base letter and a mark.
_LATIN_FOLD = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i",
                             "ŀ": "l", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th", "ĸ": "q"})
# Cyrillic letters whose breve is kept: Russian and Belarusian readers take "й" and "ў" for
# letters of their own ("мой" is not "мои"), unlike "ё", routinely written "е".
_BREVE = "\u0306"
_KEEP_BREVE = (("и" + _BREVE, "й"), ("у" + _BREVE, "ў"))

# Technology names that are words of their own (docs/search-words.md). By rule, not by list:
# a letter run followed by "++" or "#" (c++, g++, notepad++, c#, f#, j#: the sign is the
# name, and without it "c" is a one-letter word no query can use); "." + "net" standing alone
# (.net); a name followed by ".js" (node.js, vue.js, d3.js: the JavaScript library naming
# habit). Listed: the "<name>.net" family, since "<name>.net" is otherwise a web domain.
DOTNET_NAMES = frozenset({"asp", "vb", "ado"})

# Shape classes: "s" a letter of Latin, Greek or Cyrillic (its marks are stripped), "a" any
# other letter, "d" a digit, "m" a mark, "c" a Chinese, Japanese or Korean character, a joiner
# ("'" any apostrophe, "-" a hyphen, "."), "+", "#", "@", and " " for everything else.
_JOINERS = {"'": "'", "\u2019": "'", "\u02bc": "'", "-": "-", "\u2010": "-", "\u2011": "-",
            ".": ".", "+": "+", "#": "#", "@": "@"}
_CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029),
               (0x3031, 0x3035), (0x303B, 0x303C), (0x3040, 0x30FF), (0x3130, 0x318F),
               (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F),
               (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFF66, 0xFFDC), (0x20000, 0x3FFFF))


def _shape_of(code: int) -> str:
    """The class of a character as folded: "＋" is "+", "①" a digit, "ﬁ" and "ŉ" letters (what
    spans() needs of the original text; a character of folded text is its own fold)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", chr(code)).casefold())
    base = next((ch for ch in folded if unicodedata.category(ch)[0] in "LN"
                 and ch not in _JOINERS), folded[:1] or " ") if len(folded) > 1 else folded or " "
    if base in _JOINERS:
        return _JOINERS[base]
    cat = unicodedata.category(base)[0]
    if cat == "M":
        return "m"
    if cat not in "LN":
        return " "
    point = ord(base)
    if any(lo <= point <= hi for lo, hi in _CJK_RANGES):
        return "c"
    if cat == "N":
        return "d"
    return "s" if unicodedata.name(base, "").startswith(("LATIN", "GREEK", "CYRILLIC")) else "a"


class _Shapes(dict):
    """str.translate table: code point -> shape class, computed once per character."""

    def __missing__(self, code: int) -> str:
        self[code] = shape = _shape_of(code)
        return shape


_SHAPES = _Shapes()
# ASCII up front, so that the common case stays on str.translate's fast path.
_SHAPES.update((code, _shape_of(code)) for code in range(128))

# Marks go from Latin, Greek and Cyrillic letters, and from no letter at all (after a space or
# a joiner they would only part words).
_STRIPPED_MARKS = re.compile(r"(?<![adcm])m+")
# One token: a technology name with "++" or "#"; ".net" alone (read as "." and a plain word
# when its letters are not "net"); a CJK run; a compound (runs joined by single inner
# joiners); a plain run of letters, digits and marks.
_TOKEN = re.compile(r"(?P<t>[sa]+(?:\+\+|#(?![sadmc])))"
                    r"|(?P<n>\.sss(?![sadmc+#]|['\-.][sad]))"
                    r"|(?P<k>c[cm]*)"
                    r"|(?P<j>[sad][sadm]*(?:['\-.][sad][sadm]*)+)"
                    r"|(?P<w>[sad][sadm]*)")
_RUN = re.compile(r"[sad][sadm]*")
_CLUSTER = re.compile(r"cm*")


def fold(text: str) -> str:
    """Case-fold and strip accents from Latin, Greek and Cyrillic letters (keeping the breve of
    "й" and "ў"); other scripts keep their marks."""
    # Compatibility forms first ("ᴬ" -> "A", "ﬁ" -> "fi"), then case, then decompose again
    # whatever case-folding composed.
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    if folded.isascii():
        return folded
    if _BREVE in folded:
        for pair, letter in _KEEP_BREVE:
            folded = folded.replace(pair, letter)
    shape = folded.translate(_SHAPES)
    if "m" in shape:
        pieces, at = [], 0
        for mark in _STRIPPED_MARKS.finditer(shape):
            pieces.append(folded[at:mark.start()])
            at = mark.end()
        if pieces:
            folded = "".join(pieces) + folded[at:]
    return unicodedata.normalize("NFC", folded).translate(_LATIN_FOLD)


def _pairs(run: str, shape: str) -> list[str]:
    """A CJK run's overlapping pairs of characters (a mark stays with its character)."""
    units = [run[u.start():u.end()] for u in _CLUSTER.finditer(shape)] if "m" in shape else run
    if len(units) < 2:
        return [run]
    return [units[i] + units[i + 1] for i in range(len(units) - 1)]


def _compound(folded: str, shape: str, start: int, end: int) -> tuple[list[str], list[str], bool]:
    """The technology names, the parts, and whether the joined form counts (not in the domain
    of an email address) of a compound."""
    parts: list[str] = []
    tech: list[str] = []
    for run in _RUN.finditer(shape, start, end):
        part = folded[run.start():run.end()]
        if parts and folded[run.start() - 1] == "." and (
                part == "js" or (part == "net" and parts[-1] in DOTNET_NAMES)):
            tech.append(f"{parts[-1]}.{part}")
        parts.append(part)
    return tech, parts, not (start and shape[start - 1] == "@")


def _tokens(text: str) -> Iterator[tuple[str, str, str, int, int]]:
    """(kind, folded text, its shape, start, end) of each token of ``text``."""
    folded = fold(text)
    shape = folded.translate(_SHAPES)
    for token in _TOKEN.finditer(shape):
        start, end = token.span()
        yield token.lastgroup, folded, shape, start, end


def words(text: str | None) -> list[str]:
    """Every word of ``text`` in order, folded (repeats kept; one-letter words too): a compound
    gives its technology names, its parts and its joined form ("node.js" -> node.js, node, js,
    nodejs), a CJK run its pairs."""
    if not text:
        return []
    found: list[str] = []
    append, extend = found.append, found.extend
    folded = fold(text)
    shape = folded.translate(_SHAPES)
    for token in _TOKEN.finditer(shape):
        kind = token.lastgroup
        start, end = token.span()
        if kind == "w" or kind == "t":
            append(folded[start:end])
        elif kind == "j":
            tech, parts, joins = _compound(folded, shape, start, end)
            extend(tech)
            extend(parts)
            if joins:
                append("".join(parts))
        elif kind == "k":
            extend(_pairs(folded[start:end], shape[start:end]))
        elif folded[start:end] == ".net":
            extend((".net", "net"))
        else:  # "." and three letters that are not "net": a plain word
            append(folded[start + 1:end])
    return found


def query_terms(q: str) -> list[str]:
    """The distinct terms of a query (2+ characters), in the order they were typed. A compound
    is one term, its joined form ("O'Brien" -> obrien, which finds "O'Brien" and "OBrien"), or
    the technology name it is ("node.js"), or, in an email's domain, its parts; a CJK run is
    its pairs (all must match)."""
    found: list[str] = []
    for kind, folded, shape, start, end in _tokens(q):
        if kind == "j":
            tech, parts, joins = _compound(folded, shape, start, end)
            if len(tech) == 1 and len(parts) == 2:
                found.append(tech[0])
            elif joins:
                found.append("".join(parts))
            else:
                found.extend(parts)
        elif kind == "k":
            found.extend(_pairs(folded[start:end], shape[start:end]))
        elif kind == "n" and folded[start:end] != ".net":
            found.append(folded[start + 1:end])
        else:
            found.append(folded[start:end])
    return list(dict.fromkeys(w for w in found if len(w) >= MIN_TERM))


def phone_words(e164: str | None, national: str | None = None) -> list[str]:
    """A phone is two words: its E.164 digits without '+', and its national significant number."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    if national is None:
        national = national_number(e164)
    return list(dict.fromkeys(w for w in (digits, national) if w))


def phone_suffixes(e164: str | None, national: str | None = None) -> list[str]:
    """The trailing runs of a phone's national significant number that find it, longest
    first: MIN_PHONE_SUFFIX digits up to one fewer than the whole (which is a word itself)."""
    if not e164:
        return []
    if national is None:
        national = national_number(e164)
    return [national[-n:] for n in range(len(national) - 1, MIN_PHONE_SUFFIX - 1, -1)]


def national_number(e164: str) -> str:
    import phonenumbers
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return ""


PHONE_ENDS = "phone_ends"  # the profile's list of a phone's trailing runs (whole words only)


def profile_words(fields: dict[str, str | None]) -> dict[str, list[str]]:
    """The distinct words of each profile field that has any, and the phone's trailing runs
    (under PHONE_ENDS: a term must equal one of them, where it need only start a word)."""
    out: dict[str, list[str]] = {}
    for name in PROFILE_FIELDS:
        value = fields.get(name)
        found = phone_words(value) if name == "phone" else words(value)
        if found:
            out[name] = list(dict.fromkeys(found))
    ends = phone_suffixes(fields.get("phone"))
    if ends:
        out[PHONE_ENDS] = ends
    return out


_stemmer_lock = threading.Lock()


@lru_cache(maxsize=1)
def _english():
    import snowballstemmer  # only resume and query paths need it
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1024)
def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of a folded word of Latin letters ("engineering" ->
    "engin"); any other word (digits, technology names, other scripts) is its own stem."""
    if not word.isalpha() or not (word.isascii() or all(_is_latin(ch) for ch in word)):
        return word
    with _stemmer_lock:  # a Snowball stemmer keeps its state between calls
        return _english().stemWord(word)


def resume_words(text: str | None) -> list[str]:
    """The words of a resume that are indexed (unstemmed, in order, repeats kept)."""
    return [w for w in words(text) if len(w) <= MAX_WORD]


def resume_counts(text: str | None) -> tuple[Counter[str], int]:
    """How often each stem occurs among the resume's words, and how many words it has."""
    found = words(text)
    return Counter(stem(w) for w in found if len(w) <= MAX_WORD), len(found)


def spans(text: str) -> Iterable[tuple[int, int, list[str]]]:
    """Each token of the original ``text`` (a word, a compound such as "O'Brien", a technology
    name, a CJK run): start, end, and its folded words, lazily, so a caller can stop at the
    first it wants."""
    shape = text.translate(_SHAPES)
    for token in _TOKEN.finditer(shape):
        start, end = token.span()
        # An email's domain is read with its "@", which says its parts are not joined.
        yield start, end, words(text[start - 1:end] if start and shape[start - 1] == "@"
                                else text[start:end])


# The prefix lengths that have a partition of their own: every length up to 6 (as-you-type),
# then every other length up to 20. A term reads the partition of the longest of these that it
# is not shorter than, filtered on the words when it is longer: at most one letter of slack.
PREFIX_LENGTHS = (2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20)
# Digits (phones, mostly) skip 5: a phone's two words then have 13 partitions, not 15, so that a
# changed number rewrites at most 30 index items (8.3); a 5-digit term reads its 4 digits' one.
DIGIT_PREFIX_LENGTHS = (2, 3, 4, 6, 8, 10, 12, 14, 16, 18, 20)


def _ladder(word: str) -> tuple[int, ...]:
    return DIGIT_PREFIX_LENGTHS if word.isdigit() else PREFIX_LENGTHS


def prefixes(word: str) -> Iterable[str]:
    """The prefixes of ``word`` that have a partition."""
    return (word[:n] for n in _ladder(word) if n <= len(word))


def whole_word_partition(word: str) -> str | None:
    """A word of letters whose length has no partition of its own (7, 9, .. 19 letters) also
    has a posting under itself, held by those who have that very word: a term of that length
    finds its whole-word matches there (8.3's "exact words first") instead of going through
    every posting of its shorter prefix (``enginee`` in ``engine``'s 34,000 at 100,000)."""
    if word.isdigit() or len(word) in PREFIX_LENGTHS or len(word) > PREFIX_LENGTHS[-1]:
        return None
    return word if len(word) > PREFIX_LENGTHS[0] else None


def partition_prefix(term: str) -> str:
    """The prefix whose partition holds every word that starts with ``term``."""
    return term[:max(n for n in _ladder(term) if n <= len(term))]


def phone_end_key(digits: str) -> str | None:
    """The partition of a phone's trailing runs: its last MIN_PHONE_SUFFIX digits (a term of
    4 or more digits may be a run: it reads the partition of its own last 4)."""
    return digits[-MIN_PHONE_SUFFIX:] if digits.isdigit() and len(digits) >= MIN_PHONE_SUFFIX \
        else None


def term_fields(term: str, profile: dict[str, list[str]]) -> list[str]:
    """The profile fields with a word that starts with ``term`` (the phone also when ``term``
    is one of its trailing runs)."""
    return [name for name in PROFILE_FIELDS
            if any(w.startswith(term) for w in profile.get(name, ()))
            or (name == "phone" and term in profile.get(PHONE_ENDS, ()))]
