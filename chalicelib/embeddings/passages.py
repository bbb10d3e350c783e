"""Resume text cut into overlapping passages of about 200 words, for embedding; and the short
excerpt of a passage that the API shows (at most 300 characters, contract 8.4).

A passage is a slice of the resume's own text (character offsets kept), cut where a sentence or
a line ends when one is near, and never longer than the model reads (256 tokens): a longer one
is cut shorter, so no word goes unread. Consecutive passages share about 40 words, so a fact
that straddles a cut is whole in one of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from chalicelib.embeddings import tokenizer

WORDS = 200
OVERLAP = 40
# A cut moves back to a sentence or line end if one lies within the passage's last quarter.
SLACK = WORDS // 4
MAX_TOKENS = tokenizer.MAX_TOKENS
SHOWN = 300  # contract 8.4: passages shown are at most 300 characters
ELLIPSIS = "…"

# Chinese and Japanese are written without spaces: each of their characters is a "word" here
# (the model's tokenizer also reads them one by one). A run of anything else up to 64
# characters is a word: a longer run (a URL, base64) is cut so no word can outgrow a passage.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]{{1,64}}")
_SENTENCE_END = re.compile(r"[.!?;:…。！？]['\")\]”’]*$")


@dataclass(frozen=True)
class Passage:
    number: int  # 0-based, in the order of the text
    start: int  # character offsets into the resume text: text[start:end]
    end: int
    text: str


def words(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the words of a text."""
    return [m.span() for m in _WORD.finditer(text)]


def _boundaries(text: str, spans: list[tuple[int, int]]) -> list[bool]:
    """boundary[i]: a sentence or a line ends after word i (or the text does)."""
    out = []
    for i, (s, e) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        out.append(i + 1 == len(spans) or "\n" in text[e:nxt]
                   or bool(_SENTENCE_END.search(text[s:e])))
    return out


def cut(text: str, *, size: int = WORDS, overlap: int = OVERLAP,
        count_tokens: Callable[[list[str]], list[int]] | None = None) -> list[Passage]:
    """The passages of a text, in order; none for a text without words."""
    count_tokens = count_tokens or tokenizer.count_tokens
    spans = words(text)
    if not spans:
        return []
    ends = _boundaries(text, spans)
    out: list[Passage] = []
    first = 0
    while True:
        last = _cut_point(ends, first, min(first + size, len(spans)))
        last = _fit_tokens(text, spans, ends, first, last, count_tokens)
        s, e = spans[first][0], spans[last - 1][1]
        out.append(Passage(len(out), s, e, text[s:e]))
        if last == len(spans):
            return out
        first = _next_start(ends, first, last, overlap)


def _cut_point(ends: list[bool], first: int, last: int) -> int:
    """End (exclusive word index) of the passage from `first`: `last`, or the latest sentence or
    line end in the passage's last quarter."""
    if last == len(ends):
        return last
    floor = max(first + 1, last - SLACK)
    for i in range(last, floor - 1, -1):
        if ends[i - 1]:
            return i
    return last


def _fit_tokens(text, spans, ends, first, last, count_tokens) -> int:
    """Shrink the passage until the model reads all of it (256 tokens with [CLS] and [SEP])."""
    while last - first > 1:
        n = count_tokens([text[spans[first][0]:spans[last - 1][1]]])[0]
        if n <= MAX_TOKENS:
            break
        target = first + max(1, int((last - first) * MAX_TOKENS / n * 0.95))
        last = _cut_point(ends, first, min(target, last - 1))
    return last


def _next_start(ends: list[bool], first: int, last: int, overlap: int) -> int:
    """Start of the next passage: `overlap` words back from the end (less for a short passage),
    moved to just after a sentence or line end if one is near."""
    back = min(overlap, (last - first) // 2)
    start = last - back
    for i in range(start, min(last, start + back // 2 + 1)):
        if i > first and ends[i - 1]:
            return i
    for i in range(start, max(first, start - back // 2), -1):
        if i > first and ends[i - 1]:
            return i
    return max(start, first + 1)


def excerpt(text: str, focus: str | None = None, limit: int = SHOWN) -> str:
    """At most `limit` characters of a passage, in its own words, whitespace collapsed: from the
    sentence that best matches `focus` (the words it shares with it), else from the start;
    cut at word boundaries, with "…" where text is left out."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    spans = words(flat)
    ends = _boundaries(flat, spans)
    a = _anchor(flat, spans, ends, focus)
    budget = limit - 2 * len(ELLIPSIS)
    b = a
    while b < len(spans) and spans[b][1] - spans[a][0] <= budget:
        b += 1
    # Near the end of the passage: fill the room left with the words before the anchor.
    while b == len(spans) and a > 0 and spans[b - 1][1] - spans[a - 1][0] <= budget:
        a -= 1
    if b == a:  # a single word longer than the limit
        return (ELLIPSIS if a else "") + flat[spans[a][0]:spans[a][0] + budget] + ELLIPSIS
    shown = flat[spans[a][0]:spans[b - 1][1]]
    return (ELLIPSIS if a > 0 else "") + shown + (ELLIPSIS if b < len(spans) else "")


def _anchor(flat: str, spans, ends, focus: str | None) -> int:
    """The first word of the sentence sharing most words with `focus` (0 without one)."""
    if not focus:
        return 0
    wanted = {_bare(w) for w in _WORD.findall(focus)} - {""}
    best, best_score, start, score = 0, 0, 0, 0
    for i, (s, e) in enumerate(spans):
        score += _bare(flat[s:e]) in wanted
        if ends[i]:
            if score > best_score:
                best, best_score = start, score
            start, score = i + 1, 0
    return best


def _bare(word: str) -> str:
    return word.strip(".,;:!?()[]\"'“”‘’…").lower()
