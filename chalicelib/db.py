"""The DynamoDB table: binding the models to the configured table, reads, queries, transactions.

The only module that talks to DynamoDB directly, and the one place where the store's failures
(throttling, server errors, no connection) become ``StoreUnavailable``, a 503 at the boundary. Connections are created lazily, once per
table name, so importing the app touches nothing and tests can point it at moto or an emulator.
"""
from __future__ import annotations

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from chalice.app import ChaliceUnhandledError
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException

from chalicelib.models import ApiKeyItem, GuardItem, ProfessionalItem, TableItem, UsedLinkItem
from chalicelib.settings import get_settings

_MODELS = (TableItem, ProfessionalItem, GuardItem, ApiKeyItem, UsedLinkItem)
_bound: dict[str, Any] = {"table": None, "connection": None}

# Written by the local stack once resources and demo data are in place (see /health).
READY_MARKER = "META#ready"
BATCH_GET_MAX = 100
TRANSACTION_MAX = 100
THROTTLE_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException",
                  "RequestLimitExceeded", "ThrottlingError", "InternalServerError",
                  "ServiceUnavailable"}


T = TypeVar("T")
WRITE_ATTEMPTS = 5


class StoreUnavailable(ChaliceUnhandledError):
    """DynamoDB could not be reached, kept throttling, or kept cancelling a conditional write,
    after bounded retries. The HTTP boundary (app.py) answers it with 503 ``unavailable``; the
    base class is what lets it through Chalice, which turns other exceptions into its own 500."""


@contextmanager
def unavailable_on_error(what: str) -> Iterator[None]:
    """Any failure of a DynamoDB call inside is the store's: StoreUnavailable (503), not a 500."""
    try:
        yield
    except (PynamoDBException, ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"{what} failed: {exc}") from exc


def bind() -> str:
    """Point every model at the configured table; returns the table name."""
    settings = get_settings()
    if _bound["table"] != settings.table_name:
        TableItem.Meta.table_name = settings.table_name
        TableItem.Meta.region = settings.region
        for model in _MODELS:
            model._connection = None
        _bound["connection"] = Connection(region=settings.region)
        _bound["table"] = settings.table_name
    return settings.table_name


def connection() -> Connection:
    bind()
    return _bound["connection"]


def _client() -> Any:
    """The botocore client under PynamoDB's connection: exact request shapes, no DescribeTable."""
    return connection().client


@dataclass
class Action:
    """One write of a transaction; ``tag`` says which unit of work it belongs to."""

    op: str  # "put" or "delete"
    model: TableItem
    condition: Any = None
    tag: Any = None
    return_old: bool = False


@dataclass
class Cancelled(Exception):
    """The transaction was cancelled; ``failed`` pairs each failing action with its reason code
    and, for actions that asked for it, the item as it stood."""

    failed: list[tuple[Action, str, dict | None]] = field(default_factory=list)

    def codes(self) -> set[str]:
        return {code for _, code, _ in self.failed}


def transact(actions: list[Action], raw: list[dict[str, Any]] = ()) -> None:
    """Write the actions in one TransactWriteItems, or raise Cancelled / StoreUnavailable.
    ``raw``: items of another table, in the API's own shape, written last in the same call
    (a delete's history marker); a cancellation never names them."""
    if not actions:
        return
    assert len(actions) + len(raw) <= TRANSACTION_MAX
    bind()  # before the items name their table: a process's first write may be this one
    items = []
    for a in actions:
        if a.op == "put":
            kwargs = a.model.get_save_kwargs_from_instance(
                condition=a.condition,
                return_values_on_condition_failure="ALL_OLD" if a.return_old else None)
            items.append({"Put": kwargs})
        else:
            items.append({"Delete": a.model.get_delete_kwargs_from_instance(
                condition=a.condition, add_version_condition=False)})
    items.extend(raw)
    try:
        _client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code != "TransactionCanceledException":
            raise StoreUnavailable(f"TransactWriteItems failed: {code}") from exc
        reasons = exc.response.get("CancellationReasons") or []
        failed = [(action, r.get("Code"), r.get("Item")) for action, r in zip(actions, reasons)
                  if r.get("Code") not in (None, "None")]
        if not failed:
            raise StoreUnavailable("transaction cancelled without a reason") from exc
        raise Cancelled(failed) from None
    except BotoCoreError as exc:
        raise StoreUnavailable(str(exc)) from exc


def batch_get(pks: Iterable[str], *, attempts: int = 8) -> dict[str, TableItem]:
    """Strongly consistent BatchGetItem of many keys (100 a call), retrying unprocessed keys."""
    table = bind()
    pending = list(dict.fromkeys(pks))
    found: dict[str, TableItem] = {}
    for start in range(0, len(pending), BATCH_GET_MAX):
        request = {table: {"Keys": [{"pk": {"S": pk}} for pk in pending[start:start + BATCH_GET_MAX]],
                           "ConsistentRead": True}}
        for attempt in range(attempts):
            with unavailable_on_error("BatchGetItem"):
                data = _client().batch_get_item(RequestItems=request)
            for raw in data.get("Responses", {}).get(table, []):
                item = TableItem.from_raw_data(raw)
                found[item.pk] = item
            request = data.get("UnprocessedKeys") or {}
            if not request:
                break
            backoff(attempt)
        else:
            raise StoreUnavailable("BatchGetItem kept returning unprocessed keys")
    return found


def get(pk: str) -> TableItem | None:
    bind()
    with unavailable_on_error("GetItem"):
        try:
            return TableItem.get(pk, consistent_read=True)
        except TableItem.DoesNotExist:  # a PynamoDBException too: caught before the mapping
            return None


def query(index: Any, hash_key: str, **kwargs: Any) -> list[TableItem]:
    """A Query of one of the table's indexes (PynamoDB's arguments), read to the end: the
    iterator fetches pages lazily, so a failure can come at any item, not only at the call."""
    bind()
    with unavailable_on_error("Query"):
        return list(index.query(hash_key, **kwargs))


def query_page(index: Any, hash_key: str, *, limit: int,
               **kwargs: Any) -> tuple[list[TableItem], dict | None]:
    """Exactly one Query of an index (``Limit`` = limit): its items and ``LastEvaluatedKey``.
    With a filter, the page may hold fewer items than were read; the key says where to go on."""
    bind()
    with unavailable_on_error("Query"):
        pages = index.query(hash_key, page_size=limit, **kwargs).page_iter
        raw = next(pages)
    return [TableItem.from_raw_data(i) for i in raw.get("Items", [])], pages.last_evaluated_key


def exists(pk: str) -> bool:
    """Whether an item exists, whatever its kind (reads the key only)."""
    table = bind()
    with unavailable_on_error("GetItem"):
        found = _client().get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True,
                                   ProjectionExpression="pk")
    return "Item" in found


def fields(pk: str, *names: str) -> dict[str, Any] | None:
    """A few top-level attributes of an item (raw DynamoDB values), or None when it is absent:
    one strongly consistent GetItem that reads no more than it needs."""
    table = bind()
    projection = ", ".join(f"#a{i}" for i in range(len(names)))
    with unavailable_on_error("GetItem"):
        found = _client().get_item(
            TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True,
            ProjectionExpression=f"pk, {projection}",
            ExpressionAttributeNames={f"#a{i}": name for i, name in enumerate(names)})
    return found.get("Item")


def mark_ready() -> None:
    _client().put_item(TableName=bind(), Item={"pk": {"S": READY_MARKER}})


def retrying(attempt: Callable[[], T], *, what: str, attempts: int = WRITE_ATTEMPTS) -> T:
    """Optimistic concurrency: run ``attempt`` (read, decide, conditional write) again while its
    transaction is cancelled, i.e. another writer changed what it read. Raising anything else
    (a conflict the caller decided on, say) ends it; so does a bounded number of tries, with
    jittered backoff between them, after which the store counts as unavailable."""
    for n in range(attempts):
        try:
            return attempt()
        except Cancelled:
            if n + 1 < attempts:
                backoff(n)
    raise StoreUnavailable(f"{what}: still contended after {attempts} attempts")


def backoff(attempt: int, base: float = 0.05, cap: float = 2.0) -> None:
    """Sleep with full jitter: bounded exponential backoff between retries."""
    time.sleep(random.uniform(0, min(cap, base * 2 ** attempt)))
