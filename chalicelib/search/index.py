"""The search index's table: the only code that reads or writes it (its items: ``layout.py``).

Every call translates the store's failures once (``_store``): a search or an indexer sees
``db.StoreUnavailable``, or a conditional write's ConditionalCheckFailedException.
"""
from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clients, db
from chalicelib.search.layout import (DF_KEY, DOC_SK, df_attribute, df_bucket, doc_key, doc_pk,
                                      is_shared, unpack)
from chalicelib.settings import get_settings

BATCH_WRITE_MAX = 25
DF_TERMS_A_WRITE = 50  # an update expression stays well under DynamoDB's 4 KB
TOMBSTONE_SECONDS = 7 * 24 * 3600  # longer than a stream keeps records (24 h)
__all__ = ["doc_key", "is_shared", "DOC_SK"]


@dataclass
class IndexedState:
    """The DOC item as stored."""

    version: int
    digest: str | None
    keys: list[tuple[str, str]]
    text_key: str | None
    gone: bool
    raw: dict[str, Any]

    def resume(self) -> tuple[str | None, dict[str, int], int]:
        text = unpack(self.raw["rt"]) if "rt" in self.raw else None
        counts = unpack(self.raw["rw"]) if "rw" in self.raw else {}
        return text, counts, int(self.raw.get("rn", 0))


# -- table access ------------------------------------------------------------------------------

@contextmanager
def _store(what: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else ""
        if code == "ConditionalCheckFailedException":
            raise
        raise db.StoreUnavailable(f"search index {what} failed: {exc}") from exc


def _table() -> str:
    return get_settings().search_table_name


def _client() -> Any:
    return clients.dynamodb()


# DynamoDB's attribute values, written here rather than with boto3's TypeSerializer: the
# Lambda zip carries botocore (PynamoDB's) but not boto3, and a search reads a thousand
# postings at a time, where TypeDeserializer's generality costs.

def to_raw(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _typed(v) for k, v in item.items()}


def _typed(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, dict):
        return {"M": to_raw(value)}
    if isinstance(value, (list, tuple)):
        return {"L": [_typed(v) for v in value]}
    if isinstance(value, (set, frozenset)) and value and all(isinstance(v, str) for v in value):
        return {"SS": sorted(value)}
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def from_raw(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in raw.items()}


def plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as Python (binary given as bytes, or base64 as Lambda's
    stream events carry it)."""
    (kind, data), = value.items()
    if kind == "S" or kind == "BOOL":
        return data
    if kind == "N":
        return int(data) if data.lstrip("-").isdigit() else Decimal(data)
    if kind == "B":
        return base64.b64decode(data) if isinstance(data, str) else bytes(data)
    if kind == "NULL":
        return None
    if kind == "M":
        return from_raw(data)
    if kind == "L":
        return [plain(v) for v in data]
    if kind in ("SS", "NS", "BS"):
        return {plain({kind[0]: v}) for v in data}
    raise ValueError(f"unknown DynamoDB type {kind}")


def _state(item: dict[str, Any]) -> IndexedState:
    keys = [tuple(k.split("\t", 1)) for k in unpack(item["ks"])] if "ks" in item else []
    return IndexedState(version=int(item.get("v", 0)), digest=item.get("dg"), keys=keys,
                        text_key=item.get("rk"), gone=bool(item.get("gone")), raw=item)


def read_state(professional_id: str) -> IndexedState | None:
    with _store("GetItem"):
        raw = _client().get_item(TableName=_table(), ConsistentRead=True,
                                 Key=to_raw({"pk": doc_pk(professional_id), "sk": DOC_SK}),
                                 ).get("Item")
    return _state(from_raw(raw)) if raw else None


def read_states(ids: list[str]) -> dict[str, IndexedState]:
    """The DOC items of many professionals (BatchGetItem, 100 a request, side by side)."""
    return {i: _state(item) for i, item in read_documents(ids, None).items()}


def write_state(professional_id: str, *, expected: IndexedState | None,
                attributes: dict[str, Any]) -> None:
    """Put the DOC item if it is still as ``expected`` (else ConditionalCheckFailedException)."""
    item = {"pk": doc_pk(professional_id), "sk": DOC_SK, "id": professional_id, **attributes}
    if expected is None:
        condition, values = "attribute_not_exists(pk)", None
    else:
        condition, values = "v = :v", {":v": _typed(expected.version)}
    kwargs: dict[str, Any] = {"TableName": _table(), "Item": to_raw(item),
                              "ConditionExpression": condition}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    with _store("PutItem"):
        _client().put_item(**kwargs)


REGIONS_KEY = {"pk": "META", "sk": "REGIONS"}
def add_regions(regions: set[str]) -> None:
    add_to_sets(REGIONS_KEY, {"r": regions})


def held_regions() -> list[str]:
    """The regions of the phones indexed, sorted (a stable order to read numbers in)."""
    found = get_items([REGIONS_KEY], ("r",))  # BatchGetItem: the API's one read of the index
    return sorted(found[0].get("r", ())) if found else []


def get_item(key: dict[str, str]) -> dict[str, Any] | None:
    with _store("GetItem"):
        raw = _client().get_item(TableName=_table(), Key=to_raw(key), ConsistentRead=True)
    return from_raw(raw["Item"]) if "Item" in raw else None


def put_item(item: dict[str, Any]) -> None:
    with _store("PutItem"):
        _client().put_item(TableName=_table(), Item=to_raw(item))


def delete_item(key: dict[str, str]) -> None:
    with _store("DeleteItem"):
        _client().delete_item(TableName=_table(), Key=to_raw(key))


def write_postings(puts: dict[tuple[str, str], dict[str, Any]],
                   deletes: list[tuple[str, str]], *, parallel_requests: bool = False) -> None:
    """BatchWriteItem every put and delete (25 a request, several at once when asked),
    retrying unprocessed ones."""
    requests = [{"PutRequest": {"Item": to_raw({"pk": pk, "sk": sk, **attrs})}}
                for (pk, sk), attrs in puts.items()]
    requests += [{"DeleteRequest": {"Key": to_raw({"pk": pk, "sk": sk})}} for pk, sk in deletes]
    table = _table()

    def send(chunk: list[dict[str, Any]]) -> None:
        pending = {table: chunk}
        for attempt in range(8):
            with _store("BatchWriteItem"):
                answer = _client().batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            db.backoff(attempt)
        raise db.StoreUnavailable("BatchWriteItem kept returning unprocessed items")

    chunks = [requests[i:i + BATCH_WRITE_MAX] for i in range(0, len(requests), BATCH_WRITE_MAX)]
    if parallel_requests:
        parallel(send, chunks)
    else:
        for chunk in chunks:
            send(chunk)


def query(pk: str, *, start: dict[str, Any] | None = None, limit: int | None = None,
          sk_from: str | None = None, sk_to: str | None = None, condition: str = "",
          values: dict[str, str] | None = None, attributes: str | None = None,
          ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One Query of a partition, highest sort key first: ``sk`` within [sk_from, sk_to] (either
    end open), ``condition`` a FilterExpression over string ``values``; returns the items and
    LastEvaluatedKey."""
    expression_values = {":pk": {"S": pk}, **{k: {"S": v} for k, v in (values or {}).items()}}
    key = "pk = :pk"
    if sk_from is not None and sk_to is not None:
        key += " AND sk BETWEEN :skf AND :skt"
    elif sk_from is not None:
        key += " AND sk >= :skf"
    elif sk_to is not None:
        key += " AND sk <= :skt"
    if sk_from is not None:
        expression_values[":skf"] = {"S": sk_from}
    if sk_to is not None:
        expression_values[":skt"] = {"S": sk_to}
    kwargs: dict[str, Any] = {"TableName": _table(), "KeyConditionExpression": key,
                              "ExpressionAttributeValues": expression_values,
                              "ScanIndexForward": False}
    if condition:
        kwargs["FilterExpression"] = condition
    if attributes:
        kwargs["ProjectionExpression"] = attributes
    if start:
        kwargs["ExclusiveStartKey"] = start
    if limit:
        kwargs["Limit"] = limit
    with _store("Query"):
        answer = _client().query(**kwargs)
    return [from_raw(raw) for raw in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def read_documents(ids: list[str], attributes: tuple[str, ...] | None,
                   ) -> dict[str, dict[str, Any]]:
    """BatchGetItem of DOC items (100 a request, side by side): ``attributes`` only, or all."""
    keys = [{"pk": doc_pk(i), "sk": DOC_SK} for i in ids]
    items = get_items(keys, ("id",) + attributes if attributes is not None else None)
    return {item["id"]: item for item in items}


def get_items(keys: list[dict[str, str]], attributes: tuple[str, ...] | None = None,
              ) -> list[dict[str, Any]]:
    """BatchGetItem of these keys (100 a request, side by side): ``attributes`` only
    (eventually consistent), or whole items (consistent)."""
    if not keys:
        return []
    chunks = [keys[i:i + db.BATCH_GET_MAX] for i in range(0, len(keys), db.BATCH_GET_MAX)]

    def fetch(chunk: list[dict[str, str]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {_table(): {"Keys": [to_raw(k) for k in chunk],
                                              "ConsistentRead": attributes is None}}
        if attributes is not None:
            names = {f"#a{i}": a for i, a in enumerate(attributes)}
            request[_table()].update({"ProjectionExpression": ", ".join(names),
                                      "ExpressionAttributeNames": names})
        got: list[dict[str, Any]] = []
        for attempt in range(8):
            with _store("BatchGetItem"):
                answer = _client().batch_get_item(RequestItems=request)
            got += answer.get("Responses", {}).get(_table(), [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return got
            db.backoff(attempt)
        raise db.StoreUnavailable("BatchGetItem kept returning unprocessed keys")

    return [from_raw(raw) for raws in parallel(fetch, chunks) for raw in raws]


def add_to_sets(key: dict[str, str], sets: dict[str, set[str]]) -> None:
    """ADD these strings to these string-set attributes of one item (created if need be)."""
    names = {f"#s{i}": name for i, name in enumerate(sets)}
    values = {f":s{i}": {"SS": sorted(sets[name])} for i, name in enumerate(sets)}
    with _store("UpdateItem"):
        _client().update_item(TableName=_table(), Key=to_raw(key),
                              UpdateExpression="ADD " + ", ".join(f"{n} {v}" for n, v in
                                                                  zip(names, values)),
                              ExpressionAttributeNames=names, ExpressionAttributeValues=values)


def add_document_frequencies(changes: dict[str, int], resumes: int) -> None:
    """ADD these changes to the stems' document frequencies (one UpdateItem a bucket, each
    at most DF_TERMS_A_WRITE stems) and ``resumes`` to the resumes' count."""
    by_bucket: dict[str, list[tuple[str, int]]] = {}
    for stem, change in changes.items():
        if change:
            by_bucket.setdefault(df_bucket(stem)["pk"], []).append((stem, change))
    writes = [(pk, stems[i:i + DF_TERMS_A_WRITE]) for pk, stems in by_bucket.items()
              for i in range(0, len(stems), DF_TERMS_A_WRITE)]

    def add(write: tuple[str, list[tuple[str, int]]]) -> None:
        pk, stems = write
        _add_numbers({"pk": pk, "sk": "F"}, {df_attribute(s): n for s, n in stems})

    parallel(add, writes)
    if resumes:
        _add_numbers(DF_KEY, {"n": resumes})


def _add_numbers(key: dict[str, str], numbers: dict[str, int]) -> None:
    names = {f"#n{i}": name for i, name in enumerate(numbers)}
    values = {f":n{i}": {"N": str(n)} for i, n in enumerate(numbers.values())}
    with _store("UpdateItem"):
        _client().update_item(TableName=_table(), Key=to_raw(key),
                              UpdateExpression="ADD " + ", ".join(f"{n} {v}" for n, v in
                                                                  zip(names, values)),
                              ExpressionAttributeNames=names, ExpressionAttributeValues=values)


def document_frequencies(stems: list[str]) -> tuple[dict[str, int], int]:
    """How many resumes hold each stem, and how many resumes there are: one BatchGetItem."""
    keys = {df_bucket(s)["pk"]: df_bucket(s) for s in stems}
    attributes = {df_attribute(s) for s in stems}
    found = get_items([*keys.values(), DF_KEY], tuple(sorted(attributes | {"n", "pk"})))
    counts: dict[str, int] = {}
    resumes = 0
    for item in found:
        if item.get("pk") == DF_KEY["pk"]:
            resumes = int(item.get("n", 0))
            continue
        for stem in stems:
            if df_attribute(stem) in item:
                counts[stem] = int(item[df_attribute(stem)])
    return counts, resumes


def existing_keys(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these postings exist (verification: 100 keys a request)."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), db.BATCH_GET_MAX):
        request = {_table(): {"Keys": [to_raw({"pk": pk, "sk": sk})
                                       for pk, sk in keys[start:start + db.BATCH_GET_MAX]],
                              "ProjectionExpression": "pk, sk"}}
        while request:
            with _store("BatchGetItem"):
                answer = _client().batch_get_item(RequestItems=request)
            found |= {(r["pk"]["S"], r["sk"]["S"])
                      for r in answer.get("Responses", {}).get(_table(), [])}
            request = answer.get("UnprocessedKeys") or {}
    return found


def scan_items(segment: int = 0, segments: int = 1) -> Iterator[dict[str, Any]]:
    """Every item of the index table (verification and reindexing only; never a search)."""
    paginator = _client().get_paginator("scan")
    with _store("Scan"):
        for page in paginator.paginate(TableName=_table(), Segment=segment,
                                       TotalSegments=segments,
                                       ProjectionExpression="pk, sk, id, gone"):
            yield from (from_raw(raw) for raw in page.get("Items", []))


_pool: ThreadPoolExecutor | None = None


def parallel(fn: Any, args: list[Any]) -> list[Any]:
    """Run independent reads side by side (the client is thread-safe)."""
    global _pool
    if len(args) <= 1:
        return [fn(a) for a in args]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="search")
    return list(_pool.map(fn, args))
