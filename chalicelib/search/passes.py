"""The profile passes of a search page: each term's postings read newest first, side by side,
and joined on the professional (a merge join: every partition is sorted by list key).

A pass reads the professionals of one rank: a profile tier ``T`` (1 name, 2 company and title,
3 email and phone) and whether every term is a whole word (``exact``), or, last, the typo
matches of a tier. Each term's Query keeps, with a FilterExpression on the postings' word
lists, only postings where the term matches within tier ``T``; the join keeps the
professionals every term matched and whose rank is exactly the pass's (a professional whose
terms all match by name was served by tier 1's pass).

The join is *decided* down to the highest list key any unfinished Query has reached: above it,
every Query has seen every posting, so a professional missing from one term's postings does not
match. Results are served from the top down to that point; a page stops at its limit or at its
request budget, and the cursor keeps the pass and the list key reached, so the next page starts
each Query there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from chalicelib.search import index
from chalicelib.search.layout import (PHONE_ENDS_LIST, TIERS, Filters, phone_end_pk, profile_pk,
                                      term_tier,
                                      whole_within)
from chalicelib.search import analyzer

FIRST_READ = 1000  # postings a partition's first Query takes, whatever the pass
FIRST_LIMIT = 250  # postings a pass's own Query evaluates first; each next one 8 times more
GROWTH = 8
MAX_LIMIT = 20_000  # DynamoDB stops at 1 MB anyway
TYPO_FIELDS_TIER = 2  # typos reach name, company and title words (vocabulary.FIELDS)


class Budget:
    """The DynamoDB requests a page may still make (8.3: 10 for 1 to 3 terms, 20 for 4 to 8)."""

    def __init__(self, requests: int):
        self.left = requests
        self.spent = 0

    def spend(self, requests: int = 1) -> None:
        self.left -= requests
        self.spent += requests

    def allows(self, requests: int = 1) -> bool:
        return self.left >= requests


class Partitions:
    """What a page has read of each partition from the top without a rank filter: the first
    read of a partition takes everything in it (up to FIRST_READ), so every pass over a small
    partition is answered from memory, and a large one's passes start below what is known."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[list[dict[str, Any]], str]] = {}


@dataclass
class Reader:
    """One partition's Query, continued page after page: ``condition`` the FilterExpression
    over the postings (``values`` its strings), ``test`` the same in memory."""

    pk: str
    condition: str
    values: dict[str, str]
    test: Callable[[dict[str, Any]], bool]
    role: str  # the term itself ("") or the typo correction it reads
    below: str | None = None  # where the reading starts (a cursor's list key), None: the top
    start: dict[str, Any] | None = None
    frontier: str | None = None  # the sort key reached ("": the end); None: not read yet
    done: bool = False
    limit: int = FIRST_LIMIT

    def read(self, where: Filters, budget: Budget, known: Partitions) -> list[dict[str, Any]]:
        if self.frontier is None:
            return self._first(where, budget, known)
        condition, values = self.condition, dict(self.values)
        items, last = self._query(where, condition, values, self.limit)
        budget.spend()
        self._advance(last)
        return [i for i in items if self.test(i)]

    def _first(self, where: Filters, budget: Budget, known: Partitions) -> list[dict[str, Any]]:
        """The partition's first FIRST_READ postings from the top, unfiltered and remembered
        for the page's other passes; this reader's own from them, below where it starts."""
        if self.pk not in known.known:
            items, last = self._query(where, "", {}, FIRST_READ)
            budget.spend()
            known.known[self.pk] = (items, last["sk"]["S"] if last else "")
        items, reached = known.known[self.pk]
        if self.below is not None and reached and self.below <= reached:
            # a cursor deeper than the first read: this reader's own Query from there
            self.start = {"pk": {"S": self.pk}, "sk": {"S": self.below}}
            items, last = self._query(where, self.condition, dict(self.values), self.limit)
            budget.spend()
            self._advance(last)
            return [i for i in items if self.test(i)]
        self.frontier = reached
        self.done = not reached
        self.start = {"pk": {"S": self.pk}, "sk": {"S": reached}} if reached else None
        return [i for i in items if self.test(i)
                and (self.below is None or i["sk"] < self.below)]

    def _query(self, where: Filters, condition: str, values: dict[str, str], limit: int,
               ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if where.source:
            condition = f"({condition}) AND src = :src" if condition else "src = :src"
            values = {**values, ":src": where.source}
        return index.query(self.pk, start=self.start, limit=limit, sk_from=where.created_from,
                           sk_to=where.created_to, condition=condition, values=values,
                           attributes="sk, id, a1, a2, a3, e3")

    def _advance(self, last: dict[str, Any] | None) -> None:
        self.start = last
        self.done = last is None
        self.frontier = last["sk"]["S"] if last else ""
        self.limit = min(self.limit * GROWTH, MAX_LIMIT)


@dataclass
class Hit:
    """A professional that matches, with what it takes to rank and describe it."""

    id: str
    list_key: str
    tier: int = 0
    exact: bool = False
    points: int = 0
    typo: bool = False  # some term matched only through a typo
    corrections: dict[str, list[str]] = field(default_factory=dict)  # term -> words it matched
    identifier: str | None = None  # "email" or "phone": the owner of a q typed whole


def _within(term: str, tier: int, exact: bool | None, only: bool,
            ) -> tuple[str, dict[str, str], Callable[[dict[str, Any]], bool]]:
    """A FilterExpression and the same test in memory: ``term`` starts a word within ``tier``
    (exactly at it when ``only``), and is a whole word there (``exact``) or is not (False)."""
    start, whole = f" {term}", f" {term} "
    values = {":s": start, ":w": whole}
    parts = [f"contains(a{tier}, :s)"]
    if only and tier > TIERS[0]:
        parts.append(f"NOT contains(a{tier - 1}, :s)")
    if exact is True:
        parts.append(f"contains(a{tier}, :w)")
    elif exact is False:
        parts.append(f"NOT contains(a{tier}, :w)")

    def test(item: dict[str, Any]) -> bool:
        words = item.get(f"a{tier}", "")
        ok = start in words
        if ok and only and tier > TIERS[0]:
            ok = start not in item.get(f"a{tier - 1}", "")
        if ok and exact is not None:
            ok = (whole in words) == exact
        return ok

    return " AND ".join(parts), values, test


def _own(term: str, tier: int, exact: bool | None, only: bool) -> list[Reader]:
    """A term's own Queries in a pass: its prefix's partition and, for a run of 4 or more
    digits where tier 3 is in reach and the pass is not of whole words, the phones' trailing
    runs (analyzer.phone_end_key)."""
    condition, values, test = _within(term, tier, exact, only)
    readers = [Reader(profile_pk(analyzer.partition_prefix(term)), condition, values, test, "")]
    end = analyzer.phone_end_key(term)
    if end and tier == TIERS[-1] and exact is not True:
        whole = f" {term} "
        readers.append(Reader(phone_end_pk(end), f"contains({PHONE_ENDS_LIST}, :w)",
                              {":w": whole},
                              lambda item: whole in item.get(PHONE_ENDS_LIST, ""), ""))
    return readers


def _whole_word(word: str, tier: int) -> tuple[str, dict[str, str],
                                                Callable[[dict[str, Any]], bool]]:
    whole = f" {word} "
    return (f"contains(a{tier}, :w)", {":w": whole},
            lambda item: whole in item.get(f"a{tier}", ""))


def profile_readers(terms: list[str], tier: int, exact: bool) -> list[list[Reader]]:
    """Each term's Query for the profile pass (tier, exact). A one-term pass asks for exactly
    its rank; with several terms each asks for its term within the tier (the join checks that
    the whole rank is the pass's)."""
    one = len(terms) == 1
    out = []
    for term in terms:
        out.append(_own(term, tier, exact if one or exact else None, one))
    return out


def typo_readers(terms: list[str], tier: int,
                 corrections: dict[str, list[str]]) -> list[list[Reader]]:
    """Each term's Queries for the typo pass of ``tier``: its own postings within the tier, and
    those of its corrections as whole words of name, company or title within it."""
    out = []
    typo_tier = min(tier, TYPO_FIELDS_TIER)
    for term in terms:
        # all of its own postings: a term that matches by itself never matches through a typo
        readers = _own(term, TIERS[-1], None, False)
        for word in corrections.get(term, ()):
            condition, values, test = _whole_word(word, typo_tier)
            readers.append(Reader(profile_pk(analyzer.partition_prefix(word)), condition, values,
                                  test, word))
        out.append(readers)
    return out


def rank_profile(terms: list[str], postings: list[dict[str, dict[str, Any]]],
                 ) -> tuple[int, bool] | None:
    """(tier, exact) of a professional from each term's own posting."""
    tiers = []
    for term, by_role in zip(terms, postings):
        own = by_role.get("")
        found = term_tier(own, term) if own else None
        if found is None:
            return None
        tiers.append(found[0])
    tier = max(tiers)
    return tier, all(whole_within(p[""], t, tier) for t, p in zip(terms, postings))


def rank_typo(terms: list[str], postings: list[dict[str, dict[str, Any]]],
              ) -> tuple[int, dict[str, list[str]]] | None:
    """(tier, corrections used) of a professional some term matches only through a typo."""
    tiers, used = [], {}
    for term, by_role in zip(terms, postings):
        own = by_role.get("")
        found = term_tier(own, term) if own else None
        if found is not None:
            tiers.append(found[0])
            continue
        best = None
        for word, posting in by_role.items():
            if not word:
                continue
            for tier in TIERS[:TYPO_FIELDS_TIER]:
                if whole_within(posting, word, tier):
                    best = tier if best is None else min(best, tier)
                    used.setdefault(term, []).append(word)
                    break
        if best is None:
            return None
        tiers.append(best)
    return (max(tiers), used) if used else None


@dataclass
class Outcome:
    hits: list[Hit]
    done: bool  # the pass has no more
    boundary: str | None = None  # else: the list key the next page starts below (None: the top)
    position: tuple[int, str] | None = None  # or, for a resume pass, the score and list key


def run(readers: list[list[Reader]], judge: Callable[[list[dict[str, dict[str, Any]]]],
                                                        Hit | None],
        *, where: Filters, budget: Budget, need: int, below: str | None,
        keep: Callable[[list[Hit]], list[Hit]], known: Partitions) -> Outcome:
    """Join the terms' Queries from ``below`` down, until ``need`` hits (after ``keep``, the
    check of the professionals' own items), the end of every Query, or the budget."""
    every = [r for rs in readers for r in rs]
    term_of = {id(r): i for i, rs in enumerate(readers) for r in rs}
    for r in every:
        r.below = below
    seen: list[dict[str, dict[str, dict[str, Any]]]] = [{} for _ in readers]  # sk -> role -> item
    hits: list[Hit] = []
    served_to = below  # everything above this list key is decided and judged
    while True:
        open_readers = [r for r in every if not r.done]
        if not open_readers:
            decided = ""
        else:
            reached = [r.frontier for r in open_readers]
            decided = max(reached) if None not in reached else None
        if decided is not None and (served_to is None or decided < served_to):
            fresh = _joined(seen, decided, served_to)
            judged = [h for h in (judge(p) for _, p in fresh) if h is not None]
            kept = keep(judged) if judged else []
            if len(hits) + len(kept) >= need:
                kept = kept[:need - len(hits)]
                hits += kept
                return Outcome(hits, False, hits[-1].list_key)
            hits += kept
            served_to = decided
        if not open_readers:
            return Outcome(hits, True)
        todo = _affordable(_next_reads(open_readers), budget, known)
        if not todo:
            return Outcome(hits, False, served_to)
        # the first of several readers of one partition reads it; the others then find it known
        first, then = [], []
        for r in todo:
            (then if r.frontier is None and (r.pk in known.known or any(
                f.pk == r.pk for f in first if f.frontier is None)) else first).append(r)
        index.parallel(lambda r: _take(r, where, budget, known, seen[term_of[id(r)]]), first)
        for r in then:
            _take(r, where, budget, known, seen[term_of[id(r)]])


def _take(reader: Reader, where: Filters, budget: Budget, known: Partitions,
          seen: dict[str, dict[str, dict[str, Any]]]) -> None:
    for item in reader.read(where, budget, known):
        # a term's own postings of one professional (a prefix's and the phone's runs) merge
        by_role = seen.setdefault(item["sk"], {})
        by_role[reader.role] = {**by_role.get(reader.role, {}), **item}


def _affordable(todo: list[Reader], budget: Budget, known: Partitions) -> list[Reader]:
    """As many of these reads as the budget pays for, in order (a partition the page already
    knows costs nothing)."""
    out, cost, keys = [], 0, set()
    for r in todo:
        free = r.frontier is None and (r.pk in known.known or r.pk in keys) and not (
            r.below is not None and r.pk in known.known and known.known[r.pk][1]
            and r.below <= known.known[r.pk][1])
        if not free and not budget.allows(cost + 1):
            continue
        if not free:
            cost += 1
        if r.frontier is None:
            keys.add(r.pk)
        out.append(r)
    return out


def _next_reads(open_readers: list[Reader]) -> list[Reader]:
    """The Queries to continue: every one that has not read as far as the farthest (a Query far
    ahead of the others waits for them); all of them at first."""
    reached = [r.frontier for r in open_readers]
    if None in reached or len(set(reached)) == 1:
        return open_readers
    farthest = min(reached)
    laggards = [r for r in open_readers if r.frontier != farthest]
    return sorted(laggards, key=lambda r: r.frontier, reverse=True)


def _joined(seen: list[dict[str, dict[str, dict[str, Any]]]], decided: str,
            served_to: str | None) -> list[tuple[str, list[dict[str, dict[str, Any]]]]]:
    """The professionals every term's postings hold, between ``decided`` and ``served_to``,
    newest first."""
    smallest = min(seen, key=len)
    keys = sorted((sk for sk in smallest if sk >= decided
                   and (served_to is None or sk < served_to)
                   and all(sk in s for s in seen)), reverse=True)
    return [(sk, [s[sk] for s in seen]) for sk in keys]


def profile_judge(terms: list[str], tier: int, exact: bool,
                  ) -> Callable[[list[dict[str, dict[str, Any]]]], Hit | None]:
    def judge(postings: list[dict[str, dict[str, Any]]]) -> Hit | None:
        rank = rank_profile(terms, postings)
        if rank != (tier, exact):
            return None
        first = postings[0][""]
        return Hit(id=first["id"], list_key=first["sk"], tier=tier, exact=exact)
    return judge


def typo_judge(terms: list[str], tier: int,
               ) -> Callable[[list[dict[str, dict[str, Any]]]], Hit | None]:
    def judge(postings: list[dict[str, dict[str, Any]]]) -> Hit | None:
        if rank_profile(terms, postings) is not None:
            return None  # every term matches by itself: served by a profile pass
        rank = rank_typo(terms, postings)
        if rank is None or rank[0] != tier:
            return None
        first = next(iter(postings[0].values()))
        return Hit(id=first["id"], list_key=first["sk"], tier=tier, typo=True,
                   corrections=rank[1])
    return judge
