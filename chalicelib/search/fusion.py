"""Hybrid search's fusion of the keyword and semantic lists (contract 8.4): reciprocal rank
fusion, k = 60, under 8.4's two rules: at most 100 results, and every keyword match in them.

One function for the API (``search.semantic``) and the quality benchmark
(bench/semantic_eval.py), so the figures the benchmark reports are the API's ranking's.
"""
from __future__ import annotations

from typing import Hashable, Sequence, TypeVar

RRF_K = 60  # the usual constant (Cormack et al. 2009): a rank's weight falls off slowly
DEPTH = 100  # each list's first 100 take part: the most results any mode gives

Id = TypeVar("Id", bound=Hashable)


def rrf(rankings: Sequence[Sequence[Id]], k: int = RRF_K, depth: int = DEPTH) -> list[Id]:
    """Reciprocal rank fusion: score(id) = sum over the rankings of 1 / (k + rank), rank from 1,
    each ranking cut at ``depth``; best first, ties by id (a deterministic order, so re-running
    a query for its next page gives the same list)."""
    score: dict[Id, float] = {}
    for ranking in rankings:
        for rank, rid in enumerate(ranking[:depth], 1):
            score[rid] = score.get(rid, 0.0) + 1.0 / (k + rank)
    return [rid for rid, _ in sorted(score.items(), key=lambda pair: (-pair[1], pair[0]))]


def hybrid(keyword: Sequence[Id], semantic: Sequence[Id], k: int = RRF_K,
           limit: int = DEPTH) -> list[Id]:
    """The fused list of at most ``limit``, holding every one of keyword's first ``limit``: the
    fused order, where a semantic-only result takes a place only while the rest still leaves
    room for every keyword match (so those it loses are the fused list's last semantic-only
    ones). A keyword list of ``limit`` leaves semantic only its say in their order."""
    kept = set(keyword[:limit])
    room = limit - len(kept)
    out: list[Id] = []
    for rid in rrf([keyword, semantic], k, limit):
        if rid in kept:
            out.append(rid)
        elif room > 0:
            out.append(rid)
            room -= 1
    return out
