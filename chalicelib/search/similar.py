"""``GET /professionals/{id}/similar`` (contract 8.4): up to 10 professionals whose resumes are
nearest in meaning to this one's.

The resume is represented by the mean of its passages' vectors (read back from the store by
key, ``vectors.get_vectors``; no model is loaded), normalised: one QueryVectors of the 100
nearest passages of others (``exclude``), grouped by professional as a semantic search's are,
read from the table (the deleted, the erased and those without a ready resume drop out).
A mean rather than one query per passage: one request whatever the resume's length, and a
resume that is mostly about one thing is not pulled aside by its one passage about another.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from chalicelib import professionals, vectors
from chalicelib.search import semantic

SIMILAR_MAX = 10


def similar(professional_id: str) -> dict[str, Any]:
    """``{"items": [...]}``, best first, each the list resource plus ``match`` (the nearest
    passages of theirs); empty when the record has no ready resume or no vectors yet; 404 when
    there is no record."""
    item = professionals.get(professional_id)
    if not item.resume_ready:
        return {"items": []}
    centre = mean_direction(vectors.get_vectors(professional_id))
    if centre is None:
        return {"items": []}  # not embedded yet (or nothing to embed)
    hits = vectors.query(centre, vectors.TOP_K_MAX,
                         vectors.metadata_filter(exclude=professional_id))
    found = semantic.current(semantic.grouped(hits))[:SIMILAR_MAX]
    return {"items": [{**professionals.to_resource(f.item),
                       "match": semantic.passages_match(f.hits, None)} for f in found]}


def mean_direction(rows: Sequence[Sequence[float]]) -> list[float] | None:
    """The unit vector along the mean of ``rows``; None for no rows (or a zero mean)."""
    if not rows:
        return None
    total = [math.fsum(column) for column in zip(*rows)]
    norm = math.sqrt(math.fsum(x * x for x in total))
    if norm == 0.0:
        return None
    return [x / norm for x in total]
