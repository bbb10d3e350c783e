"""Search by meaning (contract 8.4): ``mode=semantic`` and ``mode=hybrid`` of
``GET /professionals?q=``, and the pieces ``similar`` shares with them.

semantic: ``q``'s embedding (the model in this process: ``chalicelib.embeddings``, imported
only here, so a keyword request never loads numpy) queries the vector store for its 100
nearest passages (``source`` and the creation range filter there: facts a record never
changes); the passages are grouped by professional, best passage first; the professionals are
read from the table (one BatchGetItem), which drops the deleted and erased, anyone whose
resume is no longer ready, and applies ``email_verified`` (mutable: never copied to vectors).

hybrid: reciprocal rank fusion (``fusion.hybrid``) of the keyword search's first 100 (the
first 8 terms of ``q``, the same filters) and the semantic list; every keyword match is kept.

Paging: the whole list (at most 100) is computed again for every page (it is deterministic
while the data does not change) and the cursor, signed and bound to the query and its filters,
holds the offset of the next page. The list is never larger than 100, so no page costs more
than the first.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

from chalicelib import db, signing, vectors
from chalicelib.errors import BadRequest, Unavailable
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.search import analyzer, fusion, query
from chalicelib.search.layout import Filters

SEMANTIC, HYBRID, KEYWORD = "semantic", "hybrid", "keyword"
MODES = (KEYWORD, SEMANTIC, HYBRID)
MIN_Q, MAX_Q = 3, 500  # characters, after trimming (8.4)
RESULTS_MAX = 100  # 8.4: at most 100 in all, in every mode but keyword
PASSAGES_SHOWN = 3
KEYWORD_PAGES = 10  # keyword pages read for hybrid's list, at most (each within 8.3's budget)
SCORE_DIGITS = 4
_PURPOSE = "semantic-cursor"
_MODEL_UNAVAILABLE = "Search by meaning is unavailable right now; keyword search still works."


@dataclass(frozen=True)
class Found:
    """A professional found by meaning: the record as read now, and its passages among the
    store's answer, nearest first."""

    item: ProfessionalItem
    hits: list[vectors.Hit]


def parse_q(raw: str) -> str:
    """``q`` trimmed, or a 400 naming it: 3 to 500 characters; any characters (an emoji-only
    query is embedded like any other)."""
    q = raw.strip()
    if not MIN_Q <= len(q) <= MAX_Q:
        raise BadRequest(f"q must be {MIN_Q} to {MAX_Q} characters for a search by meaning.",
                         {"fields": {"q": [f"From {MIN_Q} to {MAX_Q} characters."]}})
    return q


def search(q: str, mode: str, *, where: Filters, limit: int, cursor: str | None
           ) -> dict[str, Any]:
    """A page of the ``mode`` (semantic or hybrid) search for ``q``: ``{"items", "next_cursor"}``,
    each item the list resource plus ``match``."""
    scope = {"q": hashlib.sha256(q.encode()).hexdigest()[:32], "mode": mode, **where.scope()}
    offset = 0
    if cursor:
        offset = signing.open_cursor(cursor, _PURPOSE, scope, int)
        if isinstance(offset, bool) or not 0 < offset < RESULTS_MAX:
            raise BadRequest("The cursor is not valid.")
    ranked = semantic_entries(q, where) if mode == SEMANTIC else hybrid_entries(q, where)
    page = ranked[offset:offset + limit]
    more = len(ranked) > offset + limit
    # Only the page's items are rendered: cutting a passage to its excerpt tokenizes it, and
    # 100 results of 3 passages each cost more than the query itself.
    return {"items": [entry.render(q) for entry in page],
            "next_cursor": signing.cursor(scope, offset + limit, _PURPOSE) if more else None}


@dataclass(frozen=True)
class Entry:
    """One result of a semantic or hybrid list, before rendering: found by meaning (``found``),
    by keyword (``keyword``: the keyword search's item, ``match`` included), or both."""

    found: Found | None = None
    keyword: dict[str, Any] | None = None

    def render(self, q: str) -> dict[str, Any]:
        by_meaning = passages_match(self.found.hits, q) if self.found else None
        if self.keyword is None:
            return {**_resource(self.found.item), "match": by_meaning}
        match = {**self.keyword["match"],
                 "passages": by_meaning["passages"] if by_meaning else []}
        if by_meaning:
            if "resume" not in match["fields"]:
                match["fields"] = [*match["fields"], "resume"]
            if match.get("snippet") is None:
                match["snippet"] = by_meaning["snippet"]
        return {**self.keyword, "match": match}


def semantic_entries(q: str, where: Filters) -> list[Entry]:
    return [Entry(found=f) for f in semantic_list(q, where)]


def semantic_list(q: str, where: Filters) -> list[Found]:
    """Up to 100 professionals whose resume passages are nearest ``q``, best first."""
    if where.has_resume is False:
        return []  # a semantic hit is a ready resume's passage: none can be kept
    hits = vectors.query(embed_query(q), vectors.TOP_K_MAX, vectors.metadata_filter(
        source=where.source, created_from=where.created_from, created_to=where.created_to))
    return current(grouped(hits), where)


def embed_query(q: str) -> list[float]:
    """``q``'s vector by the model in this process (numpy and the weights are imported here
    only: a keyword request never loads them). A model that cannot load (a deployment without
    its layer, a weights file that fails its pin) is a 503, as the store's outage is: search by
    meaning is unavailable, keyword search is not."""
    try:
        from chalicelib.embeddings import files, model
    except ImportError as exc:
        raise Unavailable(_MODEL_UNAVAILABLE) from exc
    try:
        return [float(x) for x in model.embed([q])[0]]
    except (files.ModelFileError, OSError) as exc:
        raise Unavailable(_MODEL_UNAVAILABLE) from exc


def hybrid_entries(q: str, where: Filters) -> list[Entry]:
    """Keyword's first 100 and semantic's list fused; a keyword match keeps its own ``match``
    (fields, snippet, typo) with ``resume`` among the fields and the passages added when
    semantic found the person too; every item carries ``passages`` (maybe empty)."""
    semantic = {f.item.id: f for f in semantic_list(q, where)}  # first: a 503 costs no reads
    keyword = {item["id"]: item for item in keyword_list(q, where)}
    return [Entry(found=semantic.get(pid), keyword=keyword.get(pid))
            for pid in fusion.hybrid(list(keyword), list(semantic), limit=RESULTS_MAX)]


def keyword_list(q: str, where: Filters) -> list[dict[str, Any]]:
    """The keyword search's first 100 for the first 8 terms of ``q`` (none when ``q`` has no
    term: an emoji-only hybrid query is semantic alone), read page by page as keyword mode
    serves them (a page may be short when its request budget is spent)."""
    terms = analyzer.query_terms(q)[:analyzer.MAX_TERMS]
    if not terms:
        return []
    typed = q if len(q) <= analyzer.MAX_QUERY_CHARS else None  # a whole phone or email as typed
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(KEYWORD_PAGES):
        page = query.search(terms, where=where, limit=RESULTS_MAX - len(found), cursor=cursor,
                            q=typed)
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None or len(found) >= RESULTS_MAX:
            break
    return found[:RESULTS_MAX]


def grouped(hits: Iterable[vectors.Hit]) -> dict[str, list[vectors.Hit]]:
    """The store's passages by professional, in the order of each one's nearest passage."""
    groups: dict[str, list[vectors.Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.professional_id, []).append(hit)
    return groups


def current(groups: dict[str, list[vectors.Hit]], where: Filters | None = None) -> list[Found]:
    """Those of ``groups`` whose record exists with a ready resume and passes ``where``, read
    from the table (one BatchGetItem per 100): the store may still hold a deleted record's or a
    replaced resume's vectors for a moment, and knows nothing of mutable facts."""
    if not groups:
        return []
    stored = db.batch_get(professional_pk(pid) for pid in groups)
    where = where or Filters()
    out = []
    for pid, hits in groups.items():
        item = stored.get(professional_pk(pid))
        if not isinstance(item, ProfessionalItem) or not item.resume_ready:
            continue
        if where.admits(source=item.source, has_resume=True,
                        email_verified=bool(item.email_verified), list_key=item.list_key):
            out.append(Found(item, hits))
    return out


def passages_match(hits: list[vectors.Hit], focus: str | None) -> dict[str, Any]:
    """``match`` of a result found by meaning: up to 3 of its passages, nearest first, each cut
    to 300 characters of the resume's own words around the sentence that shares most words
    with ``focus`` (the query); the nearest one is also the snippet. Overlapping passages that
    would show the same words are shown once."""
    from chalicelib.embeddings.passages import excerpt  # with the model's tokenizer: see above
    shown: list[dict[str, Any]] = []
    for hit in hits:
        text = excerpt(hit.text, focus)
        if text and all(text != s["text"] for s in shown):
            shown.append({"text": text, "score": round(hit.score, SCORE_DIGITS)})
        if len(shown) == PASSAGES_SHOWN:
            break
    return {"fields": ["resume"], "snippet": shown[0]["text"] if shown else None,
            "passages": shown}


def _resource(item: ProfessionalItem) -> dict[str, Any]:
    from chalicelib.professionals import to_resource  # as search.query reads it
    return to_resource(item)
