"""Quality of resume search on the evaluation set (contract 8.4, "Quality"; issue 21):
nDCG@10 and recall@20 of keyword, semantic and hybrid ranking over bench/eval/ (327 resumes,
53 queries with graded judgements; bench/eval/generate.py, bench/README.md).

Rankers are functions ``rank(query) -> [resume id, ...]``, best first:

- keyword: as the project's keyword search (mode=keyword, docs/api.md "Search") matches a
  resume: every term of the query (``analyzer.query_terms``, the first 8) has the Snowball stem
  of one of the resume's words (``analyzer.words``, ``analyzer.stem``); the matches ordered by
  BM25 (k1 1.2, b 0.75) over those stems. Profile fields, prefixes and typos play no part: the
  set has resumes only.
- bm25-or: the same BM25 where any one term is enough (textbook BM25), for reference: it is
  not the project's keyword mode and takes no part in the targets or the fusion.
- semantic: ``chalicelib.embeddings``: every resume cut into passages (``passages.cut``), each
  embedded (``model.embed``); a resume scores the best cosine of its passages to the query's
  vector. Skipped, with "semantic: not available yet", when the module cannot be imported.
  Passage vectors are cached under .cache/bench-semantic/ keyed by the set's and the embedder's
  source (``--no-cache`` to embed afresh).
- hybrid: the API's own fusion (``chalicelib.search.fusion.hybrid``): reciprocal rank fusion
  (k = 60) of the first 100 of keyword and of semantic, at most 100 in all, every keyword match
  in it, as the contract says.

nDCG@10: gain 2^grade - 1, discount log2(rank + 1), over the ideal order of all the query's
judged resumes. recall@20: the share of the query's resumes graded 2 or 3 found in the first 20.
One table per ranker (all queries, paraphrase, keyword, natural), then the targets:
on paraphrase queries semantic beats keyword by >= 0.15 nDCG@10; over all queries hybrid is
within 0.02 of the better of the two, or above. PASS/FAIL each; exit 1 on a FAIL only when
semantic ran. Also: embedding throughput (passages/s, resumes/s, words/s on this machine) and
per-query latency of each ranker in-process.

    .venv/bin/python bench/semantic_eval.py [--no-semantic] [--no-cache] [--per-query]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chalicelib.search import fusion  # noqa: E402  (the API's fusion: one function for both)
from chalicelib.search.fusion import rrf  # noqa: E402,F401  (plain RRF, as the tests read it)

EVAL = ROOT / "bench" / "eval"
CACHE = ROOT / ".cache" / "bench-semantic"
KINDS = ("paraphrase", "keyword", "natural")
RRF_K = 60
FUSE_DEPTH = 100  # the API's most results in every mode
PARAPHRASE_GAIN = 0.15  # contract 8.4: semantic - keyword nDCG@10 on paraphrase queries
HYBRID_SLACK = 0.02  # contract 8.4: hybrid >= max(keyword, semantic) - 0.02 over all queries

Ranker = Callable[[str], list[str]]


# --- the set -----------------------------------------------------------------------------------

def load_set(folder: Path = EVAL) -> tuple[list[dict], list[dict]]:
    """The resumes (id, text, facts) and the queries (id, kind, text, match, judgements)."""
    resumes = [json.loads(line) for line in (folder / "resumes.jsonl").read_text().splitlines()
               if line.strip()]
    queries = json.loads((folder / "queries.json").read_text())
    return resumes, queries


# --- metrics -----------------------------------------------------------------------------------

def dcg(grades: Iterable[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg_at(ranking: list[str], judgements: dict[str, int], k: int = 10) -> float:
    """nDCG@k of a ranking (ids, best first) against graded judgements (id -> 0..3, missing
    ids are 0); 0 when nothing is relevant."""
    ideal = dcg(sorted(judgements.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg(judgements.get(rid, 0) for rid in ranking[:k]) / ideal


def recall_at(ranking: list[str], judgements: dict[str, int], k: int = 20,
              min_grade: int = 2) -> float:
    """The share of the resumes graded >= min_grade found in the first k of the ranking."""
    relevant = {rid for rid, g in judgements.items() if g >= min_grade}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


# --- rankers -----------------------------------------------------------------------------------

def analyze(text: str) -> list[str]:
    """The stems keyword search compares: the search analyzer's words, Snowball-stemmed."""
    from chalicelib.search.analyzer import MAX_WORD, stem, words
    return [stem(w) for w in words(text) if len(w) <= MAX_WORD]


class BM25:
    """Okapi BM25 over the resumes' stems; ``rank`` lists resumes sharing a stem with the
    query, best first (ties by id)."""

    def __init__(self, resumes: list[dict], k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = [r["id"] for r in resumes]
        self.tf = [Counter(analyze(r["text"])) for r in resumes]
        self.lengths = [sum(c.values()) for c in self.tf]
        self.avg = sum(self.lengths) / len(self.lengths)
        df = Counter(t for c in self.tf for t in c)
        n = len(resumes)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> dict[str, float]:
        terms = [t for t in dict.fromkeys(analyze(query)) if t in self.idf]
        out: dict[str, float] = {}
        for i, tf in enumerate(self.tf):
            norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
            s = sum(self.idf[t] * tf[t] * (self.k1 + 1) / (tf[t] + norm) for t in terms if t in tf)
            if s > 0:
                out[self.ids[i]] = s
        return out

    def rank(self, query: str) -> list[str]:
        """Any query stem matches (OR): the textbook BM25, reported for reference."""
        return [rid for rid, _ in sorted(self.scores(query).items(), key=lambda x: (-x[1], x[0]))]

    def rank_all_terms(self, query: str) -> list[str]:
        """As the project's keyword search matches a resume (docs/api.md, Search): every term
        of ``q`` (``analyzer.query_terms``, the first 8, as hybrid's keyword side takes them)
        has the stem of a word of the resume; then best BM25 first (the API puts first "a
        resume that uses the terms more often for its length")."""
        from chalicelib.search.analyzer import MAX_TERMS, query_terms, stem
        terms = {stem(t) for t in query_terms(query)[:MAX_TERMS]}
        if not terms:
            return []
        scores = self.scores(query)
        keep = [rid for rid in scores if terms <= self.tf[self.ids.index(rid)].keys()]
        return sorted(keep, key=lambda rid: (-scores[rid], rid))


def hybrid(keyword: list[str], semantic: list[str]) -> list[str]:
    """The API's fusion (chalicelib/search/fusion.py: reciprocal rank fusion, k = 60, of each
    list's first 100; every keyword match kept, at most 100 in all)."""
    return fusion.hybrid(keyword, semantic, k=RRF_K, limit=FUSE_DEPTH)


def embedder():
    """(embed, cut) from chalicelib.embeddings, or None when it is not importable yet."""
    try:
        from chalicelib.embeddings import model, passages
    except ImportError:
        return None
    return model.embed, lambda text: [p.text for p in passages.cut(text)]


class Semantic:
    """Each resume's passages embedded once; a query ranks every resume by the best cosine of
    its passages (vectors are unit length: the dot product)."""

    def __init__(self, resumes: list[dict], embed, cut, cache: bool = True) -> None:
        import numpy as np
        self.np, self.embed = np, embed
        self.ids = [r["id"] for r in resumes]
        texts, owners = [], []
        for i, r in enumerate(resumes):
            for p in cut(r["text"]):
                texts.append(p)
                owners.append(i)
        self.owners = np.array(owners)
        self.passages = len(texts)
        self.words = sum(len(r["text"].split()) for r in resumes)
        path = CACHE / f"{_cache_key(resumes)}.npy"
        self.embed_seconds = None
        if cache and path.exists():
            self.vectors = np.load(path)
        else:
            t0 = time.perf_counter()
            self.vectors = np.asarray(embed(texts), dtype=np.float32)
            self.embed_seconds = time.perf_counter() - t0
            if cache:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, self.vectors)

    def scores(self, query: str):
        np = self.np
        q = np.asarray(self.embed([query]), dtype=np.float32)[0]
        sims = self.vectors @ q
        best = np.full(len(self.ids), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.owners, sims)
        return best

    def rank(self, query: str) -> list[str]:
        best = self.scores(query)
        order = sorted(range(len(self.ids)), key=lambda i: (-float(best[i]), self.ids[i]))
        return [self.ids[i] for i in order]


def _cache_key(resumes: list[dict]) -> str:
    """The set's texts and the embedder's source: a change to either embeds afresh."""
    h = hashlib.sha256()
    for r in resumes:
        h.update(r["text"].encode())
    for src in sorted((ROOT / "chalicelib" / "embeddings").glob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


# --- evaluation --------------------------------------------------------------------------------

def evaluate(rank: Ranker, queries: list[dict]) -> dict:
    """Per query: nDCG@10, recall@20, ms; and the means over all queries and each kind."""
    per = []
    for q in queries:
        t0 = time.perf_counter()
        ranking = rank(q["text"])
        ms = (time.perf_counter() - t0) * 1000
        per.append({"id": q["id"], "kind": q["kind"], "ranking": ranking[:20], "ms": ms,
                    "ndcg10": ndcg_at(ranking, q["judgements"]),
                    "recall20": recall_at(ranking, q["judgements"])})
    out = {"per_query": per, "ms": [p["ms"] for p in per]}
    for subset in ("all",) + KINDS:
        rows = [p for p in per if subset == "all" or p["kind"] == subset]
        out[subset] = {"n": len(rows),
                       "ndcg10": statistics.fmean(p["ndcg10"] for p in rows) if rows else 0.0,
                       "recall20": statistics.fmean(p["recall20"] for p in rows) if rows else 0.0}
    return out


def targets(results: dict[str, dict]) -> list[tuple[str, float, float, bool]]:
    """(what, value, bound, ok) for the contract's two targets; needs all three rankers."""
    kw, sem, hy = results["keyword"], results["semantic"], results["hybrid"]
    gain = sem["paraphrase"]["ndcg10"] - kw["paraphrase"]["ndcg10"]
    better = max(kw["all"]["ndcg10"], sem["all"]["ndcg10"])
    return [("paraphrase: semantic - keyword nDCG@10", gain, PARAPHRASE_GAIN,
             gain >= PARAPHRASE_GAIN),
            ("all: hybrid - max(keyword, semantic) nDCG@10", hy["all"]["ndcg10"] - better,
             -HYBRID_SLACK, hy["all"]["ndcg10"] >= better - HYBRID_SLACK)]


def main() -> int:
    import _common  # noqa: F401  (the house environment; no emulator is started here)
    from _common import format_table, headline, write_summary

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-semantic", action="store_true", help="keyword only")
    parser.add_argument("--no-cache", action="store_true", help="embed the passages afresh")
    parser.add_argument("--per-query", action="store_true", help="print every query's figures")
    args = parser.parse_args()

    resumes, queries = load_set()
    kinds = Counter(q["kind"] for q in queries)
    print(f"evaluation set: {len(resumes)} resumes, "
          f"{len({r['facts']['profession'] for r in resumes})} professions, {len(queries)} "
          f"queries ({', '.join(f'{kinds[k]} {k}' for k in KINDS)})\n")

    t0 = time.perf_counter()
    bm25 = BM25(resumes)
    print(f"keyword: BM25 index of {len(resumes)} resumes in {time.perf_counter() - t0:.2f} s",
          file=sys.stderr)
    rankers: dict[str, Ranker] = {"keyword": bm25.rank_all_terms, "bm25-or": bm25.rank}
    semantic = None
    parts = None if args.no_semantic else embedder()
    if parts is None:
        print("semantic: not available yet" if not args.no_semantic else "semantic: skipped")
    else:
        print("semantic: embedding passages ...", file=sys.stderr)
        semantic = Semantic(resumes, *parts, cache=not args.no_cache)
        rankers["semantic"] = semantic.rank
        rankers["hybrid"] = lambda q: hybrid(bm25.rank_all_terms(q), semantic.rank(q))

    results = {name: evaluate(rank, queries) for name, rank in rankers.items()}
    rows = []
    for name, res in results.items():
        for subset in ("all",) + KINDS:
            rows.append([name, subset, res[subset]["n"], res[subset]["ndcg10"],
                         res[subset]["recall20"]])
    print(format_table(["ranker", "queries", "n", "nDCG@10", "recall@20"], rows))
    lat = [[name, statistics.median(r["ms"]), sorted(r["ms"])[int(0.95 * (len(r["ms"]) - 1))]]
           for name, r in results.items()]
    print("\nin-process latency per query (ms; semantic includes the query's embedding)")
    print(format_table(["ranker", "p50 ms", "p95 ms"], lat))

    if args.per_query:
        qtext = {q["id"]: q["text"] for q in queries}
        print()
        print(format_table(["query", "kind", "text"] + [f"{n} nDCG@10" for n in results],
                           [[p["id"], p["kind"], qtext[p["id"]][:48]]
                            + [results[n]["per_query"][i]["ndcg10"] for n in results]
                            for i, p in enumerate(results["keyword"]["per_query"])]))

    summary = [headline("eval keyword nDCG@10 (all / paraphrase)",
                        f"{results['keyword']['all']['ndcg10']:.3f} / "
                        f"{results['keyword']['paraphrase']['ndcg10']:.3f}",
                        ndcg10=results["keyword"]["all"]["ndcg10"])]
    failed = False
    if semantic is not None:
        print("\nembedding throughput (one process, this machine)")
        if semantic.embed_seconds is None:
            print(f"{semantic.passages} passages of {len(resumes)} resumes read from the cache "
                  "(run with --no-cache to measure)")
        else:
            s = semantic.embed_seconds
            print(format_table(["passages", "resumes", "words", "seconds", "passages/s",
                                "resumes/s", "words/s"],
                               [[semantic.passages, len(resumes), semantic.words, s,
                                 semantic.passages / s, len(resumes) / s, semantic.words / s]]))
        print("\ntargets (contract 8.4)")
        checks = targets(results)
        print(format_table(["target", "value", "bound", "result"],
                           [[what, value, bound, "PASS" if ok else "FAIL"]
                            for what, value, bound, ok in checks]))
        failed = not all(ok for *_, ok in checks)
        summary += [headline(f"eval {n} nDCG@10 (all / paraphrase)",
                             f"{results[n]['all']['ndcg10']:.3f} / "
                             f"{results[n]['paraphrase']['ndcg10']:.3f}",
                             ndcg10=results[n]["all"]["ndcg10"]) for n in ("semantic", "hybrid")]
        summary += [headline(what, f"{value:+.3f}", budget=f">= {bound:+.2f}",
                             ok=ok) for what, value, bound, ok in checks]
        print(f"\nBUDGETS {'BROKEN' if failed else 'OK'}")
    write_summary(summary, f"{len(resumes)} resumes, {len(queries)} queries")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
