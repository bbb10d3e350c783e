"""The resume-search evaluation set (bench/eval/, contract 8.4 "Quality", issue 21) and the
metrics of bench/semantic_eval.py: the set's shape, its grades follow the rules from the facts,
paraphrase queries share no stemmed word with the resumes they grade 3, the committed files are
what the seeded generator writes, nDCG@10 and recall@20 on hand-made cases with known values,
and the keyword ranker beats random ranking on keyword queries. No model is loaded here."""
from __future__ import annotations

import math
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
for _p in (BENCH, BENCH / "eval"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import generate  # noqa: E402  (bench/eval/generate.py)
import semantic_eval as se  # noqa: E402  (bench/semantic_eval.py)
from chalicelib.search.analyzer import stem, words  # noqa: E402
from queries import STOPWORDS  # noqa: E402


@pytest.fixture(scope="module")
def eval_set():
    return se.load_set()


def test_the_set_has_the_contracts_size(eval_set):
    resumes, queries = eval_set
    kinds = Counter(q["kind"] for q in queries)
    assert len(resumes) >= 300
    assert len({r["facts"]["profession"] for r in resumes}) >= 25
    assert len(queries) >= 40
    assert kinds["paraphrase"] >= 10 and kinds["keyword"] >= 10 and kinds["natural"] >= 10
    assert set(kinds) == {"paraphrase", "keyword", "natural"}
    assert len({r["id"] for r in resumes}) == len(resumes)
    assert len({q["id"] for q in queries}) == len(queries)
    assert len({q["text"].lower() for q in queries}) == len(queries)


def test_every_resume_is_150_to_700_words_and_records_its_facts(eval_set):
    resumes, _ = eval_set
    for r in resumes:
        facts = r["facts"]
        assert 150 <= len(r["text"].split()) <= 700, r["id"]
        assert facts["words"] == len(r["text"].split())
        assert facts["seniority"] in {"junior", "mid", "senior", "lead"}
        assert facts["years"] >= 1 and facts["skills"] and facts["settings"]
        profession = generate.BY_KEY[facts["profession"]]
        assert facts["family"] == profession["family"]
        assert facts["specialty"] is None or facts["specialty"] in profession["specialties"]
    lengths = sorted(len(r["text"].split()) for r in resumes)
    assert lengths[-1] - lengths[0] >= 200  # lengths vary


def test_resumes_of_one_specialty_are_worded_differently(eval_set):
    resumes, _ = eval_set
    by_spec: dict[tuple, list[str]] = {}
    for r in resumes:
        by_spec.setdefault((r["facts"]["profession"], r["facts"]["specialty"]), []).append(
            r["text"])
    for key, texts in by_spec.items():
        assert len(set(texts)) == len(texts), key
        lines = [set(line.strip("-*\u2022 ") for line in t.splitlines() if len(line) > 40)
                 for t in texts]
        # no two resumes of a specialty share most of their sentences
        for a in range(len(lines)):
            for b in range(a + 1, len(lines)):
                shared = len(lines[a] & lines[b]) / min(len(lines[a]), len(lines[b]))
                assert shared < 0.8, (key, a, b, shared)


def test_every_query_has_a_best_answer_and_grades_follow_the_rules(eval_set):
    resumes, queries = eval_set
    for q in queries:
        assert 3 in q["judgements"].values(), q["id"]
        for r in resumes:
            f = r["facts"]
            m = q["match"]
            if f["profession"] in m["professions"]:
                best = ((not m.get("specialties") or f["specialty"] in m["specialties"])
                        and {s.lower() for s in m.get("skills", ())}
                        <= {s.lower() for s in f["skills"]})
                expected = 3 if best else 2
            elif f["family"] in {generate.BY_KEY[p]["family"] for p in m["professions"]}:
                expected = 1
            else:
                expected = 0
            assert q["judgements"].get(r["id"], 0) == expected, (q["id"], r["id"])
        assert 0 not in q["judgements"].values()


def test_paraphrase_queries_share_no_stemmed_word_with_their_best_resumes(eval_set):
    """The rule: lowercase (the analyzer folds), split into the search analyzer's words, drop
    queries.STOPWORDS (function words), Snowball-stem; no stem left may occur among the stems
    of any resume the query grades 3 (its whole text: title, duties, skills, noise)."""
    resumes, queries = eval_set
    text = {r["id"]: {stem(w) for w in words(r["text"])} for r in resumes}
    paraphrases = [q for q in queries if q["kind"] == "paraphrase"]
    for q in paraphrases:
        content = {stem(w) for w in words(q["text"]) if w not in STOPWORDS}
        assert len(content) >= 2, q["text"]
        for rid, g in q["judgements"].items():
            if g == 3:
                assert not content & text[rid], (q["id"], rid, content & text[rid])
    assert generate.paraphrase_overlaps(resumes, queries) == []
    # and the rule is not vacuous: a keyword query does share words with its best resumes
    q = next(q for q in queries if q["id"] == "k01")
    content = {stem(w) for w in words(q["text"])}
    assert all(content & text[rid] for rid, g in q["judgements"].items() if g == 3)


def test_the_generator_writes_the_committed_files_byte_for_byte():
    resumes, queries = generate.render()
    assert generate.RESUMES.read_text() == resumes
    assert generate.QUERIES_FILE.read_text() == queries
    assert generate.render() == (resumes, queries)  # and again: no hidden state


# --- metrics on hand-made examples --------------------------------------------------------------

def test_ndcg_of_hand_made_rankings():
    judged = {"a": 3, "b": 2, "c": 1}
    assert se.ndcg_at(["a", "b", "c"], judged) == pytest.approx(1.0)
    assert se.ndcg_at([], judged) == 0.0
    assert se.ndcg_at(["x", "y"], judged) == 0.0
    assert se.ndcg_at(["x"], {}) == 0.0
    # ideal DCG = 7/1 + 3/log2(3) + 1/2 ; the ranking c, x, a: 1/1 + 0 + 7/2
    ideal = 7 + 3 / math.log2(3) + 0.5
    assert se.ndcg_at(["c", "x", "a"], judged) == pytest.approx((1 + 3.5) / ideal)
    # only the first 10 count
    assert se.ndcg_at([f"x{i}" for i in range(10)] + ["a", "b", "c"], judged) == 0.0
    # the ideal is cut at k too: 12 resumes of grade 3, the first 10 found is perfect
    many = {f"r{i}": 3 for i in range(12)}
    assert se.ndcg_at([f"r{i}" for i in range(10)], many) == pytest.approx(1.0)
    assert se.ndcg_at(["a", "b"], {"a": 1, "b": 3}) == pytest.approx(
        (1 + 7 / math.log2(3)) / (7 + 1 / math.log2(3)))


def test_recall_of_hand_made_rankings():
    judged = {"a": 3, "b": 2, "c": 1, "d": 3}
    assert se.recall_at(["a", "b", "d"], judged) == 1.0  # grade 1 is not counted
    assert se.recall_at(["a", "c"], judged) == pytest.approx(1 / 3)
    assert se.recall_at([f"x{i}" for i in range(20)] + ["a", "b", "d"], judged) == 0.0
    assert se.recall_at(["a"], {"c": 1}) == 0.0
    assert se.recall_at(["c"], judged, min_grade=1) == pytest.approx(1 / 4)


def test_reciprocal_rank_fusion():
    fused = se.rrf([["a", "b", "c"], ["c", "a", "d"]])
    # a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62, d: 1/63
    assert fused == ["a", "c", "b", "d"]
    assert se.rrf([["a"], []]) == ["a"]
    assert se.rrf([["a", "b"], ["b", "a"]]) == ["a", "b"]  # a tie is broken by id
    assert se.rrf([[f"x{i}" for i in range(150)]], depth=100)[-1] == "x99"


def test_bm25_on_a_hand_made_corpus():
    resumes = [{"id": "r1", "text": "Intensive care nurse on the ICU."},
               {"id": "r2", "text": "Nurse on a surgical ward. Nursing students mentored."},
               {"id": "r3", "text": "Pastry chef: croissants and tarts."}]
    bm25 = se.BM25(resumes)
    assert bm25.rank("icu nurse") == ["r1", "r2"]
    assert bm25.rank("nursing") == ["r2", "r1"]  # "nurse" and "nursing" are one stem; r2 has two
    assert bm25.rank("plumber") == []
    assert bm25.rank("tart") == ["r3"]  # stemmed: "tarts" -> "tart"


def test_the_keyword_ranker_beats_random_on_keyword_queries(eval_set):
    resumes, queries = eval_set
    keyword = [q for q in queries if q["kind"] == "keyword"]
    bm25 = se.BM25(resumes)
    ids = [r["id"] for r in resumes]
    rng = random.Random(1)

    def shuffled(_q: str) -> list[str]:
        order = list(ids)
        rng.shuffle(order)
        return order

    ours = se.evaluate(bm25.rank, keyword)["all"]
    chance = se.evaluate(shuffled, keyword)["all"]
    assert ours["ndcg10"] > chance["ndcg10"] + 0.5
    assert ours["recall20"] > chance["recall20"] + 0.4
    assert ours["ndcg10"] >= 0.8


def test_targets_are_read_as_the_contract_says():
    def res(kw_all, kw_para, sem_all, sem_para, hy_all):
        def one(a, p):
            return {"all": {"ndcg10": a}, "paraphrase": {"ndcg10": p}}
        return {"keyword": one(kw_all, kw_para), "semantic": one(sem_all, sem_para),
                "hybrid": one(hy_all, 0)}
    ok = [c[-1] for c in se.targets(res(0.6, 0.05, 0.7, 0.5, 0.69))]
    assert ok == [True, True]
    ok = [c[-1] for c in se.targets(res(0.6, 0.40, 0.7, 0.5, 0.67))]
    assert ok == [False, False]
