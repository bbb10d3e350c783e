"""The search index's own table: what its items are, and the only code that reads or writes it.

Keys (``pk``, ``sk``; no secondary index):

- ``P#<prefix>`` / ``<9 - tier><exact>#<created_at>#<id>``: a profile posting. One per
  professional and prefix (analyzer.PREFIX_LENGTHS: 2..6, then 8, 10, .. 20 characters) of a
  word of their name, company, title, email or phone;
  ``w`` lists their words that start with it, for longer terms (" engineer engines"). The
  sort key puts the best tier first, then (``exact`` 1) professionals with a word of that tier
  equal to the prefix ("jose" puts José above Joseph), then the newest (queried descending), so
  a one-term query of a partition's length reads its pages off the front of one partition.
- ``R#<stem>`` / ``<score>#<created_at>#<id>``: a resume posting, one per professional and
  distinct English stem of their resume words (analyzer.stem: engineer, engineers and
  engineering share one). ``score`` is how much the resume uses the stem for its length (tf /
  words, fixed width), so tier 4 of a one-term query is also read in order.
- ``DOC#<id>`` / ``DOC``: what is indexed for one professional: the stream version it reflects,
  a digest of the indexed content, the keys of its postings (so stale ones can be removed), and
  the resume's word counts and text (compressed) for multi-term checks and snippets.

- ``META`` / ``REGIONS``: the regions of the phones indexed (``r``, a string set, only ever
  added to), so that a national number typed with its trunk ``0`` is read in each of them.
- ``V#<deletion>`` / ``V`` and ``W#<word>`` / ``W``: the vocabulary of profile words, for typos
  (``vocabulary.py``). These and ``META`` items belong to no professional (``is_shared``).

Every posting carries the professional's profile words (``pf``), source and list key, so a
candidate can be checked against every other term, and ranked, without another read.
"""
from __future__ import annotations

import base64
import hashlib
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clients, db
from chalicelib.search import analyzer
from chalicelib.settings import get_settings

SCORE_SCALE = 10 ** 9
DOC_SK = "DOC"
BATCH_WRITE_MAX = 25
TOMBSTONE_SECONDS = 7 * 24 * 3600  # longer than a stream keeps records (24 h)



def doc_pk(professional_id: str) -> str:
    return f"DOC#{professional_id}"


def profile_pk(prefix: str) -> str:
    return f"P#{prefix}"


def resume_pk(word: str) -> str:
    return f"R#{word}"


def score(tf: int, total: int) -> int:
    """A resume's use of a word for its length, as a whole number (0..SCORE_SCALE)."""
    return (tf * SCORE_SCALE) // total if total else 0


def profile_sk(tier: int, exact: bool, list_key: str) -> str:
    return f"{9 - tier}{int(exact)}#{list_key}"


def resume_sk(points: int, list_key: str) -> str:
    return f"{points:010d}#{list_key}"


def pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, separators=(",", ":"),
                                    ensure_ascii=False).encode("utf-8"), 6)


def unpack(value: bytes) -> Any:
    return json.loads(zlib.decompress(value).decode("utf-8"))


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to besides its terms (8.3), each checked on the postings."""

    source: str | None = None
    has_resume: bool | None = None
    email_verified: bool | None = None
    created_from: str | None = None  # clock.iso() form: list keys compare with it as text
    created_to: str | None = None

    def scope(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __bool__(self) -> bool:
        return bool(self.scope())

    def expression(self) -> tuple[list[str], dict[str, Any]]:
        """FilterExpression clauses and their values, over a posting's attributes."""
        clauses, values = [], {}
        if self.source:
            clauses.append("src = :src")
            values[":src"] = {"S": self.source}
        for name, attr in (("has_resume", "hr"), ("email_verified", "ev")):
            wanted = getattr(self, name)
            if wanted is not None:
                clauses.append(f"{attr} = :{attr}" if wanted else f"attribute_not_exists({attr})")
                if wanted:
                    values[f":{attr}"] = {"N": "1"}
        if self.created_from:
            clauses.append("lk >= :cf")
            values[":cf"] = {"S": self.created_from}
        if self.created_to:
            clauses.append("lk < :ct")
            values[":ct"] = {"S": self.created_to}
        return clauses, values

    def admits(self, *, source: str, has_resume: bool, email_verified: bool,
               list_key: str) -> bool:
        return ((self.source is None or source == self.source)
                and (self.has_resume is None or has_resume == self.has_resume)
                and (self.email_verified is None or email_verified == self.email_verified)
                and (self.created_from is None or list_key >= self.created_from)
                and (self.created_to is None or list_key < self.created_to))


@dataclass
class Document:
    """What the index holds for one professional at one version."""

    id: str
    version: int
    list_key: str
    source: str
    profile: dict[str, list[str]]
    email_verified: bool = False
    text_key: str | None = None
    resume_text: str | None = None  # capped, as indexed
    counts: dict[str, int] = field(default_factory=dict)
    total_words: int = 0

    def digest(self) -> str:
        content = [self.list_key, self.source, self.profile, self.text_key,
                   self.email_verified]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]

    def postings(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every posting of this document, by (pk, sk)."""
        shared = {"id": self.id, "lk": self.list_key, "src": self.source,
                  "pf": json.dumps(self.profile, separators=(",", ":"), ensure_ascii=False),
                  "rn": self.total_words}
        # the filters' flags: present when true (absent in postings of an older layout)
        if self.text_key:
            shared["hr"] = 1
        if self.email_verified:
            shared["ev"] = 1
        best: dict[str, int] = {}
        exact: dict[str, int] = {}  # the best tier of a word equal to the prefix
        starting: dict[str, set[str]] = {}
        for name in analyzer.PROFILE_FIELDS:
            tier = analyzer.FIELD_TIER[name]
            for word in self.profile.get(name, ()):
                for prefix in analyzer.prefixes(word):
                    best[prefix] = min(best.get(prefix, 9), tier)
                    starting.setdefault(prefix, set()).add(word)
                if word in best:
                    exact[word] = min(exact.get(word, 9), tier)
        for end in self.profile.get(analyzer.PHONE_ENDS, ()):
            # a term equal to a trailing run reads the partition of its own length's prefix;
            # it matches as a prefix does (never exact)
            prefix = analyzer.partition_prefix(end)
            best[prefix] = min(best.get(prefix, 9), analyzer.FIELD_TIER["phone"])
            starting.setdefault(prefix, set()).add(end)
        out = {(profile_pk(p), profile_sk(t, exact.get(p) == t, self.list_key)):
               {**shared, "w": "".join(f" {w}" for w in sorted(starting[p]))}
               for p, t in best.items()}
        for stem, tf in self.counts.items():
            if len(stem) < analyzer.MIN_TERM:
                continue
            out[(resume_pk(stem), resume_sk(score(tf, self.total_words), self.list_key))] = {
                **shared, "tf": tf}
        return out


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


def doc_key(professional_id: str) -> tuple[str, str]:
    return doc_pk(professional_id), DOC_SK


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
SHARED_PREFIXES = ("META", "V#", "W#")  # items of no one professional: lists, the vocabulary


def is_shared(item: dict[str, Any]) -> bool:
    return str(item.get("pk", "")).startswith(SHARED_PREFIXES)


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


def query_page(pk: str, *, start: dict[str, Any] | None = None, limit: int | None = None,
               where: Filters = Filters(), word_prefix: str | None = None,
               ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One Query of a posting partition, best first; returns items and LastEvaluatedKey."""
    kwargs: dict[str, Any] = {"TableName": _table(), "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": pk}},
                              "ScanIndexForward": False}
    filters, values = where.expression()
    kwargs["ExpressionAttributeValues"].update(values)
    if word_prefix:
        filters.append("contains(w, :w)")
        kwargs["ExpressionAttributeValues"][":w"] = {"S": f" {word_prefix}"}
    if filters:
        kwargs["FilterExpression"] = " AND ".join(filters)
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
