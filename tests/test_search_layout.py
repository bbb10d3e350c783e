"""What a change costs the index (8.3: a change of profile fields writes at most 30 index items,
whatever the resume; a resume of N distinct words at most N + 50), counted on the indexer's
plans, and what the postings say about a term."""
from __future__ import annotations

import random

import pytest

from chalicelib.search import analyzer, index, indexer, layout

ADA = dict(id="p1", version=1, list_key="2026-01-01T00:00:00.000Z#p1", full_name="Ada Lovelace",
           company_name="Analytical Engines Ltd", job_title="Senior Engineer",
           email="countess.ada@byron.example.org", phone="+442079460958", source="direct")


def image(**changes):
    return {**ADA, **changes}


def state_after(plan: indexer.Plan, version: int) -> index.IndexedState:
    keys = [tuple(k.split("\t", 1)) for k in layout.unpack(plan.final["ks"])]
    return index.IndexedState(version=version, digest=plan.final["dg"], keys=keys,
                              text_key=plan.final.get("rk"), gone=False, raw=plan.final)


def writes(plan: indexer.Plan) -> int:
    """Index items the plan writes: postings put and deleted, the DOC item (pending and final);
    the shared vocabulary and document frequencies apart (counted on their own below)."""
    return len(plan.puts) + len(plan.deletes) + (1 if plan.pending else 0) + 1


def indexed(text: str | None = None, **changes) -> tuple[indexer.Plan, index.IndexedState]:
    doc_image = image(**changes)
    if text is not None:
        doc_image["resume_ready"] = {"text_key": "text/p1/cv.txt"}
    plan = indexer.plan(indexer.Change("p1", doc_image["version"], doc_image), None,
                        ) if text is None else _with_text(doc_image, None, text)
    return plan, state_after(plan, doc_image["version"])


def _with_text(doc_image: dict, state, text: str) -> indexer.Plan:
    original = indexer.read_text
    indexer.read_text = lambda key: text
    try:
        return indexer.plan(indexer.Change("p1", doc_image["version"], doc_image), state)
    finally:
        indexer.read_text = original


@pytest.mark.parametrize("field, value", [
    ("job_title", "Staff Engineer"), ("company_name", "Difference Engines"),
    ("email", "ada@lovelace.example.com"), ("phone", "+14155550123"),
    ("full_name", "Augusta Ada King"), ("job_title", "Principal Software Engineer Manager"),
])
@pytest.mark.parametrize("resume", [None, "analytical engine notes " * 400])
def test_a_profile_field_change_writes_at_most_30_items(field, value, resume):
    first, state = indexed(resume)
    changed = image(version=2, **{field: value})
    if resume:
        changed["resume_ready"] = {"text_key": "text/p1/cv.txt"}
        state = index.IndexedState(version=1, digest=state.digest, keys=state.keys,
                                   text_key=state.text_key, gone=False,
                                   raw={**first.final, "rt": layout.pack(resume)})
    plan = indexer.plan(indexer.Change("p1", 2, changed), state)
    assert plan is not None
    assert writes(plan) <= 30, (field, len(plan.puts), len(plan.deletes))
    assert not any(pk.startswith(layout.RESUME_PREFIX) for pk, _ in plan.puts)
    assert plan.frequencies == {} and plan.resumes == 0


def test_a_verified_email_rewrites_nothing():
    _, state = indexed()
    plan = indexer.plan(indexer.Change("p1", 2, image(version=2, email_verified=True)), state)
    assert plan is None


def test_a_resume_of_n_distinct_words_writes_at_most_n_plus_50():
    rng = random.Random(7)
    words = list(dict.fromkeys("".join(rng.choice("bcdfghjklmnpqrstvwz") for _ in range(9))
                                for _ in range(4000)))
    text = " ".join(words)
    _, state = indexed()
    with_resume = image(version=2, resume_ready={"text_key": "text/p1/cv.txt"})
    plan = _with_text(with_resume, state, text)
    n = len(set(analyzer.resume_words(text)))
    frequencies = {stem: change for stem, change in plan.frequencies.items() if change}
    buckets: dict[str, int] = {}
    for stem in frequencies:
        bucket = layout.df_bucket(stem)["pk"]
        buckets[bucket] = buckets.get(bucket, 0) + 1
    frequency_writes = sum(-(-count // index.DF_TERMS_A_WRITE) for count in buckets.values()) + 1
    assert writes(plan) + frequency_writes <= n + 50, (writes(plan), frequency_writes, n)
    assert not any(pk.startswith(layout.PROFILE_PREFIX) for pk, _ in plan.puts)  # profile as is
    assert len(frequencies) == indexer.DF_STEMS and plan.resumes == 1


def test_postings_tell_a_terms_tier_and_whether_it_is_a_whole_word():
    postings = layout.Document(id="p1", version=1, list_key="k", source="direct",
                               profile=analyzer.profile_words(image())).postings()
    # the sort key leads with the part (8: the prefix starts a name's word, 7: only others')
    eng = postings[(layout.profile_pk("eng"), "7#k")]
    assert layout.term_tier(eng, "engine") == (2, False)  # engines (company), engineer (title)
    assert layout.term_tier(eng, "engineer") == (2, True)
    assert layout.term_tier(postings[(layout.profile_pk("ada"), "8#k")], "ada") == (1, True)
    assert layout.term_tier(postings[(layout.profile_pk("cou"), "7#k")], "count") == (3, False)
    ends = postings[(layout.phone_end_pk("0958"), "7#k")]
    assert layout.term_tier(ends, "460958") == (3, False)  # a trailing run: never exact
    assert layout.term_tier(ends, "60958") == (3, False) and layout.term_tier(ends, "6095") is None
    assert all(set(p) <= {"id", "src", "a1", "a2", "a3", "e3", "lk"} for p in postings.values())
