"""Search: read the postings of a query's terms, match, rank, page (docs/api.md, Search).

Two plans, one order:

- **One term** (the as-you-type case, and the common words): the postings are stored in result
  order, so a page is read off the front of the term's profile partition (best tier, newest
  first), then of its resume partition (most used for its length first), skipping resume
  postings whose profile already matched. A page costs one or two Queries whatever the term's
  frequency or the table's size.
- **Several terms**: every term's partitions are read side by side, page by page, until one
  term's are complete: that rarest term's professionals are the candidates. Each posting carries
  the professional's profile words, so the other terms are checked in memory; only candidates
  that need a term checked against their resume words cost a batched read (100 a request).
  Candidates are then ranked and the page cut from that order.

Both end the same way: the page's DOC items give the resume match and snippet, and the
professionals themselves are read from their table (the index is never the source of truth: a
professional deleted a moment ago is simply left out).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib import db, signing
from chalicelib.errors import BadRequest
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.search import analyzer, index

FIRST_PAGE = 1001  # postings a first read takes: a term of up to 1,000 matches completes in one
NEXT_PAGE = 5000
FILTERED_PAGE = 250  # postings a filtered Query reads at least (it may keep few of them)
SNIPPET_CHARS = 200
SNIPPET_LEAD = 60  # characters kept before the matching word
_PURPOSE = "search-cursor"
_WHITE = re.compile(r"\s+")


def parse_q(raw: str) -> list[str]:
    """The query's terms, or a 400 naming ``q``."""
    q = raw.strip()
    if not 1 <= len(q) <= analyzer.MAX_QUERY_CHARS:
        raise BadRequest(f"q must be 1 to {analyzer.MAX_QUERY_CHARS} characters.",
                         {"fields": {"q": [f"From 1 to {analyzer.MAX_QUERY_CHARS} characters."]}})
    terms = analyzer.query_terms(q)
    if not terms:
        raise BadRequest("q has no word of two or more letters or digits to search for.",
                         {"fields": {"q": ["Type at least one word of two or more letters "
                                           "or digits."]}})
    return terms


@dataclass
class Hit:
    """A professional that matches, with what it takes to rank and describe it."""

    id: str
    list_key: str
    profile: dict[str, list[str]]
    resume_words: int
    tier: int = 0
    points: int = 0
    fields: list[str] = field(default_factory=list)

    def order(self) -> tuple[int, int]:
        return self.tier, -self.points

    @classmethod
    def of(cls, posting: dict[str, Any]) -> Hit:
        return cls(id=posting["id"], list_key=posting["lk"], profile=json.loads(posting["pf"]),
                   resume_words=int(posting.get("rn", 0)))


def search(terms: list[str], *, source: str | None, limit: int, cursor: str | None,
           ) -> dict[str, Any]:
    scope = {"q": terms, "source": source}
    position = signing.open_cursor(cursor, _PURPOSE, scope, list) if cursor else None
    try:
        if len(terms) != 1 or len(terms[0]) > analyzer.MAX_WORD:
            raise _Unordered
        hits, after = _one_term(terms[0], source, limit, position)
    except _Unordered:
        hits, after = _several_terms(terms, source, limit, position)
    items = _describe(hits, terms)
    next_cursor = signing.cursor(scope, after, _PURPOSE) if after else None
    return {"items": items, "next_cursor": next_cursor}


class _Unordered(Exception):
    """The stored order cannot serve this query: rank the candidates instead."""


# -- one term: read in stored order ----------------------------------------------------------------

def _one_term(term: str, source: str | None, limit: int, position: list | None,
              ) -> tuple[list[Hit], Any]:
    """A position is (tier, points, list key), whichever plan served the page before; here it
    becomes the partition and sort key to go on from."""
    partition = analyzer.partition_prefix(term)
    longer = term if term != partition else None
    phases = [("p", index.profile_pk(partition)), ("r", index.resume_pk(term))]
    start_sk = None
    if position:
        tier, points, list_key = position
        if tier == analyzer.RESUME_TIER:
            phases = phases[1:]
            start_sk = index.resume_sk(points, list_key)
        else:
            start_sk = index.profile_sk(tier, list_key)
    found: list[tuple[str, dict[str, Any]]] = []
    for phase, pk in phases:
        start = {"pk": {"S": pk}, "sk": {"S": start_sk}} if start_sk else None
        start_sk = None
        filtered = bool(source or longer or phase == "r")
        while len(found) <= limit:
            # a filter may drop most of what a Query reads: read more at a time then
            wanted = limit + 1 - len(found)
            page, start = index.query_page(
                pk, start=start, limit=max(wanted, FILTERED_PAGE) if filtered else wanted,
                source=source, skip_profile_matches=phase == "r",
                word_prefix=longer if phase == "p" else None)
            found += [(phase, p) for p in page]
            if not start:
                break
        if len(found) > limit:
            break
    hits = []
    for phase, posting in found[:limit + 1]:
        hit = Hit.of(posting)
        _match_profile(hit, [term])
        if phase == "r":
            hit.tier, hit.points = analyzer.RESUME_TIER, int(posting["sk"].split("#", 1)[0])
        elif hit.tier != 9 - int(posting["sk"][0]):
            # a longer term than the partition's prefix, matched by a word of a lower tier
            # than the prefix's best: the stored order is off for this professional
            raise _Unordered
        hits.append(hit)
    after = None
    if len(hits) > limit:
        last = hits[limit - 1]
        after = [last.tier, last.points, last.list_key]
    return hits[:limit], after


# -- several terms: candidates of the rarest term -------------------------------------------------

@dataclass
class _Partition:
    pk: str
    postings: list[dict[str, Any]] = field(default_factory=list)
    start: dict[str, Any] | None = None
    done: bool = False


def _several_terms(terms: list[str], source: str | None, limit: int, position: Any,
                   ) -> tuple[list[Hit], Any]:
    candidates = _rarest_term_postings(terms, source)
    hits = []
    unchecked: list[Hit] = []
    for posting in candidates.values():
        hit = Hit.of(posting)
        missing = _match_profile(hit, terms)
        if not missing:
            hits.append(hit)
        elif hit.resume_words:
            unchecked.append(hit)
    documents = index.read_documents([h.id for h in unchecked], ("rw",))
    for hit in unchecked:
        counts = index.unpack(documents[hit.id]["rw"]) if "rw" in documents.get(hit.id, {}) else {}
        if all(hit_term(hit, t) or t in counts for t in terms):
            hit.tier = analyzer.RESUME_TIER
            hit.points = sum(index.score(counts.get(t, 0), hit.resume_words) for t in terms)
            hits.append(hit)
    hits.sort(key=lambda h: h.list_key, reverse=True)  # newest first within equal rank
    hits.sort(key=Hit.order)
    if position:
        rank, key = (position[0], -position[1]), position[2]
        hits = [h for h in hits if h.order() > rank or (h.order() == rank and h.list_key < key)]
    after = None
    if len(hits) > limit:
        last = hits[limit - 1]
        after = [last.tier, last.points, last.list_key]
    return hits[:limit], after


def _rarest_term_postings(terms: list[str], source: str | None) -> dict[str, dict[str, Any]]:
    """The postings (by professional) of the term with the fewest, reading all terms' partitions
    side by side, a page at a time, until one term's are complete."""
    parts = {t: [_Partition(index.profile_pk(analyzer.partition_prefix(t))),
                 _Partition(index.resume_pk(t))] for t in terms}
    if any(len(t) > analyzer.MAX_WORD for t in terms):
        for t in terms:
            if len(t) > analyzer.MAX_WORD:
                parts[t][1].done = True  # no resume word is that long
    first = True
    while True:
        todo = [p for ps in parts.values() for p in ps if not p.done]
        page = FIRST_PAGE if first else NEXT_PAGE

        def read(part: _Partition, page: int = page) -> None:
            got, part.start = index.query_page(part.pk, start=part.start, limit=page,
                                               source=source)
            part.postings += got
            part.done = part.start is None

        index.parallel(read, todo)
        first = False
        complete = [t for t, ps in parts.items() if all(p.done for p in ps)]
        if complete:
            rarest = min(complete, key=lambda t: sum(len(p.postings) for p in parts[t]))
            by_id: dict[str, dict[str, Any]] = {}
            for part in parts[rarest]:
                for posting in part.postings:
                    by_id.setdefault(posting["id"], posting)
            return by_id


# -- matching and description -------------------------------------------------------------------

def _match_profile(hit: Hit, terms: list[str]) -> list[str]:
    """Set the hit's profile fields and tier; returns the terms no profile field matched."""
    fields: set[str] = set()
    tier, missing = 0, []
    for term in terms:
        matched = analyzer.term_fields(term, hit.profile)
        if not matched:
            missing.append(term)
            continue
        fields.update(matched)
        tier = max(tier, min(analyzer.FIELD_TIER[f] for f in matched))
    hit.fields = [f for f in analyzer.PROFILE_FIELDS if f in fields]
    hit.tier = tier
    return missing


def hit_term(hit: Hit, term: str) -> bool:
    return bool(analyzer.term_fields(term, hit.profile))


def _describe(hits: list[Hit], terms: list[str]) -> list[dict[str, Any]]:
    """The page as list resources with ``match``: current records only, in rank order."""
    from chalicelib.professionals import to_resource
    with_resume = [h.id for h in hits if h.resume_words]
    documents = index.read_documents(with_resume, ("rw", "rt"))
    stored = db.batch_get(professional_pk(h.id) for h in hits) if hits else {}
    items = []
    for hit in hits:
        item = stored.get(professional_pk(hit.id))
        if not isinstance(item, ProfessionalItem):
            continue  # deleted since it was indexed
        doc = documents.get(hit.id, {})
        counts = index.unpack(doc["rw"]) if "rw" in doc else {}
        in_resume = [t for t in terms if t in counts]
        fields = list(hit.fields) + (["resume"] if in_resume else [])
        snippet = None
        if in_resume and "rt" in doc:
            snippet = make_snippet(index.unpack(doc["rt"]), set(in_resume))
        items.append({**to_resource(item), "match": {"fields": fields, "snippet": snippet}})
    return items


def make_snippet(text: str, wanted: set[str]) -> str | None:
    """Up to SNIPPET_CHARS of ``text`` around the first word in ``wanted`` (that word included),
    runs of white space collapsed to one space."""
    for start, end, found in analyzer.spans(text):
        if wanted.intersection(found):
            word = text[start:end]
            if len(word) >= SNIPPET_CHARS:
                return word[:SNIPPET_CHARS]
            lead = _WHITE.sub(" ", text[max(0, start - SNIPPET_LEAD):start]).lstrip()
            lead = lead[max(0, len(lead) + len(word) - SNIPPET_CHARS):]
            tail = _WHITE.sub(" ", text[end:end + SNIPPET_CHARS])
            return (lead + word + tail)[:SNIPPET_CHARS].rstrip()
    return None
