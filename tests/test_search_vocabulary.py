"""The typo vocabulary (chalicelib/search/vocabulary.py): its edit distance against the
textbook table of tests/search_oracle.py, and the symmetric deletions that find every word
within a term's reach (contract 8.3: one edit for 4 to 7 letters, two from 8)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.search import vocabulary
from tests import search_oracle as oracle

LETTERS = st.text(alphabet="abcdeé", min_size=0, max_size=10)


@settings(max_examples=500, database=None, deadline=None)
@given(LETTERS, LETTERS, st.integers(0, 3))
def test_distance_is_the_optimal_string_alignment_cut_at_the_limit(a, b, limit):
    assert vocabulary.distance(a, b, limit) == min(oracle.edits(a, b), limit + 1)


@st.composite
def near_pairs(draw):
    """A word of letters and a term a few random edits from it."""
    word = draw(st.text(alphabet="abcdefg", min_size=3, max_size=16))
    term = word
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, max(len(term) - 1, 0)))
        kind = draw(st.sampled_from(["insert", "delete", "substitute", "swap"]))
        letter = draw(st.sampled_from("abcdefg"))
        if kind == "insert":
            term = term[:i] + letter + term[i:]
        elif kind == "delete" and len(term) > 1:
            term = term[:i] + term[i + 1:]
        elif kind == "substitute" and term:
            term = term[:i] + letter + term[i + 1:]
        elif kind == "swap" and i + 1 < len(term):
            term = term[:i] + term[i + 1] + term[i] + term[i + 2:]
    return word, term


@settings(max_examples=3000, database=None, deadline=None)
@given(near_pairs())
def test_deletions_meet_for_every_word_within_reach(pair):
    word, term = pair
    reach = vocabulary.reach(term)
    if not reach or oracle.edits(term, word) > reach:
        return
    met = vocabulary.deletions(term, reach) & vocabulary.deletions(word, vocabulary._depth(word))
    assert met, (word, term)


def test_reach_follows_the_contract():
    assert [vocabulary.reach(t) for t in ("abc", "abcd", "abcdefg", "abcdefgh", "ab3d",
                                          "a" * 42, "a" * 43, "a" * 200)] == [0, 1, 1, 2, 0, 2, 0, 0]
    assert max(len(vocabulary.deletions(w, 2)) for w in ("abcdefghijklmnopqrst", "x" * 40)) <= 29
    assert not vocabulary.is_word("ab") and not vocabulary.is_word("e2e")
    assert vocabulary.is_word("ann") and vocabulary.is_word("σωκρατης")


def test_a_long_term_reads_no_vocabulary(api, monkeypatch):
    """A term past 42 letters can reach no kept word (40 letters at most) and reads none; any
    other reads at most 29 deletions (the first 7 letters') and its own marker (whether it is a
    word: suggestions keep those)."""
    from chalicelib.search import index
    asked: list[int] = []
    monkeypatch.setattr(index, "get_items", lambda keys, attributes=None: asked.append(
        len(keys)) or [])
    assert vocabulary.corrections(["a" * 200, "b" * 43]) == {}
    assert asked == []
    vocabulary.corrections(["abcdefghijklmnopqrstuvwxyz"])
    assert asked == [30]


def test_register_writes_a_word_once_and_corrections_find_it(api):
    from chalicelib import clients
    from chalicelib.settings import get_settings
    assert vocabulary.register({"lovelace", "ada", "x1", "e2e"}) == 2
    assert vocabulary.register({"lovelace", "ada"}) == 0  # known: nothing written
    assert vocabulary.corrections(["lovelaec", "adas", "lovelace", "lov", "ad4m"]) == {
        "lovelaec": ["lovelace"], "adas": ["ada"]}
    table = get_settings().search_table_name
    items = clients.dynamodb().scan(TableName=table)["Items"]
    assert {i["pk"]["S"] for i in items if i["pk"]["S"].startswith("W#")} == {"W#lovelace",
                                                                           "W#ada"}
