"""Idempotency-Key on POST /professionals and POST /professionals/bulk (docs/api.md, Retrying
safely), on Powertools for AWS Lambda's idempotency utility and its DynamoDB persistence layer.

Powertools already does the hard part: a conditional put of an INPROGRESS record before the work
(so exactly one of several concurrent requests runs it), the kept response written after it,
payload validation, expiry, and removal of the record when the work raises. This module adds what
the contract says on top: the key's format, the caller's own key space, what "the same request"
means (method, path, query, body bytes), which answers are kept (every one below 500), the replay
header, and the three errors.

A record is ``{"id": "post#<sha256>", "status", "expiration", "in_progress_expiration",
"validation", "data"}`` in its own table (``<TABLE_NAME>-idempotency``, TTL ``expiration``); ``data``
is the kept response, zlib-compressed and base64-encoded (a bulk answer of 1,000 rows is 86 KB of
JSON, a 32 KB item as bench/idempotency_cost.py measures it; an item holds 400 KB).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any, Callable

from chalice import Response

from chalicelib import clients
from chalicelib.auth import ANONYMOUS, PARTNER, TOKEN, Caller
from chalicelib.errors import ApiError, BadRequest, Unavailable
from chalicelib.settings import get_settings

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_SECONDS = 24 * 3600
KEY_PREFIX = "post"  # the records' id prefix, the same for both routes: a key names one request
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Without a Lambda context (tests, the local server) an unfinished first request frees its key
# after this long, as a Lambda's timeout would (API Gateway gives up on it at 29 s).
_LOCAL_DEADLINE_MS = 30_000


class InProgress(ApiError):
    status, code = 409, "idempotency_in_progress"


class KeyReused(ApiError):
    status, code = 422, "idempotency_key_reused"


@dataclass(frozen=True)
class Request:
    """What makes two requests "the same": caller, method, path, query and body bytes."""

    caller: Caller
    key: str
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def payload(self) -> dict[str, Any]:
        return {"key": f"{scope(self.caller)}\n{self.key}",
                "request": {"method": self.method, "path": self.path,
                            "query": sorted(self.query.items()),
                            "body": hashlib.sha256(self.body).hexdigest()}}


def request_of(request: Any, caller: Caller) -> Request | None:
    """The Chalice request as idempotency sees it, or None without the header (400s as
    ``key_from`` says)."""
    key = key_from(request.headers, caller)
    if key is None:
        return None
    return Request(caller=caller, key=key, method=request.method, path=request.path,
                   query=dict(request.query_params or {}), body=request.raw_body or b"")


def key_from(headers: dict[str, str], caller: Caller) -> str | None:
    """The request's Idempotency-Key, or None; 400 for an anonymous caller or a malformed key."""
    key = headers.get(HEADER)
    if key is None:
        return None
    if caller.role in (ANONYMOUS, TOKEN):
        # Their requests answer with an access token, which no kept response may hold; and a
        # person's token is no scope of its own (it names a record, not a client).
        raise BadRequest("Idempotency-Key needs an API key: anonymous requests and personal "
                         "access tokens cannot use it.", {"header": HEADER})
    if not _KEY.fullmatch(key):
        raise BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters "
                         "(0x21-0x7E).", {"header": HEADER})
    return key


def scope(caller: Caller) -> str:
    """A partner's keys are the partner's (all its API keys share them); staff keys are each
    their own."""
    return f"partner:{caller.name}" if caller.role == PARTNER else f"{caller.role}:{caller.key_id}"


def record_id(request: Request) -> str:
    """The id of the record kept for ``request``'s key (what erasure deletes)."""
    store = persistence_store()
    _configure(store)
    return store._get_hashed_idempotency_key(request.payload())  # "post#<sha256>"


def run(request: Request | None, work: Callable[[], Response], *,
        lambda_context: Any = None) -> Response:
    """``work()``'s response, run once per key; a repeat gets the kept response."""
    if request is None:
        return work()
    from aws_lambda_powertools.utilities.idempotency import exceptions
    from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler

    handler = IdempotencyHandler(
        function=_keep, function_payload=request.payload(), config=_config(lambda_context),
        persistence_store=persistence_store(), output_serializer=_Compressed(),
        key_prefix=KEY_PREFIX, function_args=(), function_kwargs={"work": work})
    try:
        kept = handler.handle()
    except exceptions.IdempotencyAlreadyInProgressError:
        raise InProgress("A request with this Idempotency-Key is still running; retry shortly.",
                         {"header": HEADER}) from None
    except exceptions.IdempotencyValidationError:
        raise KeyReused("This Idempotency-Key was used for a different request; use a new key "
                        "for a new request.", {"header": HEADER}) from None
    except exceptions.IdempotencyPersistenceLayerError as exc:
        raise Unavailable("The idempotency store is unreachable; please retry.") from exc
    return kept.response()


@dataclass
class _Kept:
    status: int
    body: Any
    headers: dict[str, str]
    replayed: bool = False

    def response(self) -> Response:
        headers = {"Content-Type": "application/json", **self.headers}
        if self.replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(self.body, status_code=self.status, headers=headers)


class _NotKept(Exception):
    """A 5xx answer: Powertools deletes the record when the work raises, so a retry runs again."""


def _keep(*, work: Callable[[], Response]) -> _Kept:
    try:
        response = work()
    except ApiError as exc:
        if exc.status >= 500:
            raise
        return _Kept(exc.status, exc.body(), {})
    if response.status_code >= 500:
        raise _NotKept(response)
    return _Kept(response.status_code, response.body,
                 {k: v for k, v in response.headers.items() if k.lower() == "location"})


class _Compressed:
    """Powertools output serializer: the kept response as base64(zlib(JSON))."""

    def to_dict(self, kept: _Kept) -> dict[str, str]:
        raw = json.dumps([kept.status, kept.body, kept.headers], separators=(",", ":"))
        return {"z": base64.b64encode(zlib.compress(raw.encode(), 6)).decode()}

    def from_dict(self, data: dict[str, str]) -> _Kept:
        status, body, headers = json.loads(zlib.decompress(base64.b64decode(data["z"])))
        return _Kept(status, body, headers)


def _replayed(kept: _Kept, record: Any) -> _Kept:
    kept.replayed = True
    return kept


class _Deadline:
    """The Lambda context's remaining time, or a local stand-in: when the first request is
    presumed dead, its INPROGRESS record stops blocking its key."""

    def __init__(self, context: Any):
        self._remaining = getattr(context, "get_remaining_time_in_millis", None)

    def get_remaining_time_in_millis(self) -> int:
        if self._remaining is not None:
            try:
                return int(self._remaining())
            except Exception:  # chalice local's context may not know its deadline
                pass
        return _LOCAL_DEADLINE_MS


def _config(lambda_context: Any) -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    config = IdempotencyConfig(
        event_key_jmespath="key", payload_validation_jmespath="request",
        raise_on_no_idempotency_key=True, expires_after_seconds=KEPT_SECONDS,
        hash_function="sha256", response_hook=_replayed)
    config.register_lambda_context(_Deadline(lambda_context))
    return config


def _configure(store: Any) -> None:
    store.configure(_config(None), key_prefix=KEY_PREFIX)


def persistence_store() -> Any:
    """The Powertools DynamoDB persistence layer on the idempotency table (one per table and
    client: the layer registers itself on the client each time it is made)."""
    return _store(get_settings().idempotency_table_name, clients.dynamodb())


@functools.lru_cache(maxsize=8)
def _store(table_name: str, client: Any) -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)


def forget(item: Any) -> None:
    """Erasure: delete the kept response that created ``item`` (it holds the person's data).

    Bulk responses are not deleted: they hold row numbers, statuses and ids, no personal data.
    """
    kept = getattr(item, "idempotency_record", None)
    if kept:
        clients.dynamodb().delete_item(TableName=get_settings().idempotency_table_name,
                                       Key={"id": {"S": kept}})
