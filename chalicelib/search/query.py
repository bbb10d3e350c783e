"""Search: read the postings of a query's terms, match, rank, page (docs/api.md, Search).

First, a ``q`` that is a whole phone number or email address is looked up through the
professionals' GSIs (``identified``): its holder leads the first page. Then two plans, one order
(typo matches last, then tier, whole words before starts of words, resume weight, newest):

- **One term of a partition's length** (the as-you-type case, and the common words): the
  postings are stored in result order, so a page is read off the front of the term's profile
  partition (best tier, exact, newest first), then of its resume stem's partition (most used
  for its length first), skipping resume postings whose profile already matched. A page costs
  one or two Queries whatever the term's frequency or the table's size; typo matches (the
  vocabulary's corrections) follow once the term's own are all read.
- **Any other query** (several terms, or one of another length): every term's partitions, and
  its corrections', are read side by side, page by page, until one term's are complete: that
  rarest term's professionals are the candidates. Each posting carries the professional's
  profile words, so the other terms are checked in memory; only candidates that need a term
  checked against their resume words cost a batched read (100 a request). Candidates are then
  ranked and the page cut from that order. The plan follows from ``q`` alone, so pages agree.

Both end the same way: the page's DOC items give the resume match and snippet, and the
professionals themselves are read from their table (the index is never the source of truth: a
professional deleted a moment ago is simply left out). A first page that finds nothing carries
a ``suggestion`` (``vocabulary``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib import db, signing
from chalicelib.errors import BadRequest
from chalicelib.models import ProfessionalItem, professional_pk
from chalicelib.search import analyzer, identifiers, index, vocabulary
from chalicelib.settings import get_settings

MAX_READINGS = 4  # look-ups of a phone-like q, at most
FIRST_PAGE = 1001  # postings a first read takes: a term of up to 1,000 matches completes in one
NEXT_PAGE = 5000
FILTERED_PAGE = 250  # postings a filtered Query reads at least (it may keep few of them)
SNIPPET_CHARS = 200
SNIPPET_LEAD = 60  # characters kept before the matching word
ELLIPSIS = "…"
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
    if len(terms) > analyzer.MAX_TERMS:
        raise BadRequest(f"q has {len(terms)} words to search for; at most {analyzer.MAX_TERMS}.",
                         {"fields": {"q": [f"At most {analyzer.MAX_TERMS} words."]}})
    return terms


@dataclass
class Hit:
    """A professional that matches, with what it takes to rank and describe it."""

    id: str
    list_key: str
    profile: dict[str, list[str]]
    resume_words: int
    tier: int = 0
    exact: bool = False
    points: int = 0
    fields: list[str] = field(default_factory=list)
    typo: bool = False  # some term matched only through a typo

    def order(self) -> tuple[int, int, int, int]:
        return int(self.typo), self.tier, -int(self.exact), -self.points

    @classmethod
    def of(cls, posting: dict[str, Any]) -> Hit:
        return cls(id=posting["id"], list_key=posting["lk"], profile=json.loads(posting["pf"]),
                   resume_words=int(posting.get("rn", 0)))


def search(terms: list[str], *, where: index.Filters, limit: int, cursor: str | None,
           q: str | None = None, suggest: bool = True) -> dict[str, Any]:
    """A page of the search for ``terms``; ``q`` as typed, when it may be a whole phone number
    or email address: its owner then comes first (on the first page; left out of the others).
    A first page that finds nothing carries ``suggestion``."""
    scope = {"q": terms, "source": where.source, **where.scope()}
    position = signing.open_cursor(cursor, _PURPOSE, scope, list) if cursor else None
    if position is not None and len(position) != 6:
        raise BadRequest("The cursor is not valid for this query.")  # a cursor of an older layout
    owner = identified(q, where) if q is not None and position is None else None
    owner_id = owner.id if owner else position[5] if position else None
    want = limit + (1 if owner_id else 0)  # the owner may be among the hits: one more
    if len(terms) == 1 and in_stored_order(terms[0]):
        in_typos = bool(position and position[0])
        hits = [] if in_typos else _one_term(terms[0], where, want, position)
        # the vocabulary is read only once the term's own matches are all read: typos next
        corrections = vocabulary.corrections(terms) if len(hits) <= want else {}
        if corrections:
            hits += [h for h in _several_terms(terms, where, want, position if in_typos
                                               else None, corrections) if h.typo]
    else:
        hits = _several_terms(terms, where, want, position, vocabulary.corrections(terms))
    hits = [h for h in hits if h.id != owner_id]
    page, after = _cut(hits, limit - 1 if owner else limit, owner_id)
    if owner and after is None and len(hits) >= limit:
        after = [0, 0, 0, 0, "", owner_id]  # a page of the owner alone: the hits start next
    items = _describe(([owner] if owner else []) + page, terms)
    next_cursor = signing.cursor(scope, after, _PURPOSE) if after else None
    answer: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if not items and position is None and suggest:
        answer["suggestion"] = suggestion(terms, where)
    return answer


def suggestion(terms: list[str], where: index.Filters) -> str | None:
    """``q`` with each term that is no word of the vocabulary replaced by its nearest profile or
    resume word (the typos' distances), when that finds something (8.3); else None."""
    near = vocabulary.corrections(terms, (vocabulary.PROFILE, vocabulary.RESUME))
    if not near:
        return None
    real = vocabulary.known(near)
    fixed = [near[t][0] if t in near and t not in real else t for t in terms]
    if fixed == terms:
        return None
    found = search(list(dict.fromkeys(fixed)), where=where, limit=1, cursor=None, suggest=False)
    return " ".join(fixed) if found["items"] else None


def identified(q: str, where: index.Filters) -> Hit | None:
    """The professional whose whole phone number or email address ``q`` is (8.3, identifiers as
    typed): the email's owner, or the holder of the first reading of the phone that someone
    holds (the default region's readings first; the regions the index holds only if none)."""
    from chalicelib.professionals import find_by
    email = identifiers.email_reading(q)
    if email:
        holder = find_by("email", email)
    elif identifiers.reads_as_phone(q):
        region = get_settings().default_phone_region
        tried = identifiers.phone_readings(q, region, ())
        holder = _first_held(find_by, tried[:MAX_READINGS])
        if holder is None and len(tried) < MAX_READINGS:
            more = [n for n in identifiers.phone_readings(q, region, index.held_regions())
                    if n not in tried]
            holder = _first_held(find_by, more[:MAX_READINGS - len(tried)])
    else:
        return None
    if holder is None or not where.admits(
            source=holder.source, has_resume=bool(holder.resume_ready),
            email_verified=bool(holder.email_verified), list_key=holder.list_key):
        return None
    return Hit(id=holder.id, list_key=holder.list_key, profile={}, resume_words=0,
               fields=["email" if email else "phone"])


def _first_held(find_by: Any, numbers: list[str]) -> Any:
    for number in numbers:
        holder = find_by("phone", number)
        if holder is not None:
            return holder
    return None


def in_stored_order(term: str) -> bool:
    """A one-term query is read in stored order when the term is a partition's whole prefix:
    the postings' tier and exactness are then the term's own. A longer term's partition is
    ordered for its prefix (a professional's best word for "engine" need not start with
    "enginee"), so such a query is ranked, on every page alike: the plan follows from ``q``
    alone, and its pages put together are its whole order."""
    return len(term) in analyzer.PREFIX_LENGTHS


# -- one term: read in stored order ----------------------------------------------------------------

def _one_term(term: str, where: index.Filters, limit: int, position: list | None,
              ) -> list[Hit]:
    """A position is the last hit served (tier, exact, points, list key); here it becomes the
    partition and sort key to go on from."""
    phases = [("p", index.profile_pk(term)), ("r", index.resume_pk(analyzer.stem(term)))]
    start_sk = None
    if position and position[1]:  # tier 0: from the start (after a page of the owner alone)
        _, tier, exact, points, list_key, _ = position
        if tier == analyzer.RESUME_TIER:
            phases = phases[1:]
            start_sk = index.resume_sk(points, list_key)
        else:
            start_sk = index.profile_sk(tier, exact, list_key)
    hits: list[Hit] = []
    for phase, pk in phases:
        start = {"pk": {"S": pk}, "sk": {"S": start_sk}} if start_sk else None
        start_sk = None
        while len(hits) <= limit:
            # a filter (or, for resume postings, the profile check below) may drop most of
            # what a Query reads: read more at a time then
            wanted = limit + 1 - len(hits)
            page, start = index.query_page(
                pk, start=start, where=where,
                limit=max(wanted, FILTERED_PAGE) if where or phase == "r" else wanted)
            for posting in page:
                hit = Hit.of(posting)
                _match_profile(hit, [term])
                if phase == "p" and not hit.tier:
                    continue  # a phone's trailing run that only starts with the term
                if phase == "r":
                    if hit.tier:
                        continue  # served from its profile partition
                    hit.tier, hit.exact = analyzer.RESUME_TIER, True
                    hit.points = int(posting["sk"].split("#", 1)[0])
                hits.append(hit)
            if not start:
                break
        if len(hits) > limit:
            break
    return hits


def _cut(hits: list[Hit], limit: int, owner_id: str | None) -> tuple[list[Hit], Any]:
    """The page, and the position after it when more follow (the identified owner's id kept,
    so that later pages leave them out)."""
    after = None
    if len(hits) > limit > 0:
        last = hits[limit - 1]
        after = [int(last.typo), last.tier, int(last.exact), last.points, last.list_key,
                 owner_id]
    return hits[:limit], after


# -- several terms: candidates of the rarest term -------------------------------------------------

@dataclass
class _Partition:
    pk: str
    postings: list[dict[str, Any]] = field(default_factory=list)
    start: dict[str, Any] | None = None
    done: bool = False


def _several_terms(terms: list[str], where: index.Filters, limit: int, position: Any,
                   corrections: dict[str, list[str]]) -> list[Hit]:
    """Every match of the candidates of the rarest term (its typo corrections' postings
    included), ranked, after ``position``. A term matches through a typo only where it matches
    nothing else (a start of a profile word, a resume word): any such match ranks first."""
    candidates = _rarest_term_postings(terms, where, corrections)
    hits = []
    unchecked: list[tuple[Hit, list[str]]] = []
    for posting in candidates.values():
        hit = Hit.of(posting)
        missing = _match_profile(hit, terms)
        if not missing:
            hits.append(hit)
        elif hit.resume_words:
            unchecked.append((hit, missing))
        elif _match_typos(hit, missing, corrections):
            hits.append(hit)
    documents = index.read_documents([h.id for h, _ in unchecked], ("rw",))
    stems = {t: analyzer.stem(t) for t in terms}
    for hit, missing in unchecked:
        counts = index.unpack(documents[hit.id]["rw"]) if "rw" in documents.get(hit.id, {}) else {}
        in_resume = [t for t in missing if stems[t] in counts]
        if len(in_resume) < len(missing) and not _match_typos(
                hit, [t for t in missing if t not in in_resume], corrections):
            continue
        if in_resume:
            hit.tier = analyzer.RESUME_TIER
            hit.exact = not hit.typo and all(
                _equals_profile_word(hit, t, hit.tier) or stems[t] in counts for t in terms)
            hit.points = sum(index.score(counts.get(stems[t], 0), hit.resume_words)
                             for t in terms)
        hits.append(hit)
    hits.sort(key=lambda h: h.list_key, reverse=True)  # newest first within equal rank
    hits.sort(key=Hit.order)
    if position and position[1]:
        typo, tier, exact, points, key, _ = position
        rank = (typo, tier, -exact, -points)
        hits = [h for h in hits if h.order() > rank or (h.order() == rank and h.list_key < key)]
    return hits


def _rarest_term_postings(terms: list[str], where: index.Filters,
                          corrections: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """The postings (by professional) of the term with the fewest, reading all terms' partitions
    (and their corrections') side by side, a page at a time, until one term's are complete."""
    parts = {t: [_Partition(pk) for pk in dict.fromkeys(
        [index.profile_pk(analyzer.partition_prefix(t)), index.resume_pk(analyzer.stem(t))]
        + [index.profile_pk(analyzer.partition_prefix(c)) for c in corrections.get(t, ())])]
        for t in terms}
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
                                               where=where)
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
    """Set the hit's profile fields, tier and exactness; returns the terms no profile field
    matched."""
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
    hit.exact = not missing and all(_equals_profile_word(hit, t, tier) for t in terms)
    return missing


def _equals_profile_word(hit: Hit, term: str, tier: int) -> bool:
    """Whether ``term`` is a whole word of a profile field within ``tier`` (exact words rank
    above prefixes within a tier)."""
    return any(term in hit.profile.get(name, ()) for name in analyzer.PROFILE_FIELDS
               if analyzer.FIELD_TIER[name] <= tier)


def _match_typos(hit: Hit, missing: list[str], corrections: dict[str, list[str]]) -> bool:
    """Whether every term in ``missing`` equals a correction of it among the hit's name,
    company or title words; if so the hit is a typo match, with those fields and their tier."""
    found: list[list[str]] = []
    for term in missing:
        near = set(corrections.get(term, ()))
        fields = [name for name in vocabulary.FIELDS
                  if near.intersection(hit.profile.get(name, ()))]
        if not fields:
            return False
        found.append(fields)
    for fields in found:
        hit.tier = max(hit.tier, min(analyzer.FIELD_TIER[f] for f in fields))
    matched = set(hit.fields).union(*found)
    hit.fields = [f for f in analyzer.PROFILE_FIELDS if f in matched]
    hit.typo, hit.exact = True, False
    return True


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
        in_resume = [t for t in terms if analyzer.stem(t) in counts]
        fields = list(hit.fields) + (["resume"] if in_resume else [])
        snippet = None
        if in_resume and "rt" in doc:
            snippet = make_snippet(index.unpack(doc["rt"]), {analyzer.stem(t) for t in in_resume})
        match = {"fields": fields, "snippet": snippet, **({"typo": True} if hit.typo else {})}
        items.append({**to_resource(item), "match": match})
    return items


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
