"""Tier 4 of a search: professionals that some term matches only in their resume, best BM25
score first (8.3), read with Fagin's threshold algorithm.

Each term's stem has its postings sorted by BM25's term-frequency weight. The Queries go down
those lists side by side; every professional met is scored in full from its DOC item (its
profile words and resume word counts: one BatchGetItem per 100). No professional not yet met
can score more than the sum, over the terms, of the stem's rarity times the weight its Query
has reached (the threshold), so the professionals met that score more than it are final and
served in order. A page stops at its limit or its request budget; the cursor keeps the score
and list key served down to, and the next page starts each Query at the weights that could
still lead to a lower score.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from chalicelib.search import analyzer, index
from chalicelib.search.layout import (RESUME_PREFIX, Filters, resume_pk, resume_sk, tf_weight,
                                      unpack)
from chalicelib.search.passes import GROWTH, MAX_LIMIT, Budget, Hit, Outcome

TOP = "\uffff"  # above every list key: "every professional of this score"
FIRST_LIMIT = 250  # postings a stem's first Query takes; each next one 8 times more


@dataclass
class _Reads:
    """What a page has read of one stem's postings from one starting weight: chunks of
    postings, each with the weight its Query reached (None: the end). The page's two resume
    passes read the same lists: the second goes through the first's chunks for free."""

    stem: str
    top: int | None  # the highest weight read (None: from the top)
    chunks: list[tuple[list[dict[str, Any]], int | None]] = field(default_factory=list)
    start: dict[str, Any] | None = None
    limit: int = FIRST_LIMIT

    @property
    def ended(self) -> bool:
        return bool(self.chunks) and self.chunks[-1][1] is None


class Known:
    """The page's resume reads and the DOC items it judged, shared by its resume passes."""

    def __init__(self) -> None:
        self.reads: dict[tuple[str, int | None], _Reads] = {}
        self.documents: dict[str, dict[str, Any] | None] = {}
        self.judged: dict[tuple[str, bool], Hit | None] = {}
        self.idfs: dict[str, float] | None = None

    def rarities(self, read: Callable[[], dict[str, float]]) -> dict[str, float]:
        if self.idfs is None:
            self.idfs = read()
        return self.idfs


@dataclass
class _List:
    """One pass's walk down one stem's postings."""

    reads: _Reads
    idf: float
    taken: int = 0  # chunks of ``reads`` this pass has gone through
    reached: int | None = None  # the weight reached; None: not read yet
    done: bool = False

    def cost(self) -> int:
        return 0 if self.taken < len(self.reads.chunks) else 1


def stems_of(terms: list[str]) -> dict[str, str]:
    """Each term's stem, for the terms a resume word can match."""
    return {t: analyzer.stem(t) for t in terms if analyzer.MIN_TERM <= len(t) <= analyzer.MAX_WORD}


def run(terms: list[str], exact: bool, rarities: Callable[[], dict[str, float]], *,
        where: Filters,
        budget: Budget, need: int, below: tuple[int, str] | None,
        keep: Callable[[list[Hit]], list[Hit]], known: Known) -> Outcome:
    stems = stems_of(terms)
    # the rarities are read once some list holds someone (or to go on from a score)
    idfs = known.rarities(rarities) if below is not None else None
    lists = []
    for stem in dict.fromkeys(stems.values()):
        weight = idfs.get(stem, 0.0) if idfs is not None else 0.0
        top = None
        if below is not None and weight > 0:
            top = min(int(below[0] / weight) + 1, 10 ** 9 - 1)
        reads = known.reads.setdefault((stem, top), _Reads(stem, top))
        lists.append(_List(reads, weight, reached=top))
    served: set[str] = set()
    met: set[str] = set()
    hits: list[Hit] = []
    while True:
        todo = [p for p in lists if not p.done]
        threshold = _threshold(lists)
        ready = sorted((h for h in (_hit(known, i, terms, stems, idfs or {}, exact) for i in met)
                        if h is not None and h.id not in served
                        and (threshold is not None and (not todo or h.points > threshold))
                        and (below is None or (h.points, h.list_key) < below)),
                       key=lambda h: (h.points, h.list_key), reverse=True)
        if ready:
            kept = keep(ready)
            served.update(h.id for h in ready)
            hits += kept[:need - len(hits)]
            if len(hits) >= need:
                return Outcome(hits, False, None, position=(hits[-1].points, hits[-1].list_key))
        if not todo:
            return Outcome(hits, True)
        if not budget.allows(sum(p.cost() for p in todo) + 1):
            position = (threshold, TOP) if threshold is not None else below
            return Outcome(hits, False, None, position=position)
        # each list reads no more than the budget left can judge (a DOC item per candidate)
        spare = budget.left - sum(p.cost() for p in todo) - (1 if idfs is None else 0)
        capacity = 100 * max(spare, 1)
        for got in index.parallel(lambda p: _next(p, where, budget, capacity // len(todo)),
                                  todo):
            met.update(posting["id"] for posting in got)
        if met and idfs is None:
            idfs = known.rarities(rarities)
            for part in lists:
                part.idf = idfs.get(part.reads.stem, 0.0)
        unread = [i for i in met if i not in known.documents]
        while unread and budget.allows():
            chunk, unread = unread[:100], unread[100:]
            documents = index.read_documents(chunk, ("pf", "rw", "rn", "lk"))
            budget.spend()
            for i in chunk:
                known.documents[i] = documents.get(i)
        if unread:  # met but not judged: nothing below them can be served yet
            position = (threshold, TOP) if threshold is not None else below
            return Outcome(hits, False, None, position=position)


def _hit(known: Known, professional_id: str, terms: list[str], stems: dict[str, str],
         idfs: dict[str, float], exact: bool) -> Hit | None:
    if professional_id not in known.documents:
        return None
    key = (professional_id, exact)
    if key not in known.judged:
        known.judged[key] = _judge(terms, stems, idfs, exact, known.documents[professional_id])
    return known.judged[key]


def _next(part: _List, where: Filters, budget: Budget, most: int) -> list[dict[str, Any]]:
    """The pass's next chunk of the list: one the page has read already, else a Query of at
    most ``most`` postings."""
    reads = part.reads
    if part.taken == len(reads.chunks):
        _read(reads, where, most)
        budget.spend()
    items, reached = reads.chunks[part.taken]
    part.taken += 1
    part.reached = reached
    part.done = reached is None
    return items


def _read(reads: _Reads, where: Filters, most: int) -> None:
    clauses, values = [], {}
    if where.source:
        clauses.append("src = :src")
        values[":src"] = where.source
    if where.created_from:
        clauses.append("lk >= :cf")
        values[":cf"] = where.created_from
    if where.created_to:
        clauses.append("lk < :ct")
        values[":ct"] = where.created_to
    sk_to = resume_sk(reads.top, TOP) if reads.start is None and reads.top is not None else None
    items, last = index.query(resume_pk(reads.stem), start=reads.start,
                              limit=max(1, min(reads.limit, most)),
                              sk_to=sk_to, condition=" AND ".join(clauses), values=values,
                              attributes="sk, id, lk")
    reads.start = last
    reads.chunks.append((items, int(last["sk"]["S"].split("#", 1)[0]) if last else None))
    reads.limit = min(reads.limit * GROWTH, MAX_LIMIT)


def _threshold(lists: list[_List]) -> int | None:
    """The most a professional not met yet can score; None before every list is read once."""
    total = 0.0
    for part in lists:
        if part.done:
            continue
        if part.reached is None:
            return None
        total += part.idf * part.reached
    return math.ceil(total)


def _judge(terms: list[str], stems: dict[str, str], idfs: dict[str, float], exact: bool,
           document: dict[str, Any] | None) -> Hit | None:
    """The professional's tier-4 hit for this pass, or None: every term matches its profile or
    its resume, some only its resume, and whether every term is a whole word (a resume word by
    its stem) is the pass's."""
    if not document or "rw" not in document:
        return None
    profile = unpack(document["pf"]) if "pf" in document else {}
    counts = unpack(document["rw"])
    words = int(document.get("rn", 0))
    in_profile = [bool(analyzer.term_fields(t, profile)) for t in terms]
    in_resume = [t in stems and stems[t] in counts for t in terms]
    if not all(p or r for p, r in zip(in_profile, in_resume)) or all(in_profile):
        return None
    whole = all(r or any(t in profile.get(f, ()) for f in analyzer.PROFILE_FIELDS)
                for t, r in zip(terms, in_resume))
    if whole != exact:
        return None
    points = sum(idfs.get(stems[t], 0.0) * tf_weight(counts[stems[t]], words)
                 for t, r in zip(terms, in_resume) if r)
    return Hit(id=document["id"], list_key=document["lk"], tier=analyzer.RESUME_TIER,
               exact=exact, points=int(round(points)))


__all__ = ["run", "stems_of", "RESUME_PREFIX"]
