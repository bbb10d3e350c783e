"""QueryVectors for moto's S3 Vectors, which serves the rest of the API but not the query.

``install()`` adds the route and the handler to moto's own classes in this process: the local
stack calls it in its moto server child before the server starts (``emulators.run_moto``), and
tests call it beside ``mock_aws`` (in-process). The answer is an exact brute-force search (AWS's
is approximate), so locally the nearest vectors are always the true nearest.

Behaviour follows AWS's documentation (read 2026-12-07):
- QueryVectors and QueryOutputVector,
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_QueryVectors.html: keys always; ``distance`` only with ``returnDistance``, ``metadata`` only
  with ``returnMetadata`` (both off by default); the response names the index's
  ``distanceMetric``; an unknown bucket or index is NotFoundException.
- Limitations, https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html:
  top-K at most 100; at most 2 KB of filterable and 40 KB of all metadata per vector, at most 50
  metadata keys per vector, at most 10 non-filterable keys per index (PutVectors answers 400).
- Metadata filtering,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-metadata-filtering.html:
  ``$eq $ne $gt $gte $lt $lte $in $nin $exists $and $or``; a bare value means ``$eq``; ``$eq``
  against a list matches any element; the range operators take numbers; ``$in``/``$nin``,
  ``$and``/``$or`` take non-empty arrays; filtering on a non-filterable key is a 400.
Where the documentation is silent we take MongoDB's reading, whose syntax it borrows: keys
side by side (and operators side by side) are ANDed, a missing key fails every operator but
``$ne``, ``$nin`` and ``$exists: false``. Distances: cosine is 1 - cosine similarity (0 for the
same direction, 2 for the opposite), euclidean the L2 distance.
"""
from __future__ import annotations

import json
import math
from typing import Any

TOP_K_MAX = 100
FILTERABLE_BYTES_MAX = 2 * 1024
METADATA_BYTES_MAX = 40 * 1024
METADATA_KEYS_MAX = 50
NON_FILTERABLE_KEYS_MAX = 10

_COMPARISONS = ("$gt", "$gte", "$lt", "$lte")
_OPERATORS = {"$eq", "$ne", "$in", "$nin", "$exists", *_COMPARISONS}


def install() -> None:
    """Teach moto's s3vectors QueryVectors (idempotent; moto reads its routes per request in
    process, and when the server app is built)."""
    from moto.s3vectors import urls
    from moto.s3vectors.models import S3VectorsBackend
    from moto.s3vectors.responses import S3VectorsResponse

    if getattr(S3VectorsResponse, "query_vectors", None) is _respond:
        return
    urls.url_paths["{0}/QueryVectors$"] = S3VectorsResponse.dispatch
    S3VectorsResponse.query_vectors = _respond  # type: ignore[attr-defined]
    S3VectorsBackend.query_vectors = _query  # type: ignore[attr-defined]
    # moto drops CreateIndex's metadataConfiguration and checks no metadata limits: both
    # decide what a filter and a PutVectors may do.
    original_create = S3VectorsResponse.create_index
    original_put, original_delete = S3VectorsBackend.put_vectors, S3VectorsBackend.delete_vectors

    def create_index(self: Any) -> Any:
        keys = (self._get_param("metadataConfiguration") or {}).get(
            "nonFilterableMetadataKeys") or []
        if len(keys) > NON_FILTERABLE_KEYS_MAX:
            raise _invalid("1 validation error detected. Value at "
                           "'/metadataConfiguration/nonFilterableMetadataKeys' failed to satisfy"
                           f" constraint: Member must have length less than or equal to "
                           f"{NON_FILTERABLE_KEYS_MAX}")
        result = original_create(self)
        bucket = (self._get_param("vectorBucketName")
                  or (self._get_param("vectorBucketArn") or "").rpartition("/")[2])
        index = self.s3vectors_backend.get_index(bucket, self._get_param("indexName"), None)
        index.non_filterable_keys = frozenset(keys)
        if keys:  # GetIndex shows it, as AWS's does
            index.metadata_configuration = {"nonFilterableMetadataKeys": list(keys)}
        return result

    def put_vectors(self: Any, vector_bucket_name: str, index_name: str, index_arn: str,
                    vectors: list[dict[str, Any]]) -> None:
        index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
        for vector in vectors:
            _check_metadata(vector["key"], vector.get("metadata") or {}, _non_filterable(index))
        original_put(self, vector_bucket_name, index_name, index_arn, vectors)
        index.query_matrix = None

    def delete_vectors(self: Any, vector_bucket_name: str, index_name: str, index_arn: str,
                       keys: list[str]) -> None:
        original_delete(self, vector_bucket_name, index_name, index_arn, keys)
        self.get_index(vector_bucket_name, index_name=index_name,
                       index_arn=index_arn).query_matrix = None

    S3VectorsResponse.create_index = create_index  # type: ignore[method-assign]
    S3VectorsBackend.put_vectors = put_vectors  # type: ignore[method-assign]
    S3VectorsBackend.delete_vectors = delete_vectors  # type: ignore[method-assign]


# -- the HTTP side ----------------------------------------------------------------------------

def _respond(self: Any) -> Any:
    from moto.core.responses import ActionResult

    bucket, name, arn = (self._get_param(p) for p in ("vectorBucketName", "indexName",
                                                       "indexArn"))
    self._validate_index_params(arn, name, bucket)
    top_k = self._get_param("topK")
    if not isinstance(top_k, int) or not 1 <= top_k <= TOP_K_MAX:
        raise _invalid("1 validation error detected. Value at '/topK' failed to satisfy "
                       f"constraint: Member must be between 1 and {TOP_K_MAX}, inclusive")
    query = (self._get_param("queryVector") or {}).get("float32")
    if not query:
        raise _invalid("queryVector is required and must hold a float32 array")
    metric, hits = self.s3vectors_backend.query_vectors(
        vector_bucket_name=bucket, index_name=name, index_arn=arn, top_k=top_k,
        query=query, metadata_filter=self._get_param("filter"))
    with_distance = self._get_bool_param("returnDistance", False)
    with_metadata = self._get_bool_param("returnMetadata", False)
    vectors = []
    for distance, vector in hits:
        out: dict[str, Any] = {"key": vector.key}
        if with_distance:
            out["distance"] = distance
        if with_metadata:
            out["metadata"] = vector.metadata or {}
        vectors.append(out)
    return ActionResult({"vectors": vectors, "distanceMetric": metric})


def _invalid(message: str) -> Exception:
    from moto.s3vectors.exceptions import ValidationError
    return ValidationError(message)


# -- the backend: exact nearest neighbours ----------------------------------------------------

def _query(self: Any, *, vector_bucket_name: str, index_name: str, index_arn: str, top_k: int,
           query: list[float], metadata_filter: Any) -> tuple[str, list[tuple[float, Any]]]:
    index = self.get_index(vector_bucket_name, index_name=index_name, index_arn=index_arn)
    if len(query) != index.dimension:
        raise _invalid(f"Invalid query vector: it must have length {index.dimension}, but has "
                       f"length {len(query)}")
    if any(not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x)
           for x in query):
        raise _invalid("Invalid query vector: every value must be a finite number")
    if metadata_filter is not None:
        _check_filter(metadata_filter, _non_filterable(index))
    import numpy as np

    vectors, matrix, norms = _matrix(index)
    if metadata_filter is None:
        rows = np.arange(len(vectors))
        distances = _distances(index.distance_metric, query, matrix, norms)
    else:
        rows = np.flatnonzero([_matches(metadata_filter, v.metadata or {}) for v in vectors])
        distances = _distances(index.distance_metric, query, matrix[rows], norms[rows])
    if len(rows) > top_k:  # only what could be among the top K (all of any tie at the edge)
        edge = np.partition(distances, top_k - 1)[top_k - 1]
        near = np.flatnonzero(distances <= edge)
        rows, distances = rows[near], distances[near]
    # The nearest first; the rows are in key order, so equal distances come in key order and an
    # answer is repeatable.
    order = np.lexsort((rows, distances))[:top_k]
    return index.distance_metric, [(float(distances[i]), vectors[rows[i]]) for i in order]


def _matrix(index: Any) -> tuple[list[Any], Any, Any]:
    """The index's vectors (in key order) as one matrix, built once per change (PutVectors and
    DeleteVectors drop it): a query at 10,000 resumes reads ~50,000 rows."""
    import numpy as np

    cached = getattr(index, "query_matrix", None)
    if cached is None:
        vectors = [index.vectors[k] for k in sorted(index.vectors)]
        # float32, as the index stores them (~75 MB for 50,000 rows of 384).
        matrix = np.asarray([v.data["float32"] for v in vectors] or np.zeros((0, index.dimension)),
                            dtype=np.float32)
        cached = index.query_matrix = (vectors, matrix, np.linalg.norm(matrix, axis=1))
    return cached


def _distances(metric: str, query: list[float], rows: Any, norms: Any) -> Any:
    import numpy as np

    q = np.asarray(query, dtype=np.float32)
    if metric == "euclidean":
        return np.sqrt(((rows - q) ** 2).sum(axis=1))
    scale = norms * np.linalg.norm(q)
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = np.where(scale > 0, (rows @ q) / scale, 0.0)  # a zero vector: orthogonal
    return 1.0 - np.clip(similarity, -1.0, 1.0)


# -- metadata ---------------------------------------------------------------------------------

def _non_filterable(index: Any) -> frozenset[str]:
    return getattr(index, "non_filterable_keys", frozenset())


def _size(metadata: dict[str, Any]) -> int:
    # AWS does not say how it counts bytes; the compact JSON encoding is the nearest reading.
    return len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode())


def _check_metadata(key: str, metadata: dict[str, Any], non_filterable: frozenset[str]) -> None:
    filterable = {k: v for k, v in metadata.items() if k not in non_filterable}
    if len(metadata) > METADATA_KEYS_MAX:
        raise _invalid(f"Invalid record for key '{key}': metadata has {len(metadata)} keys, "
                       f"more than {METADATA_KEYS_MAX}")
    if _size(filterable) > FILTERABLE_BYTES_MAX:
        raise _invalid(f"Invalid record for key '{key}': filterable metadata must have at most "
                       f"{FILTERABLE_BYTES_MAX} bytes, but has {_size(filterable)}")
    if _size(metadata) > METADATA_BYTES_MAX:
        raise _invalid(f"Invalid record for key '{key}': metadata must have at most "
                       f"{METADATA_BYTES_MAX} bytes, but has {_size(metadata)}")


def _primitive(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_filter(node: Any, non_filterable: frozenset[str]) -> None:
    """A malformed filter is the request's fault (400), whatever the vectors hold."""
    if not isinstance(node, dict) or not node:
        raise _invalid("Invalid filter: a filter must be a non-empty object")
    for key, value in node.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise _invalid(f"Invalid filter: {key} takes a non-empty array of filters")
            for child in value:
                _check_filter(child, non_filterable)
        elif key.startswith("$"):
            raise _invalid(f"Invalid filter: unknown operator {key}")
        elif key in non_filterable:
            raise _invalid(f"Invalid filter: metadata key '{key}' is not filterable")
        elif isinstance(value, dict):
            if not value:
                raise _invalid(f"Invalid filter: no condition for '{key}'")
            for op, operand in value.items():
                _check_operand(key, op, operand)
        elif not _primitive(value):
            raise _invalid(f"Invalid filter: '{key}' must be compared with a string, number or "
                           "boolean")


def _check_operand(key: str, op: str, operand: Any) -> None:
    if op not in _OPERATORS:
        raise _invalid(f"Invalid filter: unknown operator {op} for '{key}'")
    if op in ("$eq", "$ne") and not _primitive(operand):
        raise _invalid(f"Invalid filter: {op} takes a string, number or boolean")
    if op in _COMPARISONS and not _number(operand):
        raise _invalid(f"Invalid filter: {op} takes a number")
    if op in ("$in", "$nin") and (not isinstance(operand, list) or not operand
                                  or not all(_primitive(x) for x in operand)):
        raise _invalid(f"Invalid filter: {op} takes a non-empty array of strings, numbers or "
                       "booleans")
    if op == "$exists" and not isinstance(operand, bool):
        raise _invalid("Invalid filter: $exists takes a boolean")


def _matches(node: dict[str, Any], metadata: dict[str, Any]) -> bool:
    for key, value in node.items():
        if key == "$and":
            ok = all(_matches(child, metadata) for child in value)
        elif key == "$or":
            ok = any(_matches(child, metadata) for child in value)
        elif isinstance(value, dict):
            ok = all(_holds(op, operand, key in metadata, metadata.get(key))
                     for op, operand in value.items())
        else:
            ok = _holds("$eq", value, key in metadata, metadata.get(key))
        if not ok:
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    # true == 1 in Python, not in JSON: a boolean equals only a boolean.
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _holds(op: str, operand: Any, present: bool, value: Any) -> bool:
    if op == "$exists":
        return present == operand
    values = value if isinstance(value, list) else [value]  # a list matches by any element
    if op == "$ne":
        return not present or not any(_same(v, operand) for v in values)
    if op == "$nin":
        return not present or not any(_same(v, x) for v in values for x in operand)
    if not present:
        return False
    if op == "$eq":
        return any(_same(v, operand) for v in values)
    if op == "$in":
        return any(_same(v, x) for v in values for x in operand)
    compare = {"$gt": lambda v: v > operand, "$gte": lambda v: v >= operand,
               "$lt": lambda v: v < operand, "$lte": lambda v: v <= operand}[op]
    return any(_number(v) and compare(v) for v in values)
