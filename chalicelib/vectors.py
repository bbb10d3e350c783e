"""Resume passages' vectors in Amazon S3 Vectors (contract 8.4): put, query, read, delete.

One vector per passage, keyed ``<professional id>#<passage number>`` (numbers from 0), so a
person's vectors are found, replaced and deleted by key, never by a scan. Metadata (AWS's
limits, https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html:
2 KB filterable, 40 KB in all, per vector):

- filterable: ``professional`` (id), ``passage`` (number), ``source`` (the record's source, for
  ``source=``) and ``created_at`` (epoch milliseconds, for ``created_from``/``created_to``):
  facts that never change for a record. Mutable ones (``email_verified``) are not copied here:
  the API reads each page's professionals from the table and applies them there, as keyword
  search does, so a vector never answers with a stale fact.
- non-filterable: ``text``, the passage itself (cut to ``TEXT_BYTES_MAX``), so a result shows
  its passage without reading the resume's text from S3.

Every failure to reach the store is ``VectorsUnavailable`` (a 503 ``unavailable`` at the API;
a retry in a worker). A ValidationException is a bug of ours and is left to surface as one.
Locally the client goes to the stack's moto server, which answers QueryVectors
(infra/local/s3vectors_query.py).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clients
from chalicelib.clock import parse_iso
from chalicelib.errors import Unavailable
from chalicelib.settings import get_settings

# The index, as the template and the local stack create it (all-MiniLM-L6-v2's vectors).
DIMENSION = 384
DATA_TYPE = "float32"
DISTANCE_METRIC = "cosine"
TEXT_KEY = "text"
NON_FILTERABLE_KEYS = (TEXT_KEY,)
# AWS's per-call limits (the limitations page above).
PUT_BATCH = 500
DELETE_BATCH = 500
GET_BATCH = 100
TOP_K_MAX = 100
# Well inside 40 KB with the filterable keys; a ~200-word passage is ~1.5 KB.
TEXT_BYTES_MAX = 16 * 1024
# Passages kept per resume: a person's vectors are found by key (id#0 .. id#127), never by a
# scan, so no count need be stored anywhere; a longer resume's passages past this are not
# embedded (128 passages of ~200 words is ~25,000 words, far past any real resume).
MAX_PASSAGES = 128


class VectorsUnavailable(Unavailable):
    """S3 Vectors could not be reached, throttled, or failed on its side."""


@dataclass(frozen=True)
class Hit:
    professional_id: str
    passage: int
    distance: float  # cosine distance, 1 - cosine similarity: 0 (same direction) .. 2
    metadata: dict[str, Any]

    @property
    def score(self) -> float:
        """The contract's 0..1 score: the cosine similarity, opposites counted as 0."""
        return min(1.0, max(0.0, 1.0 - self.distance))

    @property
    def text(self) -> str:
        return str(self.metadata.get(TEXT_KEY, ""))


def key(professional_id: str, passage: int) -> str:
    return f"{professional_id}#{passage}"


def parse_key(vector_key: str) -> tuple[str, int]:
    professional_id, _, passage = vector_key.rpartition("#")
    return professional_id, int(passage)


def created_at_ms(created_at: str) -> int:
    """A record's ``created_at`` (the contract's ISO form) as the number range filters compare."""
    return int(parse_iso(created_at).timestamp() * 1000)


def put_passages(professional_id: str, source: str, vectors: Sequence[Sequence[float]],
                 passages: Sequence[str], *, created_at: str) -> int:
    """Store one vector per passage (an existing key is overwritten); returns how many. Keys
    past the new count (a longer earlier resume's) are the caller's to delete
    (``delete_passages``)."""
    if len(vectors) != len(passages):
        raise ValueError(f"{len(vectors)} vectors for {len(passages)} passages")
    created = created_at_ms(created_at)
    records = [{
        "key": key(professional_id, n),
        "data": {"float32": [float(x) for x in vector]},
        "metadata": {"professional": professional_id, "passage": n, "source": source,
                     "created_at": created, TEXT_KEY: _cut(text)},
    } for n, (vector, text) in enumerate(zip(vectors, passages))]
    for start in range(0, len(records), PUT_BATCH):
        with _store("PutVectors"):
            clients.s3vectors().put_vectors(**_index(), vectors=records[start:start + PUT_BATCH])
    return len(records)


def delete_passages(professional_id: str, numbers: Iterable[int]) -> None:
    """Delete these passages' vectors (absent keys are no error: DeleteVectors ignores them)."""
    keys = [key(professional_id, n) for n in numbers]
    for start in range(0, len(keys), DELETE_BATCH):
        with _store("DeleteVectors"):
            clients.s3vectors().delete_vectors(**_index(), keys=keys[start:start + DELETE_BATCH])


def delete_professional(professional_id: str, count: int = MAX_PASSAGES) -> None:
    """Delete a person's passages' vectors (a deleted or erased resume): all that may exist."""
    delete_passages(professional_id, range(count))


def get_vectors(professional_id: str, count: int = MAX_PASSAGES) -> list[list[float]]:
    """A person's own passage vectors, in passage order (``similar`` queries with them);
    absent keys are no error (GetVectors leaves them out)."""
    found: dict[str, list[float]] = {}
    keys = [key(professional_id, n) for n in range(count)]
    for start in range(0, len(keys), GET_BATCH):
        with _store("GetVectors"):
            response = clients.s3vectors().get_vectors(**_index(), returnData=True,
                                                       keys=keys[start:start + GET_BATCH])
        found.update({v["key"]: v["data"]["float32"] for v in response.get("vectors", [])})
    return [found[k] for k in keys if k in found]


def query(vector: Sequence[float], top_k: int, filter: dict[str, Any] | None = None
          ) -> list[Hit]:
    """The ``top_k`` (1..100) passages nearest ``vector`` that match ``filter`` (S3 Vectors'
    filter document; ``metadata_filter`` builds one), nearest first, with their metadata."""
    if not 1 <= top_k <= TOP_K_MAX:
        raise ValueError(f"top_k must be 1..{TOP_K_MAX}, not {top_k}")
    request: dict[str, Any] = {**_index(), "topK": top_k, "returnDistance": True,
                               "returnMetadata": True,
                               "queryVector": {"float32": [float(x) for x in vector]}}
    if filter:
        request["filter"] = filter
    with _store("QueryVectors"):
        response = clients.s3vectors().query_vectors(**request)
    hits = []
    for v in response.get("vectors", []):
        professional_id, passage = parse_key(v["key"])
        hits.append(Hit(professional_id, passage, float(v.get("distance", 0.0)),
                        v.get("metadata") or {}))
    return hits


def metadata_filter(*, source: str | None = None, created_from: str | None = None,
                    created_to: str | None = None, exclude: str | None = None
                    ) -> dict[str, Any] | None:
    """The filter document for contract 8.3's immutable filters (created_from inclusive,
    created_to exclusive) and ``exclude`` (a professional left out: ``similar``)."""
    terms: list[dict[str, Any]] = []
    if source is not None:
        terms.append({"source": {"$eq": source}})
    if created_from is not None:
        terms.append({"created_at": {"$gte": created_at_ms(created_from)}})
    if created_to is not None:
        terms.append({"created_at": {"$lt": created_at_ms(created_to)}})
    if exclude is not None:
        terms.append({"professional": {"$ne": exclude}})
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


def create_index(client: Any, bucket: str, index: str) -> None:
    """The vector bucket and the index, as the template declares them (infra/template/
    vectors.py); existing ones are kept. For emulators: the local stack and the tests."""
    try:
        client.create_vector_bucket(vectorBucketName=bucket)
    except client.exceptions.ConflictException:
        pass
    try:
        client.get_index(vectorBucketName=bucket, indexName=index)
    except client.exceptions.NotFoundException:
        client.create_index(vectorBucketName=bucket, indexName=index, dataType=DATA_TYPE,
                            dimension=DIMENSION, distanceMetric=DISTANCE_METRIC,
                            metadataConfiguration={
                                "nonFilterableMetadataKeys": list(NON_FILTERABLE_KEYS)})


def _index() -> dict[str, str]:
    settings = get_settings()
    return {"vectorBucketName": settings.vector_bucket, "indexName": settings.vector_index}


def _cut(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= TEXT_BYTES_MAX:
        return text
    return encoded[:TEXT_BYTES_MAX].decode(errors="ignore")  # never half a character


_UNAVAILABLE = "The vector store is unavailable; please retry."


@contextmanager
def _store(what: str) -> Iterator[None]:
    """``what`` names the call for the traceback's reader (the exception chains its cause)."""
    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ValidationException":
            raise  # our request was wrong: a bug, not an outage
        raise VectorsUnavailable(_UNAVAILABLE) from exc
    except BotoCoreError as exc:
        raise VectorsUnavailable(_UNAVAILABLE) from exc
