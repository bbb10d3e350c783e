"""Search: a page of the professionals that match a query, in order (docs/api.md, Search).

First, a ``q`` that is a whole phone number or email address is looked up through the
professionals' GSIs (``identified``): its holder leads the first page. Then the page is read as
*passes*, one rank after another, each best first:

- the profile tiers (1 name, 2 company and title, 3 email and phone), whole words before starts
  of words within each, newest first (``passes``: the terms' postings joined newest first);
- tier 4, some term only in the resume, whole words first, then by BM25 (``resume_rank``);
- typo matches, by tier (the vocabulary's corrections of the terms, read only once the page
  gets there).

A page costs at most PAGE_BUDGET requests (8.3): it stops at its limit or when the budget is
spent, short then, and its cursor says the pass and the place in it to go on from. Every page
ends the same way: the page's DOC items give the fields, the resume match and the snippet, and
the professionals themselves are read from their table (the index is never the source of
truth: a professional deleted a moment ago is simply left out). A first page that finds nothing
carries a ``suggestion`` (``vocabulary``).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from chalicelib import db, signing
from chalicelib.errors import BadRequest
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.search import analyzer, identifiers, index, passes, resume_rank, vocabulary
from chalicelib.search.layout import TIERS, Filters, idf, unpack
from chalicelib.search.passes import Budget, Hit, Outcome
from chalicelib.settings import get_settings

MAX_READINGS = 4  # look-ups of a phone-like q, at most
SMALL_QUERY = 3  # terms
PAGE_BUDGET = {True: 10, False: 20}  # requests a page: 1 to 3 terms, 4 to 8 (8.3)
DESCRIBE = 2  # requests kept for the page's description: its DOC items and professionals
SNIPPET_CHARS = 200
SNIPPET_LEAD = 60  # characters kept before the matching word
ELLIPSIS = "…"
_PURPOSE = "search-cursor"
_WHITE = re.compile(r"\s+")
PROFILE, RESUME, TYPO = "profile", "resume", "typo"
# (kind, tier, exact): the passes of a page, in rank order
PASSES = ([(PROFILE, t, e) for t in TIERS for e in (True, False)]
          + [(RESUME, analyzer.RESUME_TIER, True), (RESUME, analyzer.RESUME_TIER, False)]
          + [(TYPO, t, False) for t in TIERS])


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
    if len(terms) > analyzer.MAX_TERMS:
        raise BadRequest(f"q has {len(terms)} words to search for; at most {analyzer.MAX_TERMS}.",
                         {"fields": {"q": [f"At most {analyzer.MAX_TERMS} words."]}})
    return terms


def page_budget(terms: list[str]) -> int:
    return PAGE_BUDGET[len(terms) <= SMALL_QUERY]


class _Reads:
    """What one request has read and may read again for free: the profile partitions, the
    resume lists and DOC items, the vocabulary near the terms (read once it is needed)."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.partitions = passes.Partitions()
        self.resumes = resume_rank.Known()
        self.near: dict[tuple[str, ...], vocabulary.Near] = {}

    def vocabulary(self, terms: list[str]) -> vocabulary.Near | None:
        key = tuple(terms)
        if key not in self.near:
            if not self.budget.allows():
                return None
            self.near[key] = vocabulary.Near(terms)
            self.budget.spend(self.near[key].requests)
        return self.near[key]


def search(terms: list[str], *, where: Filters, limit: int, cursor: str | None,
           q: str | None = None) -> dict[str, Any]:
    """A page of the search for ``terms``; ``q`` as typed, when it may be a whole phone number
    or email address: its owner then comes first (on the first page; left out of the others).
    A first page that finds nothing carries ``suggestion``."""
    scope = {"q": terms, "source": where.source, **where.scope()}
    position = signing.open_cursor(cursor, _PURPOSE, scope, list) if cursor else None
    if position is not None and (len(position) != 4 or not 0 <= position[0] < len(PASSES)):
        raise BadRequest("The cursor is not valid for this query.")  # a cursor of an older layout
    reads = _Reads(Budget(page_budget(terms) - DESCRIBE))
    owner = identified(q, where, reads.budget) if q is not None and position is None else None
    owner_id = owner.id if owner else position[3] if position else None
    items_read: dict[str, Any] = {}
    keep = _keeper(where, reads.budget, owner_id, items_read)
    want = limit - (1 if owner else 0)
    start = position[:3] if position else [0, None, 0]
    hits, after = _page(terms, where, reads, start, want, keep)
    if after is not None:
        after = [*after, owner_id]
    items = _describe(([owner] if owner else []) + hits, terms, items_read)
    next_cursor = signing.cursor(scope, after, _PURPOSE) if after else None
    answer: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if not items and position is None:
        reads.budget.spend(-DESCRIBE)  # nothing to describe: its requests go to the suggestion
        answer["suggestion"] = suggestion(terms, where, reads)
    return answer


def _page(terms: list[str], where: Filters, reads: _Reads, start: list, want: int,
          keep: Callable[[list[Hit]], list[Hit]]) -> tuple[list[Hit], list | None]:
    """Up to ``want`` hits from ``start`` (pass, list key, score) on, and the position after
    them when more may follow."""
    budget = reads.budget
    need = want + 1  # one more tells whether another page follows
    hits: list[tuple[int, Hit]] = []
    stopped: list | None = None
    corrections: dict[str, list[str]] | None = None
    for number in range(start[0], len(PASSES)):
        kind, tier, exact = PASSES[number]
        first = number == start[0]
        below_key = start[1] if first else None
        wanted = need - len(hits)
        if kind == PROFILE:
            outcome = passes.run(passes.profile_readers(terms, tier, exact),
                                 passes.profile_judge(terms, tier, exact), where=where,
                                 budget=budget, need=wanted, below=below_key, keep=keep,
                                 known=reads.partitions)
        elif kind == RESUME:
            if not exact and len(terms) == 1:
                continue  # one term found only in a resume is always a whole word there
            if where.has_resume is False:
                continue  # only a ready resume has resume words: its lists would all be kept out
            below = (start[2], start[1]) if first and start[1] is not None else None
            outcome = resume_rank.run(terms, exact, lambda: _rarities(terms, budget),
                                      where=where, budget=budget, need=wanted, below=below,
                                      keep=keep, known=reads.resumes)
        else:
            if corrections is None:
                near = reads.vocabulary(terms)
                corrections = near.corrections() if near else {}
            if not corrections:
                break
            outcome = passes.run(passes.typo_readers(terms, tier, corrections),
                                 passes.typo_judge(terms, tier), where=where, budget=budget,
                                 need=wanted, below=below_key, keep=keep,
                                 known=reads.partitions)
        hits += [(number, h) for h in outcome.hits]
        if len(hits) >= need:
            break
        if not outcome.done:
            stopped = _position(number, outcome)
            break
    page = hits[:want]
    if len(hits) > want:
        after = _after(*page[-1]) if page else list(start)
    else:
        after = stopped
    return [h for _, h in page], after


def _position(number: int, outcome: Outcome) -> list:
    if outcome.position is not None:
        return [number, outcome.position[1], outcome.position[0]]
    return [number, outcome.boundary, 0]


def _after(number: int, hit: Hit) -> list:
    return [number, hit.list_key, hit.points]


def _rarities(terms: list[str], budget: Budget) -> dict[str, float]:
    """Each term's stem's idf (one BatchGetItem)."""
    stems = sorted(set(resume_rank.stems_of(terms).values()))
    if len(stems) < 2:
        return dict.fromkeys(stems, 1.0)  # one stem: its rarity changes no order
    counts, resumes = index.document_frequencies(stems)
    budget.spend()
    return {s: idf(counts.get(s, 0), resumes) for s in stems}


def _keeper(where: Filters, budget: Budget, owner_id: str | None,
            items_read: dict[str, Any]) -> Callable[[list[Hit]], list[Hit]]:
    """What a pass keeps of its hits: not the identified owner (served first), and, when the
    search is narrowed by a resume or a verified email, those whose professional's item says
    so (read from the table: it changes without the postings changing)."""
    def keep(hits: list[Hit]) -> list[Hit]:
        hits = [h for h in hits if h.id != owner_id]
        if not where.checks_items() or not hits:
            return hits
        unread = [h.id for h in hits if h.id not in items_read]
        if unread:
            found = db.batch_get(professional_pk(i) for i in unread)
            budget.spend(-(-len(unread) // db.BATCH_GET_MAX))
            for i in unread:
                items_read[i] = found.get(professional_pk(i))
        return [h for h in hits if _admitted(where, items_read.get(h.id))]
    return keep


def _admitted(where: Filters, item: Any) -> bool:
    return isinstance(item, ProfessionalItem) and where.admits(
        source=item.source, has_resume=bool(item.resume_ready),
        email_verified=bool(item.email_verified), list_key=item.list_key)


def suggestion(terms: list[str], where: Filters, reads: _Reads) -> str | None:
    """``q`` with each term that is no word of the vocabulary replaced by its nearest profile or
    resume word (the typos' distances), when that finds something (8.3), within what is left
    of the page's budget; else None."""
    near = reads.vocabulary(terms)
    if near is None:
        return None
    corrected = near.corrections((vocabulary.PROFILE, vocabulary.RESUME))
    fixed = [corrected[t][0] if t in corrected and t not in near.words else t for t in terms]
    if fixed == terms:
        return None
    unique = list(dict.fromkeys(fixed))
    reads.resumes = resume_rank.Known()  # ranked for other terms: only the reads are shared
    # whether it finds anyone, not in which order: no rarities to read
    reads.resumes.idfs = dict.fromkeys(resume_rank.stems_of(unique).values(), 1.0)
    hits, _ = _page(unique, where, reads, [0, None, 0], 1, lambda hits: hits)
    return " ".join(fixed) if hits else None


def identified(q: str, where: Filters, budget: Budget) -> Hit | None:
    """The professional whose whole phone number or email address ``q`` is (8.3, identifiers as
    typed): the email's owner, or the holder of the first reading of the phone that someone
    holds (the default region's readings first; the regions the index holds only if none)."""
    from chalicelib.professionals import find_by
    email = identifiers.email_reading(q)
    if email:
        holder = find_by("email", email)
        budget.spend()
    elif identifiers.reads_as_phone(q):
        region = get_settings().default_phone_region
        tried = identifiers.phone_readings(q, region, ())
        holder = _first_held(find_by, tried[:MAX_READINGS], budget)
        if holder is None and len(tried) < MAX_READINGS:
            more = [n for n in identifiers.phone_readings(q, region, index.held_regions())
                    if n not in tried]
            budget.spend()
            holder = _first_held(find_by, more[:MAX_READINGS - len(tried)], budget)
    else:
        return None
    if holder is None or not _admitted(where, holder):
        return None
    return Hit(id=holder.id, list_key=holder.list_key, identifier="email" if email else "phone")


def _first_held(find_by: Any, numbers: list[str], budget: Budget) -> Any:
    for number in numbers:
        holder = find_by("phone", number)
        budget.spend()
        if holder is not None:
            return holder
    return None


# -- description ---------------------------------------------------------------------------------

def _describe(hits: list[Hit], terms: list[str], items_read: dict[str, Any],
              ) -> list[dict[str, Any]]:
    """The page as list resources with ``match``: current records only, in rank order."""
    from chalicelib.professionals import to_resource
    documents = index.read_documents([h.id for h in hits], ("pf", "rw", "rt"))
    unread = [h.id for h in hits if h.id not in items_read]
    stored = db.batch_get(professional_pk(i) for i in unread) if unread else {}
    items = []
    for hit in hits:
        item = items_read.get(hit.id) or stored.get(professional_pk(hit.id))
        if not isinstance(item, ProfessionalItem):
            continue  # deleted since it was indexed
        doc = documents.get(hit.id, {})
        items.append({**to_resource(item), "match": _match(hit, terms, doc)})
    return items


def _match(hit: Hit, terms: list[str], doc: dict[str, Any]) -> dict[str, Any]:
    if hit.identifier:
        return {"fields": [hit.identifier], "snippet": None}
    profile = unpack(doc["pf"]) if "pf" in doc else {}
    counts = unpack(doc["rw"]) if "rw" in doc else {}
    fields: set[str] = set()
    for term in terms:
        fields.update(analyzer.term_fields(term, profile))
    for words in hit.corrections.values():
        fields.update(name for name in vocabulary.FIELDS
                      if set(words).intersection(profile.get(name, ())))
    in_resume = [t for t in terms if analyzer.stem(t) in counts]
    ordered = [f for f in analyzer.PROFILE_FIELDS if f in fields]
    if in_resume:
        ordered.append("resume")
    snippet = None
    if in_resume and "rt" in doc:
        snippet = make_snippet(unpack(doc["rt"]), {analyzer.stem(t) for t in in_resume})
    return {"fields": ordered, "snippet": snippet, **({"typo": True} if hit.typo else {})}


def make_snippet(text: str, wanted: set[str]) -> str | None:
    """Up to SNIPPET_CHARS of ``text`` around its first word whose stem is in ``wanted`` (that
    word included), runs of white space collapsed to one space, starting and ending at word
    boundaries, with "…" where the text is cut (counted in the SNIPPET_CHARS)."""
    for start, end, found in analyzer.spans(text):
        if wanted.intersection(analyzer.stem(w) for w in found):
            return _around(text, start, end)
    return None


def _around(text: str, start: int, end: int) -> str:
    word = text[start:end]
    if len(word) >= SNIPPET_CHARS:
        return word[:SNIPPET_CHARS - 1] + ELLIPSIS
    lead_start = max(0, start - SNIPPET_LEAD)
    if lead_start > 0 and not text[lead_start - 1].isspace():
        gap = _WHITE.search(text, lead_start, start)  # the first word is cut: it goes
        lead_start = gap.end() if gap else start
    lead = _WHITE.sub(" ", text[lead_start:start]).lstrip()
    head = ELLIPSIS if text[:lead_start].strip() else ""
    room = SNIPPET_CHARS - len(head) - len(lead) - len(word)
    window = end + 4 * SNIPPET_CHARS
    tail = _WHITE.sub(" ", text[end:window]).rstrip()
    if len(tail) <= room and not text[window:].strip():
        return head + lead + word + tail
    tail = tail[:room]  # room for the ellipsis, and a cut word goes
    tail = tail[:tail.rfind(" ")] if " " in tail else ""
    return head + lead + word + tail.rstrip() + ELLIPSIS
