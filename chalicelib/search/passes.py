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
from chalicelib.search.layout import (PHONE_ENDS_LIST, TIERS, Document, Filters, group_range,
                                      list_key_of, phone_end_pk, profile_pk, term_tier,
                                      tier_group, tier_groups, unpack, whole_within)
from chalicelib.search import analyzer

FIRST_READ = 1000  # postings a partition's first Query takes; each next one 8 times more
GROWTH = 8
CHECK_MAX = 100  # professionals of a complete term checked by their DOC items: one BatchGetItem
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
    """One part of a partition (layout.tier_group: the postings whose prefix starts a name's
    word, or the others) read newest first, unfiltered but for the search's own filters, shared by every pass
    of a request that reads it. Its items carry their list key as ``sk``."""

    pk: str
    group: int
    below: str | None  # where it starts (a cursor's list key), None: the top
    items: list[dict[str, Any]] = field(default_factory=list)
    start: dict[str, Any] | None = None
    reached: str | None = None  # the list key reached ("": the end); None: not read yet
    limit: int = field(default_factory=lambda: FIRST_READ)
    # the names' part read from the top: the rest's scan from the top, read by the same first
    # Query when both are unread (one request reads a small partition whole)
    partner: Scan | None = None

    @property
    def done(self) -> bool:
        return self.reached == ""

    def fuses(self, where: Filters) -> bool:
        partner = self.partner
        return (partner is not None and self.reached is None and partner.reached is None
                and not where.created_from and not where.created_to)

    def extend(self, where: Filters, budget: Budget) -> None:
        condition, values = "", {}
        if where.source:
            condition, values = "src = :src", {":src": where.source}
        fused = self.fuses(where)
        lowest, highest = group_range(self.group)
        head = lowest
        if fused:  # descending: the names' part whole, then the rest's newest
            lowest = group_range(self.partner.group)[0]
        start = self.start
        if start is None and self.reached is None and self.below is not None:
            start = {"pk": {"S": self.pk}, "sk": {"S": head + self.below}}
        items, last = index.query(
            self.pk, start=start, limit=self.limit,
            sk_from=head + where.created_from if where.created_from else lowest,
            sk_to=head + where.created_to if where.created_to else highest,
            condition=condition, values=values, attributes="sk, id, a1, a2, a3, e3")
        budget.spend()
        own = [i for i in items if i["sk"].startswith(head)]
        others = [i for i in items if not i["sk"].startswith(head)]  # the partner's (fused)
        for item in items:
            item["sk"] = list_key_of(item["sk"])
        last_key = last["sk"]["S"] if last else None
        if fused and (last_key is None or not last_key.startswith(head)):
            self.partner.items += others
            self.partner.start = last
            self.partner.reached = list_key_of(last_key) if last_key else ""
            self.partner.limit = min(self.limit * GROWTH, MAX_LIMIT)
            last = None
        self.items += own
        self.start = last
        self.reached = list_key_of(last["sk"]["S"]) if last else ""
        self.limit = min(self.limit * GROWTH, MAX_LIMIT)


class Partitions:
    """The scans of one request, by partition, part and starting point."""

    def __init__(self) -> None:
        self.scans: dict[tuple[str, int, str | None], Scan] = {}
        # professionals' postings rebuilt from their DOC items (_check_rarest), by pk; None: gone
        self.rebuilt: dict[str, dict[str, dict[str, Any]] | None] = {}

    def postings_of(self, ids: list[str], budget: Budget,
                    ) -> dict[str, dict[str, dict[str, Any]] | None]:
        """These professionals' profile postings by pk, from their DOC items' profile words
        (``Document.postings``), each read and rebuilt at most once a request."""
        unread = [i for i in dict.fromkeys(ids) if i not in self.rebuilt]
        if unread:
            found = index.read_documents(unread, ("pf", "lk", "src"))
            budget.spend(-(-len(unread) // CHECK_MAX))
            for i in unread:
                document = found.get(i)
                self.rebuilt[i] = None if document is None or "pf" not in document else {
                    pk: posting for (pk, _), posting in Document(
                        id=i, version=0, list_key=document["lk"], source=document["src"],
                        profile=unpack(document["pf"])).postings().items()}
        return {i: self.rebuilt[i] for i in ids}

    def scan_for(self, pk: str, group: int, below: str | None) -> Scan:
        """The scan a reader starting at ``below`` reads: the one from the top when it has
        reached that far already, else one of its own."""
        top = self.scans.get((pk, group, None))
        if below is None or (top is not None and top.reached is not None
                             and (top.done or top.reached <= below)):
            if top is None:
                top = self.scans[(pk, group, None)] = Scan(pk, group, None)
                if group == 1:  # its first Query reads the rest's top too (``Scan.partner``)
                    top.partner = self.scans.setdefault((pk, 2, None), Scan(pk, 2, None))
            return top
        return self.scans.setdefault((pk, group, below), Scan(pk, group, below))


@dataclass
class Reader:
    """One term's (or correction's) walk down the parts ``groups`` of a partition, merged
    newest first: ``test`` keeps its postings (``condition``, the same as a FilterExpression,
    documents it)."""

    pk: str
    groups: tuple[int, ...]
    condition: str
    values: dict[str, str]
    test: Callable[[dict[str, Any]], bool]
    role: str  # the term itself ("") or the typo correction it reads
    below: str | None = None  # where the reading starts (a cursor's list key), None: the top
    scans: list[Scan] = field(default_factory=list)
    taken: dict[int, int] = field(default_factory=dict)  # id(scan) -> its items gone through
    frontier: str | None = None  # the list key reached by all ("": the end); None: not read
    done: bool = False
    fallback: tuple[str, tuple[int, ...]] | None = None  # (pk, groups) if one read is not all

    def bind(self, known: Partitions) -> list[Scan]:
        if not self.scans:
            self.scans = [known.scan_for(self.pk, g, self.below) for g in self.groups]
            self.taken = {id(s): 0 for s in self.scans}
        return self.scans

    def lagging(self) -> list[Scan]:
        """The scans to read on before this reader can go further: the unread ones, else those
        that reached least far, once it has taken all they hold."""
        open_scans = [s for s in self.scans if not s.done]
        unread = [s for s in open_scans if s.reached is None]
        if unread or not open_scans:
            return unread
        least = max(s.reached for s in open_scans)
        return [s for s in open_scans
                if s.reached == least and self.taken[id(s)] >= len(s.items)]

    def waiting(self) -> bool:
        return bool(self.lagging())

    def take(self) -> list[dict[str, Any]]:
        """What its scans hold beyond what this reader has taken, that it keeps."""
        fresh: list[dict[str, Any]] = []
        for scan in self.scans:
            fresh += scan.items[self.taken[id(scan)]:]
            self.taken[id(scan)] = len(scan.items)
        open_scans = [s for s in self.scans if not s.done]
        self.done = not open_scans
        reached = [s.reached for s in open_scans]
        self.frontier = "" if self.done else None if None in reached else max(reached)
        kept = [i for i in fresh if self.test(i) and (self.below is None or i["sk"] < self.below)]
        if self.fallback and not self.done and None not in reached:
            # what it kept stands (the same postings are met again, by key, in the other)
            (self.pk, self.groups), self.fallback = self.fallback, None
            self.scans, self.taken, self.frontier = [], {}, None
        return kept


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
    prefix = analyzer.partition_prefix(term)
    up_to = tuple(TIERS[:TIERS.index(tier) + 1])
    # the prefix's best tier is the term's own when they are one, and never above it
    tiers = (tier,) if only and prefix == term else up_to
    reader = Reader(profile_pk(prefix), tier_groups(tiers), condition, values, test, "")
    if exact is True and analyzer.whole_word_partition(term):
        # whole words of a term with no partition of its own: its prefix's partition when one
        # read takes it whole, else the postings of those who have the very word
        reader.fallback = (profile_pk(term), tier_groups((tier,) if only else up_to))
    readers = [reader]
    end = analyzer.phone_end_key(term)
    if end and tier == TIERS[-1] and exact is not True:
        whole = f" {term} "
        readers.append(Reader(phone_end_pk(end), (tier_group(TIERS[-1]),), f"contains({PHONE_ENDS_LIST}, :w)",
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
            readers.append(Reader(profile_pk(analyzer.partition_prefix(word)),
                                  tier_groups(tuple(TIERS[:TIERS.index(typo_tier) + 1])),
                                  condition, values,
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
        scans = list({id(s): s for r in todo for s in r.lagging()}.values())
        fed = {id(s.partner) for s in scans if s.fuses(where)}  # read by their partner's Query
        scans = [s for s in scans if id(s) not in fed][:max(budget.left, 0)]
        index.parallel(lambda scan: scan.extend(where, budget), scans)
        extended = {id(scan) for scan in scans}
        taken = 0
        for r in todo:
            if any(id(s) in extended for s in r.scans) or not r.waiting():
                taken += 1
                for item in r.take():
                    # a term's own postings of one professional (a prefix's and the phone's
                    # runs) merge
                    by_role = seen[term_of[id(r)]].setdefault(item["sk"], {})
                    by_role[r.role] = {**by_role.get(r.role, {}), **item}
        if not taken:
            return Outcome(hits, False, served_to)  # the budget is spent
        if _check_rarest(readers, seen, served_to, where, budget, known):
            for r in every:
                r.done, r.frontier = True, ""


def _check_rarest(readers: list[list[Reader]], seen: list[dict[str, dict[str, dict[str, Any]]]],
                  served_to: str | None, where: Filters, budget: Budget,
                  known: Partitions) -> bool:
    """Once one term's postings are all read and few, the join is its professionals: the other
    terms' postings of each are rebuilt from their DOC items (one BatchGetItem) instead of
    reading those terms' partitions down to the oldest of them (a rare surname with "engineer"
    would read every engineer). True when the join is complete."""
    if len(readers) < 2 or all(r.done for rs in readers for r in rs):
        return False
    complete = [i for i, rs in enumerate(readers) if all(r.done for r in rs)]
    if not complete or not budget.allows():
        return False
    rarest = min(complete, key=lambda i: len(seen[i]))
    open_keys = [sk for sk in seen[rarest] if served_to is None or sk < served_to]
    if len(open_keys) > CHECK_MAX:
        return False
    owners = {sk: next(iter(seen[rarest][sk].values()))["id"] for sk in open_keys}
    rebuilt = known.postings_of(list(owners.values()), budget)
    for sk, owner in owners.items():
        by_pk = rebuilt[owner]
        if by_pk is None:
            continue  # deleted since: left out, as the description would
        for number, term_readers in enumerate(readers):
            if number == rarest:
                continue
            for r in term_readers:
                posting = by_pk.get(r.pk)
                if posting is not None and r.test(posting) and where.admits_source(
                        posting.get("src")) and where.in_time(sk):
                    by_role = seen[number].setdefault(sk, {})
                    by_role[r.role] = {**by_role.get(r.role, {}), **posting, "sk": sk,
                                       "id": owner}
    return True


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
