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

FIRST_READ = 1000  # postings a partition's first Query takes; each next one 8 times more
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


@dataclass
class Scan:
    """One partition read newest first, unfiltered but for the search's own filters, shared by
    every pass of a request that reads it: a pass whose rank is rare in a large partition
    (tier 1 for "engineer") and the next ones go through the same postings once."""

    pk: str
    below: str | None  # where it starts (a cursor's list key), None: the top
    items: list[dict[str, Any]] = field(default_factory=list)
    start: dict[str, Any] | None = None
    reached: str | None = None  # the sort key reached ("": the end); None: not read yet
    limit: int = field(default_factory=lambda: FIRST_READ)

    @property
    def done(self) -> bool:
        return self.reached == ""

    def extend(self, where: Filters, budget: Budget) -> None:
        condition, values = "", {}
        if where.source:
            condition, values = "src = :src", {":src": where.source}
        start = self.start
        if start is None and self.reached is None and self.below is not None:
            start = {"pk": {"S": self.pk}, "sk": {"S": self.below}}
        items, last = index.query(self.pk, start=start, limit=self.limit,
                                  sk_from=where.created_from, sk_to=where.created_to,
                                  condition=condition, values=values,
                                  attributes="sk, id, a1, a2, a3, e3")
        budget.spend()
        self.items += items
        self.start = last
        self.reached = last["sk"]["S"] if last else ""
        self.limit = min(self.limit * GROWTH, MAX_LIMIT)


class Partitions:
    """The scans of one request, by partition and starting point."""

    def __init__(self) -> None:
        self.scans: dict[tuple[str, str | None], Scan] = {}

    def scan_for(self, pk: str, below: str | None) -> Scan:
        """The scan a reader starting at ``below`` reads: the one from the top when it has
        reached that far already, else one of its own."""
        top = self.scans.get((pk, None))
        if below is None or (top is not None and top.reached is not None
                             and (top.done or top.reached <= below)):
            return self.scans.setdefault((pk, None), top or Scan(pk, None))
        return self.scans.setdefault((pk, below), Scan(pk, below))


@dataclass
class Reader:
    """One term's (or correction's) walk down a partition's scan: ``test`` keeps its postings
    (``condition``, the same as a FilterExpression, documents it)."""

    pk: str
    condition: str
    values: dict[str, str]
    test: Callable[[dict[str, Any]], bool]
    role: str  # the term itself ("") or the typo correction it reads
    below: str | None = None  # where the reading starts (a cursor's list key), None: the top
    scan: Scan | None = None
    taken: int = 0  # the scan's items gone through
    frontier: str | None = None  # the sort key reached ("": the end); None: not read yet
    done: bool = False

    def bind(self, known: Partitions) -> Scan:
        if self.scan is None:
            self.scan = known.scan_for(self.pk, self.below)
        return self.scan

    def waiting(self) -> bool:
        """Whether it has taken all its scan holds, and the scan goes on."""
        scan = self.scan
        return scan.reached is None or (self.taken >= len(scan.items) and not scan.done)

    def take(self) -> list[dict[str, Any]]:
        """What the scan holds beyond what this reader has taken, that it keeps."""
        scan = self.scan
        fresh = scan.items[self.taken:]
        self.taken = len(scan.items)
        self.frontier = scan.reached
        self.done = scan.done
        return [i for i in fresh if self.test(i) and (self.below is None or i["sk"] < self.below)]


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
        todo = _next_reads(open_readers)
        for r in todo:
            r.bind(known)
        # each scan is read once a round, however many readers wait on it
        scans = list({id(r.scan): r.scan for r in todo if r.waiting()}.values())
        scans = scans[:max(budget.left, 0)]
        index.parallel(lambda scan: scan.extend(where, budget), scans)
        extended = {id(scan) for scan in scans}
        taken = 0
        for r in todo:
            if id(r.scan) in extended or not r.waiting():
                taken += 1
                for item in r.take():
                    # a term's own postings of one professional (a prefix's and the phone's
                    # runs) merge
                    by_role = seen[term_of[id(r)]].setdefault(item["sk"], {})
                    by_role[r.role] = {**by_role.get(r.role, {}), **item}
        if not taken:
            return Outcome(hits, False, served_to)  # the budget is spent


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
