"""What the search index's items are (keys and attributes); ``index.py`` reads and writes them.

Keys (``pk``, ``sk``; no secondary index):

- ``P2#<prefix>`` / ``<9 - group>#<list key>``: a profile posting, one per professional and
  prefix (analyzer.PREFIX_LENGTHS: 2..6, then 8, 10, .. 20 characters) of a word of their
  name, company, title, email or phone. ``group`` (``tier_group``) is 1 when the prefix starts
  one of their names' words, else 2, so a partition is read in two parts, each newest first
  when queried descending: the names' part is small for a word of job titles (nobody is named
  "Engineer"), and proving that tier 1 holds nobody costs one small Query, not a read of the
  whole partition. A word of 7, 9, .. 19 letters also has a posting under itself
  (analyzer.whole_word_partition): whole-word passes of such a term read only those who have
  it. A posting carries the words
  that start with its prefix by tier, each list cumulative (``a1`` the name's, ``a2`` those and
  the company's and title's, ``a3`` all of them; " w1 w2 ", a space before and after every
  word): so ``contains(aT, " t")`` says that a term has a word that starts with it within tier
  T, and ``contains(aT, " t ")`` that it is one of those words, in a Query's FilterExpression
  and in memory alike (digits have no 5-character partition: analyzer.DIGIT_PREFIX_LENGTHS). A
  posting changes only when those words change: a job title edit rewrites the postings of the
  old and the new title's prefixes, nothing else.
- ``E2#<last 4 digits>`` / ``7#<list key>`` (part 2): a phone's trailing runs of 4 or more digits of its
  national number (``e3``, " 0958 60958 ... "), matched whole only: one posting a phone.
- ``R2#<stem>`` / ``<weight>#<list key>``: a resume posting, one per professional and distinct
  English stem of their resume words (analyzer.stem). ``weight`` is BM25's term-frequency part
  (``tf_weight``: k1 = 1.2, b = 0.75, the average resume length fixed at AVERAGE_WORDS), so a
  stem's postings are read best first; a search multiplies it by the stem's rarity (``idf``).
- ``F#<bucket>`` / ``F``: how many resumes hold each stem (document frequencies, for idf): one
  number attribute a stem (``~<stem>``) in one of DF_BUCKETS items by a hash of the stem, so
  that a resume adds to at most DF_BUCKETS items whatever its length; ``META`` / ``DF`` counts
  the resumes (``n``). Added to by the indexer per batch; approximate (a retried batch may
  count twice), as idf only needs the order of magnitude.
- ``DOC#<id>`` / ``DOC``: what is indexed for one professional: the stream version it
  reflects, a digest of the indexed content, the keys of its postings (so stale ones can be
  removed), the profile words (``pf``, for ``match.fields``), and the resume's word counts and
  text (compressed) for ranking checks and snippets.
- ``META`` / ``REGIONS``: the regions of the phones indexed (``r``, a string set, only ever
  added to), so that a national number typed with its trunk ``0`` is read in each of them.
- ``V#<deletion>`` / ``V`` and ``W#<word>`` / ``W``: the vocabulary of profile words, for typos
  (``vocabulary.py``). These, ``F#`` and ``META`` items belong to no professional
  (``is_shared``).

Whether a professional has a ready resume or a verified email is not in the postings (it
changes without any word changing): searches check it on the professionals' own items, which
they read anyway.
"""
from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

from chalicelib.search import analyzer

DOC_SK = "DOC"
PROFILE_PREFIX = "P2#"
RESUME_PREFIX = "R2#"
PHONE_END_PREFIX = "E2#"
TIERS = (1, 2, 3)  # the profile tiers (analyzer.FIELD_TIER); the resume is RESUME_TIER
PHONE_ENDS_LIST = "e3"
# BM25 (Robertson and Zaragoza's defaults); the average length is fixed rather than counted, so
# that a resume's weights never change when others come and go
K1, B = 1.2, 0.75
AVERAGE_WORDS = 500
WEIGHT_SCALE = 10 ** 6
WHOLE_WORD_LENGTHS = (7, 19)  # the lengths analyzer.whole_word_partition may give a posting
DF_BUCKETS = 16
DF_KEY = {"pk": "META", "sk": "DF"}
SHARED_PREFIXES = ("META", "V#", "W#", "F#")


def doc_pk(professional_id: str) -> str:
    return f"DOC#{professional_id}"


def doc_key(professional_id: str) -> tuple[str, str]:
    return doc_pk(professional_id), DOC_SK


def profile_pk(prefix: str) -> str:
    return f"{PROFILE_PREFIX}{prefix}"


def phone_end_pk(last_digits: str) -> str:
    return f"{PHONE_END_PREFIX}{last_digits}"


def tier_group(tier: int) -> int:
    """The part of a partition a posting of this best tier is kept in: names (1) or the rest
    (2). Two parts, not three: a multi-term pass reads every part up to its tier for each term,
    and 8 terms x 2 parts fit a page's budget where 8 x 3 would not."""
    return 1 if tier == TIERS[0] else 2


def tier_groups(tiers: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted({tier_group(t) for t in tiers}))


def profile_sk(tier: int, list_key: str) -> str:
    return f"{9 - tier_group(tier)}#{list_key}"


def group_range(group: int) -> tuple[str, str]:
    """The sort keys of a partition's part ``group`` (list keys are ASCII: "~" is above them
    all)."""
    return f"{9 - group}#", f"{9 - group}#~"


def list_key_of(profile_sk_: str) -> str:
    return profile_sk_.split("#", 1)[1]


def resume_pk(stem: str) -> str:
    return f"{RESUME_PREFIX}{stem}"


def resume_sk(weight: int, list_key: str) -> str:
    return f"{weight:09d}#{list_key}"


def is_shared(item: dict[str, Any]) -> bool:
    return str(item.get("pk", "")).startswith(SHARED_PREFIXES)


def tf_weight(tf: int, words: int) -> int:
    """BM25's term-frequency part for a stem used ``tf`` times in a resume of ``words`` words,
    as a whole number (0 .. (K1 + 1) * WEIGHT_SCALE)."""
    if tf <= 0 or words <= 0:
        return 0
    norm = K1 * (1 - B + B * words / AVERAGE_WORDS)
    return int(tf * (K1 + 1) / (tf + norm) * WEIGHT_SCALE)


def idf(df: int, resumes: int) -> float:
    """BM25's rarity of a stem held by ``df`` of ``resumes`` resumes (Lucene's form: never
    negative)."""
    df = max(0, min(df, resumes))
    return math.log(1 + (resumes - df + 0.5) / (df + 0.5))


def df_bucket(stem: str) -> dict[str, str]:
    digest = hashlib.blake2s(stem.encode("utf-8"), digest_size=2).digest()
    return {"pk": f"F#{int.from_bytes(digest, 'big') % DF_BUCKETS:02d}", "sk": "F"}


def df_attribute(stem: str) -> str:
    return f"~{stem}"


def pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":"),
                                    ensure_ascii=False).encode("utf-8"), 6)


def unpack(value: bytes) -> Any:
    return json.loads(zlib.decompress(value).decode("utf-8"))


def word_list(words: set[str] | list[str]) -> str:
    return "".join(f" {w}" for w in sorted(words)) + " "


def term_tier(posting: dict[str, Any], term: str) -> tuple[int, bool] | None:
    """The best tier at which ``term`` starts a word of this posting, and whether it is a whole
    word within that tier; None when it starts none."""
    start, whole = f" {term}", f" {term} "
    for tier in TIERS:
        words = posting.get(f"a{tier}", "")
        if start in words:
            return tier, whole in words
    if whole in posting.get(PHONE_ENDS_LIST, ""):
        return TIERS[-1], False  # a trailing run matches as a prefix does: never exact
    return None


def whole_within(posting: dict[str, Any], term: str, tier: int) -> bool:
    return f" {term} " in posting.get(f"a{min(tier, TIERS[-1])}", "")


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to besides its terms (8.3). ``source`` and the creation times
    are checked in the Queries (a FilterExpression, the sort key's range); the resume and the
    email's verification on the professionals' items."""

    source: str | None = None
    has_resume: bool | None = None
    email_verified: bool | None = None
    created_from: str | None = None  # clock.iso() form: list keys compare with it as text
    created_to: str | None = None

    def scope(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __bool__(self) -> bool:
        return bool(self.scope())

    def checks_items(self) -> bool:
        return self.has_resume is not None or self.email_verified is not None

    def admits(self, *, source: str, has_resume: bool, email_verified: bool,
               list_key: str) -> bool:
        return ((self.source is None or source == self.source)
                and (self.has_resume is None or has_resume == self.has_resume)
                and (self.email_verified is None or email_verified == self.email_verified)
                and self.in_time(list_key))

    def admits_source(self, source: str | None) -> bool:
        return self.source is None or source == self.source

    def in_time(self, list_key: str) -> bool:
        return ((self.created_from is None or list_key >= self.created_from)
                and (self.created_to is None or list_key < self.created_to))


@dataclass
class Document:
    """What the index holds for one professional at one version."""

    id: str
    version: int
    list_key: str
    source: str
    profile: dict[str, list[str]]
    email_verified: bool = False
    text_key: str | None = None
    resume_text: str | None = None  # capped, as indexed
    counts: dict[str, int] = field(default_factory=dict)
    total_words: int = 0

    def digest(self) -> str:
        content = [2, self.list_key, self.source, self.profile, self.text_key]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]

    def postings(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every posting of this document, by (pk, sk)."""
        shared = {"id": self.id, "src": self.source}
        starting: dict[str, dict[int, set[str]]] = {}
        unlisted: dict[str, dict[int, set[str]]] = {}  # words' starts of 7, 9, .. letters
        for name in analyzer.PROFILE_FIELDS:
            tier = analyzer.FIELD_TIER[name]
            for word in self.profile.get(name, ()):
                for prefix in analyzer.prefixes(word):
                    starting.setdefault(prefix, {}).setdefault(tier, set()).add(word)
                for length in range(WHOLE_WORD_LENGTHS[0], min(len(word), WHOLE_WORD_LENGTHS[1]) + 1):
                    if analyzer.whole_word_partition(word[:length]):  # if anyone has it
                        unlisted.setdefault(word[:length], {}).setdefault(tier, set()).add(word)
        # a whole word's own posting, with every word that starts with it (as any posting)
        wholes = {w for name in analyzer.PROFILE_FIELDS for w in self.profile.get(name, ())}
        starting.update({w: by_tier for w, by_tier in unlisted.items() if w in wholes})
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for prefix, by_tier in starting.items():
            posting = dict(shared)
            so_far: set[str] = set()
            for tier in TIERS:
                so_far |= by_tier.get(tier, set())
                if so_far:
                    posting[f"a{tier}"] = word_list(so_far)
            out[(profile_pk(prefix), profile_sk(min(by_tier), self.list_key))] = posting
        ends = self.profile.get(analyzer.PHONE_ENDS, ())
        if ends:
            # every trailing run in one posting, under the phone's last 4 digits
            out[(phone_end_pk(analyzer.phone_end_key(ends[-1])),
                 profile_sk(TIERS[-1], self.list_key))] = {
                **shared, PHONE_ENDS_LIST: word_list(ends)}
        for stem, tf in self.counts.items():
            if len(stem) < analyzer.MIN_TERM:
                continue
            weight = tf_weight(tf, self.total_words)
            out[(resume_pk(stem), resume_sk(weight, self.list_key))] = {
                **shared, "lk": self.list_key}
        return out
