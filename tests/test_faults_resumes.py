"""Faults injected in the middle of resume processing, with botocore event hooks on the app's S3
client and on the store's DynamoDB client.

For every step of ``process_upload`` that can fail (HeadObject, the "processing" write, GetObject,
PutObject of the text, CopyObject of the PDF, the "ready"/"rejected" write, DeleteObjects of the
upload) one fault is injected and we check that:
  1. the SQS record comes back as a batch item failure (SQS would redeliver it), and nothing is
     ``ready`` without its text and PDF objects;
  2. redelivering the same record once the fault is gone finishes the job: ``ready`` (or the
     right rejection), text and PDF present and byte-identical, upload deleted, no other object
     left under ``text/`` or ``resumes/``, invariants clean;
  3. delivering it again afterwards changes nothing;
  4. a persistent fault fails every delivery after a bounded number of S3 calls.

Three kinds of fault:
  * ``before-call`` answering an error or raising: the call never reaches S3/DynamoDB (what the
    app sees once botocore's own retries gave up);
  * ``after-call`` raising: S3/DynamoDB applied the request but the answer was lost (timeout);
  * ``before-send`` answering an error or raising, per HTTP attempt: botocore's retries run.

Verification reads go through a separate, unhooked S3 client.
"""
from __future__ import annotations

import copy
import functools
import itertools
import json
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from chalicelib import clients, db, resume_processor, resumes
from tests import pdf_corpus
from tests.invariants import assert_invariants
from tests.test_resumes import DESCRIPTOR, s3_event

BUCKET = "professionals-resumes-test"
WORDS = "Fault injected resume"
PDF = pdf_corpus.pdf(1, words=WORDS)
PNG = pdf_corpus.png()
S3_WRITES = {"PutObject", "CopyObject", "DeleteObjects", "DeleteObject"}


@functools.lru_cache(maxsize=1)
def expected_text() -> str:
    """What a fault-free extraction of PDF gives (one child process, once per session)."""
    result = resume_processor.extract_text(PDF)
    assert result["pages"] == 1 and WORDS in result["text"], result
    return result["text"]


# -- injection ------------------------------------------------------------------------------

def error_reply(status: int, code: str, **extra: Any):
    """A before-call answer: botocore raises it as a ClientError without sending anything."""
    return (AWSResponse("https://injected.invalid", status, {}, None),
            {"Error": {"Code": code, "Message": f"injected {code}"},
             "ResponseMetadata": {"HTTPStatusCode": status}, **extra})


class _RawBody:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any):
        yield self.read()

    def read(self, *_: Any) -> bytes:
        data, self._data = self._data, b""
        return data


def wire_reply(url: str, status: int, code: str) -> AWSResponse:
    """A before-send answer: an S3 error document, parsed and retried by botocore as usual."""
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f'<Message>injected {code}</Message></Error>').encode()
    return AWSResponse(url, status, {"Content-Type": "application/xml"}, _RawBody(body))


def timeout(**_: Any):
    raise ReadTimeoutError(endpoint_url="https://injected.invalid")


def no_connection(**_: Any):
    raise EndpointConnectionError(endpoint_url="https://injected.invalid")


def written_status(params: dict) -> str | None:
    """The resume status a TransactWriteItems request writes on the professional, if any
    (``resume`` is a PynamoDB JSONAttribute: a JSON string)."""
    body = json.loads(params.get("body") or b"{}")
    for entry in body.get("TransactItems", []):
        resume = entry.get("Put", {}).get("Item", {}).get("resume", {}).get("S")
        if resume:
            return json.loads(resume)["status"]
    return None


class Faults:
    """Fault hooks on the app's S3 client and the store's DynamoDB client, and call counters."""

    def __init__(self):
        self.s3 = clients.s3()
        self.ddb = db.connection().client
        self.s3_calls: list[str] = []   # API calls the app made, faulted ones included
        self.s3_sends: list[str] = []   # HTTP attempts botocore made (retries included)
        self.ddb_calls: list[str] = []
        self.hits: Counter[str] = Counter()  # faults actually injected, by name
        self._hooks: list[tuple[Any, str, Callable]] = []
        # API calls are counted at before-call (presigning emits the earlier events too). A fault
        # hook is more specific than these counters and stops the event when it answers, so it
        # counts the call itself (``_calls``).
        self.s3.meta.events.register("before-call.s3",
                                     lambda model, **_: self.s3_calls.append(model.name))
        self.s3.meta.events.register(
            "request-created.s3", lambda operation_name, **_: self.s3_sends.append(operation_name))
        self.ddb.meta.events.register("before-call.dynamodb",
                                      lambda model, **_: self.ddb_calls.append(model.name))

    def _client(self, operation: str):
        return (self.ddb, "dynamodb") if operation in ("TransactWriteItems", "GetItem") \
            else (self.s3, "s3")

    def _calls(self, operation: str) -> list[str]:
        return self.ddb_calls if self._client(operation)[1] == "dynamodb" else self.s3_calls

    def _add(self, client, event: str, hook: Callable) -> None:
        client.meta.events.register(event, hook)
        self._hooks.append((client, event, hook))

    def fail(self, operation: str, reply: Callable[[], Any], *, when: str | None = None,
             times: int | None = None) -> None:
        """before-call: ``reply()`` answers (or raises) instead of the service. ``when`` limits a
        TransactWriteItems fault to writes of that resume status; ``times`` to the first n."""
        client, service = self._client(operation)

        def hook(params, **_):
            if when is not None and written_status(params) != when:
                return None
            if times is not None and self.hits[operation] >= times:
                return None
            self.hits[operation] += 1
            self._calls(operation).append(operation)
            return reply()
        self._add(client, f"before-call.{service}.{operation}", hook)

    def lose_answer(self, operation: str, *, when: str | None = None) -> None:
        """The service applies the request, then the answer times out (after-call raises)."""
        client, service = self._client(operation)

        def mark(params, context, **_):
            if when is None or written_status(params) == when:
                context["lose_answer"] = True

        def hook(context, **_):
            if context.get("lose_answer"):
                self.hits[operation] += 1
                timeout()
        self._add(client, f"before-call.{service}.{operation}", mark)
        self._add(client, f"after-call.{service}.{operation}", hook)

    def fail_sends(self, operation: str, reply: Callable[[Any], Any],
                   times: int | None = None) -> None:
        """before-send, once per HTTP attempt: botocore's own retries see the fault. A hook
        that raises stops the event before moto's handler (nothing applied); one that answers
        does not (moto still applies the request), so answers are only used on reads."""
        def hook(request, **_):
            if times is not None and self.hits[operation] >= times:
                return None
            self.hits[operation] += 1
            return reply(request)
        self._add(self.s3, f"before-send.s3.{operation}", hook)

    def clear(self) -> None:
        for client, event, hook in self._hooks:
            client.meta.events.unregister(event, hook)
        self._hooks.clear()

    def reset_counts(self) -> None:
        self.s3_calls.clear()
        self.s3_sends.clear()
        self.ddb_calls.clear()


@pytest.fixture
def faults(api):
    injected = Faults()
    yield injected
    injected.clear()


@pytest.fixture
def sleeps(monkeypatch):
    """botocore's retry sleeps and the store's backoff, recorded instead of slept."""
    slept: list[float] = []
    fake = SimpleNamespace(sleep=slept.append)
    monkeypatch.setattr(botocore.endpoint, "time", fake)
    monkeypatch.setattr(db, "time", fake)
    return slept


# -- an upload and its checks -----------------------------------------------------------------

_raw: dict[int, Any] = {}


def raw_s3():
    """An S3 client of its own (same moto backend), untouched by the fault hooks; one per test
    (the store fixture makes a new app client for each)."""
    app_client = clients.s3()
    if id(app_client) not in _raw:
        _raw.clear()
        _raw[id(app_client)] = (app_client, boto3.client("s3", region_name="us-east-1"))
    return _raw[id(app_client)][1]


def listing(pid: str | None = None) -> dict[str, tuple]:
    """Every object (of one professional: ``<prefix>/<pid>/...``): ETag, size, LastModified."""
    found = raw_s3().list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: (o["ETag"], o["Size"], o["LastModified"]) for o in found
            if pid is None or o["Key"].split("/")[1] == pid}


def bucket(pid: str | None = None) -> dict[str, bytes]:
    """Every object (of one professional) with its bytes."""
    s3 = raw_s3()
    return {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in listing(pid)}


def state(pid: str):
    item = resumes.load(pid)
    assert item is not None
    return item


@dataclass
class Upload:
    api: Any
    pid: str
    key: str
    data: bytes
    event: dict

    @property
    def message_id(self) -> str:
        return self.event["Records"][0]["messageId"]

    @property
    def stem(self) -> str:
        return self.key.rsplit("/", 1)[1][:-len(".pdf")]

    @property
    def pdf_key(self) -> str:
        return f"resumes/{self.pid}/{self.stem}.pdf"

    @property
    def text_key(self) -> str:
        return f"text/{self.pid}/{self.stem}.txt"

    def deliver(self) -> list[str]:
        """One Lambda invocation with this (same) SQS record: the ids reported as failed."""
        payload = self.api.client.lambda_.invoke("process_resume_uploads",
                                                 copy.deepcopy(self.event)).payload
        return [f["itemIdentifier"] for f in payload["batchItemFailures"]]


_people = itertools.count()


def new_upload(api, data: bytes = PDF) -> Upload:
    """A new professional (own e-mail, so several fit in one test) whose file is uploaded."""
    person = {"full_name": "Ada Lovelace", "email": f"ada{next(_people)}@example.com",
              "consent": True}
    response = api.call("POST", "/professionals", who=None, body={**person, "resume": DESCRIPTOR})
    assert response.status_code == 201, response.json
    return _uploaded(api, response.json["id"], response.json["resume_upload"]["key"], data)


def another_upload(api, previous: Upload, data: bytes) -> Upload:
    response = api.call("POST", f"/professionals/{previous.pid}/resume", body=DESCRIPTOR)
    assert response.status_code == 201, response.json
    return _uploaded(api, previous.pid, response.json["resume_upload"]["key"], data)


def _uploaded(api, pid: str, key: str, data: bytes) -> Upload:
    raw_s3().put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="application/pdf")
    event = api.client.events.generate_sqs_event(message_bodies=[s3_event(key)])
    return Upload(api, pid, key, data, event)


def assert_nothing_ready_without_its_files(up: Upload, *, strays_allowed: bool = False) -> None:
    """``ready`` only with its PDF and text in place (byte-identical); unless ``strays_allowed``,
    no derived object but the served ones and this attempt's own."""
    item = state(up.pid)
    objects = bucket(up.pid) if item.resume["status"] == "ready" else listing(up.pid)
    if item.resume["status"] == "ready":
        ready = item.resume_ready
        assert ready and objects.get(ready["pdf_key"]) == up.data, "ready without its PDF"
        assert objects.get(ready["text_key"]) == expected_text().encode(), "ready without text"
    if strays_allowed:
        return
    ready = item.resume_ready or {}
    served = {ready[k] for k in ("pdf_key", "text_key") if k in ready}
    derived = {k for k in objects if k.startswith(("text/", "resumes/"))}
    # Before the decision, derived objects can only be this attempt's own (rewritten on redelivery).
    assert derived <= served | {up.pdf_key, up.text_key}, derived


def assert_finished_ready(up: Upload) -> None:
    text = expected_text()
    item = state(up.pid)
    resume = item.resume
    assert (resume["status"], resume["reason"]) == ("ready", None)
    assert resume["pages"] == 1 and resume["size_bytes"] == len(up.data)
    assert resume["text_chars"] == len(text) and resume["text_truncated"] is False
    assert resume["processed_at"] and resume["uploaded_at"]
    assert (item.resume_ready["pdf_key"], item.resume_ready["text_key"]) == (up.pdf_key,
                                                                             up.text_key)
    # Exactly the final objects: upload deleted, no orphan under text/ or resumes/.
    assert set(listing(up.pid)) == {up.pdf_key, up.text_key}, sorted(listing(up.pid))
    assert bucket(up.pid) == {up.pdf_key: up.data, up.text_key: text.encode("utf-8")}
    s3 = raw_s3()
    assert s3.head_object(Bucket=BUCKET, Key=up.pdf_key)["ContentType"] == "application/pdf"
    assert s3.head_object(Bucket=BUCKET, Key=up.text_key)["ContentType"].startswith("text/plain")
    served = up.api.call("GET", f"/professionals/{up.pid}").json
    assert served["resume_text"] == text and served["resume"]["status"] == "ready"
    assert_invariants()


def assert_finished_rejected(up: Upload, reason: str) -> None:
    resume = state(up.pid).resume
    assert (resume["status"], resume["reason"]) == ("rejected", reason)
    assert resume["processed_at"]
    assert state(up.pid).resume_ready is None
    assert listing(up.pid) == {}
    assert_invariants()


def assert_duplicates_change_nothing(up: Upload, faults: Faults) -> None:
    item, objects = state(up.pid).attribute_values, listing(up.pid)
    faults.reset_counts()
    assert up.deliver() == []
    assert up.deliver() == []
    assert state(up.pid).attribute_values == item  # same version and updated_at: no write
    assert listing(up.pid) == objects  # same keys, ETags, sizes and LastModified
    assert "TransactWriteItems" not in faults.ddb_calls
    assert not {"PutObject", "CopyObject", "GetObject"} & set(faults.s3_calls), faults.s3_calls


# -- one fault at each step of an accepted upload ---------------------------------------------

@dataclass(frozen=True)
class Case:
    id: str
    inject: Callable[[Faults], None]
    status_after: str  # what the failed delivery leaves on the record
    upload_survives: bool = True  # False only when the upload's deletion itself was applied


ERR_500 = functools.partial(error_reply, 500, "InternalError")
SLOW_DOWN = functools.partial(error_reply, 503, "SlowDown")
DDB_500 = functools.partial(error_reply, 500, "InternalServerError")
DDB_THROTTLED = functools.partial(error_reply, 400, "ProvisionedThroughputExceededException")

STEPS = [
    Case("HeadObject-500", lambda f: f.fail("HeadObject", ERR_500), "awaiting_upload"),
    Case("ddb-processing-throttled",
         lambda f: f.fail("TransactWriteItems", DDB_THROTTLED, when="processing"),
         "awaiting_upload"),
    Case("GetObject-503-SlowDown", lambda f: f.fail("GetObject", SLOW_DOWN), "processing"),
    Case("GetObject-connection-error", lambda f: f.fail("GetObject", no_connection),
         "processing"),
    Case("PutObject-text-500", lambda f: f.fail("PutObject", ERR_500), "processing"),
    Case("CopyObject-pdf-503-SlowDown", lambda f: f.fail("CopyObject", SLOW_DOWN), "processing"),
    Case("CopyObject-pdf-read-timeout", lambda f: f.fail("CopyObject", timeout), "processing"),
    Case("ddb-ready-500", lambda f: f.fail("TransactWriteItems", DDB_500, when="ready"),
         "processing"),
    Case("DeleteObjects-upload-500", lambda f: f.fail("DeleteObjects", ERR_500), "ready"),
    # Applied by the service, answer lost: the app cannot tell these from a failure.
    Case("PutObject-text-applied-then-timeout", lambda f: f.lose_answer("PutObject"),
         "processing"),
    Case("CopyObject-pdf-applied-then-timeout", lambda f: f.lose_answer("CopyObject"),
         "processing"),
    Case("ddb-ready-applied-then-timeout",
         lambda f: f.lose_answer("TransactWriteItems", when="ready"), "ready"),
    Case("DeleteObjects-upload-applied-then-timeout", lambda f: f.lose_answer("DeleteObjects"),
         "ready", upload_survives=False),
]


def run_cases(faults: Callable[[], Faults], cases: list[Case],
              check: Callable[[Case], None]) -> None:
    """Each case on its own professional in one moto backend (one fixture set-up for all:
    they are slow here); every failing case is reported, by id. ``faults()`` is the case's
    Faults, cleared after it."""
    failures = []
    for case in cases:
        try:
            check(case)
        except AssertionError as exc:
            failures.append(f"[{case.id}] {exc}")
        finally:
            faults().clear()
            faults().hits.clear()
    assert not failures, "\n\n".join(failures)


def test_a_fault_at_any_step_is_redelivered_and_the_redelivery_finishes(api, faults):
    def check(case: Case) -> None:
        up = new_upload(api)
        case.inject(faults)

        assert up.deliver() == [up.message_id]       # not dropped: SQS will redeliver it
        assert sum(faults.hits.values()) >= 1         # the fault was really on the path
        assert state(up.pid).resume["status"] == case.status_after
        assert_nothing_ready_without_its_files(up)
        # The upload survives until the job is done (unless deleting it is what was applied).
        assert (up.key in listing(up.pid)) is case.upload_survives

        faults.clear()
        assert up.deliver() == []                     # the redelivery finishes the job
        assert_finished_ready(up)
        assert_duplicates_change_nothing(up, faults)
    run_cases(lambda: faults, STEPS, check)


# -- rejections -------------------------------------------------------------------------------

REJECT_STEPS = [
    Case("ddb-rejected-500", lambda f: f.fail("TransactWriteItems", DDB_500, when="rejected"),
         "processing"),
    Case("ddb-rejected-applied-then-timeout",
         lambda f: f.lose_answer("TransactWriteItems", when="rejected"), "rejected"),
    Case("DeleteObjects-rejected-upload-503",
         lambda f: f.fail("DeleteObjects", SLOW_DOWN), "rejected"),
]


def test_a_fault_while_rejecting_is_redelivered_and_ends_rejected(api, faults):
    def check(case: Case) -> None:
        up = new_upload(api, PNG)
        case.inject(faults)

        assert up.deliver() == [up.message_id]
        assert sum(faults.hits.values()) >= 1
        assert state(up.pid).resume["status"] == case.status_after
        assert bucket(up.pid) == {up.key: PNG}        # nothing derived, the upload still there

        faults.clear()
        assert up.deliver() == []
        assert_finished_rejected(up, "not_pdf")
        assert_duplicates_change_nothing(up, faults)
    run_cases(lambda: faults, REJECT_STEPS, check)


# -- botocore's own retries --------------------------------------------------------------------

BLIPS = [
    Case("GetObject-SlowDown", lambda f: f.fail_sends(
        "GetObject", lambda request: wire_reply(request.url, 503, "SlowDown"), times=1), ""),
    Case("CopyObject-read-timeout", lambda f: f.fail_sends(
        "CopyObject", lambda request: timeout(), times=1), ""),
    Case("PutObject-connection-error", lambda f: f.fail_sends(
        "PutObject", lambda request: no_connection(), times=1), ""),
]


def test_a_single_failed_attempt_is_absorbed_by_botocore_retries(api, faults, sleeps):
    def check(case: Case) -> None:
        operation = case.id.split("-")[0]
        up = new_upload(api)
        faults.reset_counts()
        sleeps.clear()
        case.inject(faults)
        assert up.deliver() == []
        assert faults.hits[operation] == 1
        assert Counter(faults.s3_sends)[operation] == 2   # the failed attempt and its retry
        assert faults.s3_calls.count(operation) == 1      # one call as far as the app knows
        assert len(sleeps) == 1
        assert_finished_ready(up)
    run_cases(lambda: faults, BLIPS, check)


# -- persistent faults are bounded per invocation ---------------------------------------------

MAX_SENDS_PER_OPERATION = 6  # 1 + 5 retries (clients.py: standard mode, max_attempts=5)


PERSISTENT = [
    Case("HeadObject-500", lambda f: f.fail_sends(
        "HeadObject", lambda request: wire_reply(request.url, 500, "InternalError")),
        "awaiting_upload"),
    Case("GetObject-SlowDown", lambda f: f.fail_sends(
        "GetObject", lambda request: wire_reply(request.url, 503, "SlowDown")), "processing"),
    Case("PutObject-read-timeout", lambda f: f.fail_sends(
        "PutObject", lambda request: timeout()), "processing"),
]


def test_a_persistent_s3_fault_fails_every_delivery_after_bounded_calls(api, sleeps):
    def check(case: Case) -> None:
        operation = case.id.split("-")[0]
        clients.reset()  # a fresh client: botocore's retry quota is per client
        faults = holder["faults"] = Faults()
        up = new_upload(api)
        case.inject(faults)
        per_delivery = []
        for _ in range(2):
            faults.reset_counts()
            sleeps.clear()
            assert up.deliver() == [up.message_id]
            sends = Counter(faults.s3_sends)
            per_delivery.append((tuple(faults.s3_calls), sends[operation], len(sleeps)))
            assert 2 <= sends[operation] <= MAX_SENDS_PER_OPERATION, sends  # retried, bounded
            assert len(faults.s3_calls) <= 4, faults.s3_calls
            assert sum(sends.values()) <= 4 * MAX_SENDS_PER_OPERATION, sends
            assert faults.s3_calls.count(operation) == 1  # no retry loop of the app's own on top
            assert len(sleeps) <= MAX_SENDS_PER_OPERATION - 1 and sum(sleeps) <= 5 * 20, sleeps
            assert len(faults.ddb_calls) <= 2, faults.ddb_calls  # no write storm either
            assert state(up.pid).resume["status"] == case.status_after
            assert up.key in listing(up.pid)
            assert_nothing_ready_without_its_files(up)
        assert len(set(per_delivery)) == 1, per_delivery  # every delivery fails alike: no growth

        faults.clear()
        assert up.deliver() == []
        assert_finished_ready(up)

    holder: dict[str, Faults] = {"faults": Faults()}
    run_cases(lambda: holder["faults"], PERSISTENT, check)


def test_a_record_that_keeps_changing_fails_the_delivery_after_bounded_writes(api, faults,
                                                                              sleeps):
    """Every 'processing' write loses its version condition: the worker's own retry loop."""
    up = new_upload(api)
    cancelled = functools.partial(
        error_reply, 400, "TransactionCanceledException",
        CancellationReasons=[{"Code": "ConditionalCheckFailed"}])
    faults.fail("TransactWriteItems", cancelled, when="processing")
    for _ in range(2):
        faults.reset_counts()
        assert up.deliver() == [up.message_id]
        writes = faults.ddb_calls.count("TransactWriteItems")
        assert 2 <= writes <= 8, faults.ddb_calls
        assert faults.s3_calls == ["HeadObject"]
        assert state(up.pid).resume["status"] == "awaiting_upload"
    faults.clear()
    assert up.deliver() == []
    assert_finished_ready(up)


# -- faults after a new resume replaced a ready one -------------------------------------------

@pytest.mark.parametrize("inject", [
    lambda f: f.fail("DeleteObjects", ERR_500, times=1),
    lambda f: f.lose_answer("TransactWriteItems", when="ready"),
], ids=["DeleteObjects-old-files-500", "ddb-ready-applied-then-timeout"])
def test_a_fault_after_a_replacement_leaves_no_orphan_of_the_old_resume(api, faults, inject):
    first = new_upload(api)
    assert first.deliver() == []
    assert_finished_ready(first)
    second = another_upload(api, first, PDF)
    inject(faults)

    assert second.deliver() == [second.message_id]
    assert sum(faults.hits.values()) == 1
    assert state(second.pid).resume["status"] == "ready"
    assert_nothing_ready_without_its_files(second, strays_allowed=True)  # old files not yet gone

    faults.clear()
    assert second.deliver() == []
    assert_finished_ready(second)   # only the new files: the old ones must be gone


def test_a_partial_delete_objects_failure_is_not_reported_as_success(api, faults):
    up = new_upload(api, PNG)

    def partial():
        return (AWSResponse("https://injected.invalid", 200, {}, None),
                {"Deleted": [], "Errors": [{"Key": up.key, "Code": "InternalError",
                                            "Message": "We encountered an internal error."}],
                 "ResponseMetadata": {"HTTPStatusCode": 200}})
    faults.fail("DeleteObjects", partial, times=1)
    result = up.deliver()
    assert faults.hits["DeleteObjects"] == 1
    assert state(up.pid).resume["reason"] == "not_pdf"
    assert result == [up.message_id] or bucket(up.pid) == {}, (result, sorted(bucket()))


# -- the HTTP API while S3 fails ---------------------------------------------------------------

def ready_professional(api) -> Upload:
    """A professional with a ready resume, made without the extractor (the state it leaves)."""
    up = new_upload(api)
    text = expected_text()
    s3 = raw_s3()
    s3.put_object(Bucket=BUCKET, Key=up.pdf_key, Body=up.data, ContentType="application/pdf")
    s3.put_object(Bucket=BUCKET, Key=up.text_key, Body=text.encode("utf-8"))
    s3.delete_object(Bucket=BUCKET, Key=up.key)
    assert resume_processor._update(up.pid, up.key, status="ready", pages=1, size_bytes=len(up.data),
                           text_chars=len(text), text_truncated=False,
                           ready={"pdf_key": up.pdf_key, "text_key": up.text_key,
                                  "filename": "cv.pdf"})
    return up


def fail_all_s3(faults: Faults) -> None:
    for operation in ("HeadObject", "GetObject", "PutObject", "CopyObject", "DeleteObjects",
                      "DeleteObject", "ListObjectsV2"):
        faults.fail(operation, ERR_500)


def assert_clean_envelope(response) -> None:
    assert set(response.json) == {"error"}, response.json
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    assert "Traceback" not in response.body.decode() and "botocore" not in response.body.decode()
    assert response.headers.get("X-Request-Id")


def test_while_s3_fails_presigning_routes_work_and_reads_fail_cleanly(api, faults):
    up = ready_professional(api)
    objects = bucket()
    fail_all_s3(faults)
    faults.reset_counts()
    signup = api.call("POST", "/professionals", who=None,
                      body={"full_name": "Grace", "email": "grace@example.com",
                            "resume": DESCRIPTOR, "consent": True})
    assert signup.status_code == 201 and signup.json["resume_upload"]["fields"]
    again = api.call("POST", f"/professionals/{up.pid}/resume", body=DESCRIPTOR)
    assert again.status_code == 201 and again.json["resume_upload"]["url"]
    link = api.call("GET", f"/professionals/{up.pid}/resume")
    assert link.status_code == 200 and up.pdf_key in link.json["url"]
    fresh = api.call("GET", f"/professionals/{signup.json['id']}")  # no ready resume: no read
    assert fresh.status_code == 200 and fresh.json["resume_text"] is None
    assert faults.s3_calls == [], faults.s3_calls  # presigning is local: no S3 call at all
    assert sum(faults.hits.values()) == 0

    # Reading the record needs the (previous, still served) ready text from S3: an error
    # envelope, and nothing written.
    before = state(up.pid).attribute_values
    response = api.call("GET", f"/professionals/{up.pid}")
    assert faults.hits["GetObject"] == 1
    assert response.status_code in (500, 503)
    assert_clean_envelope(response)
    assert state(up.pid).attribute_values == before and bucket() == objects
    faults.clear()
    served = api.call("GET", f"/professionals/{up.pid}")
    assert served.status_code == 200 and served.json["resume_text"] == expected_text()
    assert_invariants()


def test_reading_a_professional_while_s3_fails_is_503_unavailable(api, faults):
    up = ready_professional(api)
    fail_all_s3(faults)
    response = api.call("GET", f"/professionals/{up.pid}")
    assert faults.hits["GetObject"] == 1
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "unavailable"


def test_deleting_a_professional_while_s3_fails_leaves_no_resume_objects_behind(api, faults):
    up = ready_professional(api)
    fail_all_s3(faults)
    response = api.call("DELETE", f"/professionals/{up.pid}")
    assert faults.hits["DeleteObjects"] >= 1
    if response.status_code == 503:
        # Refusing is fine if nothing is half-done: the record is still there to retry.
        assert_clean_envelope(response)
        assert state(up.pid).resume_ready is not None
    else:
        assert response.status_code == 204
    faults.clear()
    retry = api.call("DELETE", f"/professionals/{up.pid}")
    assert retry.status_code in (204, 404)
    assert api.call("GET", f"/professionals/{up.pid}").status_code == 404
    assert bucket() == {}, sorted(bucket())   # neither the PDF nor the text outlives the record
    assert_invariants()
