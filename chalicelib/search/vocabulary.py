"""The vocabulary of profile and resume words, for typos and suggestions (contract 8.3): which
real words lie within one or two edits of a term.

SymSpell's symmetric deletions: two words within ``d`` edits (insertions, deletions,
substitutions, transpositions of neighbours) share a string made by deleting at most ``d``
letters from each. So each distinct profile word is written once, whoever uses it, under every
string its deletions make (``V#<deletion>`` / ``V``, the words in a string set: ``p`` for profile words,
which typos reach, ``r`` for resume words, which only suggestions use), with a marker
(``W#<word>`` / ``W``, ``k`` the kinds it has) that says it is there; a query term reads the items of its own
deletions in one BatchGetItem and keeps the words truly within reach (``distance``).

Only the first PREFIX letters are deleted (``deletions``), so a word costs at most 29 entries.

Reach: a term of 4 to 7 letters matches words within one edit, of 8 or more within two; so a
word of 6 or more letters (which a term of 8 can reach with two edits) is written with its
deletions of up to two letters, a shorter one with up to one. Only words of letters are kept,
of name, company and title (FIELDS), 3 to 40 letters long, the first PER_PROFESSIONAL of a
professional (a public sign-up cannot make the indexer write thousands of items): typos apply to terms of letters, and
a word with a digit (``person0001``, ``e2e``), an email's or a very long one would cost tens or
hundreds of writes, most of them for one person.
"""
from __future__ import annotations

from typing import Iterable

from chalicelib.search import index

MIN_WORD = 3  # a 4-letter term reaches words of 3 to 5 letters
MAX_WORD = 40  # no name word is longer; a term past MAX_WORD + 2 letters reaches none
PREFIX = 7  # letters whose deletions are kept: 1 + 7 + 21 = 29 entries for a word at most
PER_PROFESSIONAL = 12  # new words one professional can add to the vocabulary at a time
# The fields whose words typos reach: emails and phones are identifiers, typed whole or by
# their start (and a joined email local part, "adalovelace", is new with nearly every person:
# 67 writes each)
FIELDS = ("full_name", "company_name", "job_title")
MIN_TERM = 4
TWO_EDITS_FROM = 8  # terms of this many letters or more reach two edits
MAX_CORRECTIONS = 10  # real words a term expands to, the nearest first


def is_word(word: str) -> bool:
    return MIN_WORD <= len(word) <= MAX_WORD and word.isalpha()


def words_of(profile: dict[str, list[str]]) -> set[str]:
    """The words a professional brings to the vocabulary: those of FIELDS that are words
    (``is_word``), the first PER_PROFESSIONAL of them."""
    found = dict.fromkeys(w for name in FIELDS for w in profile.get(name, ()) if is_word(w))
    return set(list(found)[:PER_PROFESSIONAL])


def reach(term: str) -> int:
    """How many edits a query term may be from the words it matches through a typo (none past
    MAX_WORD + 2 letters: no word it could reach is kept, and a 200-letter term's deletions
    would be 20,000 keys to read)."""
    if not MIN_TERM <= len(term) <= MAX_WORD + 2 or not term.isalpha():
        return 0
    return 2 if len(term) >= TWO_EDITS_FROM else 1


def _depth(word: str) -> int:
    """Deletions written for a word: as many as the farthest term that can reach it uses."""
    return 2 if len(word) >= TWO_EDITS_FROM - 2 else 1


def deletions(word: str, depth: int) -> set[str]:
    """The word's first PREFIX letters and every string made by deleting up to ``depth`` of
    them. Only the start is used (SymSpell's prefix length): a word and a term within ``depth``
    edits still share one (an edit inside the start shifts at most one letter per insertion or
    deletion across its end, which one more deletion on each side absorbs; edits past it leave
    the starts equal), and a word costs at most 29 entries, however long; the candidates are
    then checked on the whole words."""
    word = word[:PREFIX]
    found = {word}
    edge = {word}
    for _ in range(depth):
        edge = {w[:i] + w[i + 1:] for w in edge for i in range(len(w))} - found
        found |= edge
    return found


def distance(a: str, b: str, limit: int) -> int:
    """Edits from ``a`` to ``b`` (optimal string alignment: insertion, deletion, substitution,
    transposition of neighbours), or ``limit + 1`` once it is sure to be more than ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1] \
                    and before is not None:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def _key(deletion: str) -> dict[str, str]:
    return {"pk": f"V#{deletion}", "sk": "V"}


def _marker(word: str) -> tuple[str, str]:
    return f"W#{word}", "W"


PROFILE, RESUME = "p", "r"  # the string sets of a deletion's item: profile words, resume words


def register(words: Iterable[str], kind: str = PROFILE) -> int:
    """Write the words not yet in the vocabulary as words of this kind (profile: typos and
    suggestions; resume: suggestions); returns how many were new. Idempotent: a crash before
    the markers are written only means the words are written again."""
    wanted = {w for w in words if is_word(w)}
    if not wanted:
        return 0
    markers = [dict(zip(("pk", "sk"), _marker(w))) for w in sorted(wanted)]
    kinds = {item["pk"][2:]: item.get("k", set())
             for item in index.get_items(markers, ("pk", "k"))}
    new = {w for w in wanted if kind not in kinds.get(w, ())}
    if not new:
        return 0
    by_deletion: dict[str, set[str]] = {}
    for word in new:
        for deletion in deletions(word, _depth(word)):
            by_deletion.setdefault(deletion, set()).add(word)
    index.parallel(lambda entry: index.add_to_sets(_key(entry[0]), {kind: entry[1]}),
                   sorted(by_deletion.items()))
    index.write_postings({_marker(w): {"k": kinds.get(w, set()) | {kind}} for w in new}, [],
                         parallel_requests=True)
    return len(new)


def known(words: Iterable[str]) -> set[str]:
    """Which of these words are in the vocabulary (of either kind)."""
    markers = [dict(zip(("pk", "sk"), _marker(w))) for w in sorted(set(words)) if is_word(w)]
    return {item["pk"][2:] for item in index.get_items(markers, ("pk",))}


class Near:
    """What the vocabulary holds near some terms: the items of their deletions and whether
    each term is itself a word, read together (``requests`` BatchGetItems, 100 keys each)."""

    def __init__(self, terms: Iterable[str]):
        self.reach = {t: reach(t) for t in terms if reach(t)}
        keys = [_key(d) for d in sorted({d for t, r in self.reach.items()
                                          for d in deletions(t, r)})]
        keys += [dict(zip(("pk", "sk"), _marker(t))) for t in sorted(self.reach) if is_word(t)]
        self.requests = -(-len(keys) // 100)
        items = index.get_items(keys, ("pk", PROFILE, RESUME)) if keys else []
        self.by_deletion = {i["pk"][2:]: i for i in items if i["pk"].startswith("V#")}
        self.words = {i["pk"][2:] for i in items if i["pk"].startswith("W#")}

    def corrections(self, kinds: tuple[str, ...] = (PROFILE,)) -> dict[str, list[str]]:
        """For each term that typos apply to, the words of these kinds within its reach (never
        the term itself, nor a word it starts: those match anyway), nearest first, at most
        MAX_CORRECTIONS."""
        out: dict[str, list[str]] = {}
        for term, limit in self.reach.items():
            near = {w for d in deletions(term, limit)
                    for k in kinds for w in self.by_deletion.get(d, {}).get(k, ())
                    if w != term and not w.startswith(term)}
            ranked = sorted((distance(term, w, limit), w) for w in near)
            found = [w for dist, w in ranked if dist <= limit][:MAX_CORRECTIONS]
            if found:
                out[term] = found
        return out


def corrections(terms: Iterable[str], kinds: tuple[str, ...] = (PROFILE,),
                ) -> dict[str, list[str]]:
    """For each term that typos apply to, the words of these kinds within its reach (``Near``);
    one BatchGetItem (100 keys a request) for all terms."""
    return Near(terms).corrections(kinds)
