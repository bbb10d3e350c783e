"""Idempotency-Key against DynamoDB Local (AWS's own emulator: real conditional writes and
``ReturnValuesOnConditionCheckFailure``), driving ``chalicelib.idempotency.run`` from threads as
the threaded local server does: eight requests with one key make one record, and the rules the
moto tests check (replay, reuse, scope, 5xx not kept, crash recovery) hold here too."""
from __future__ import annotations

import json

import pytest
from chalice import Response

from chalicelib import clients, idempotency, professionals
from chalicelib.auth import Caller
from chalicelib.errors import ApiError
from chalicelib.settings import get_settings
from tests.test_concurrency_ddblocal import ddb_table, race, table_contents  # noqa: F401

pytestmark = pytest.mark.ddblocal

ACME = Caller(role="partner", name="acme", key_id="k-acme")
GLOBEX = Caller(role="partner", name="globex", key_id="k-globex")
BODY = {"full_name": "Ada Lovelace", "email": "ada@example.com"}


def request(caller: Caller, key: str, body: dict = BODY, path: str = "/professionals"):
    return idempotency.Request(caller=caller, key=key, method="POST", path=path, query={},
                               body=json.dumps(body).encode())


def create(req: idempotency.Request, body: dict = BODY):
    def work() -> Response:
        item = professionals.create(body, req.caller,
                                    idempotency_record=idempotency.record_id(req))
        return Response(professionals.to_resource(item), status_code=201)
    return idempotency.run(req, work)


def kept_records() -> list[dict]:
    return clients.dynamodb().scan(TableName=get_settings().idempotency_table_name)["Items"]


def test_eight_concurrent_requests_with_one_key_make_one_record(ddb_table):
    req = request(ACME, "race-key")
    outcomes = race(8, lambda n: create(req))
    answers = [value for kind, value in outcomes if kind == "ok"]
    errors = [value for kind, value in outcomes if kind == "raised"]
    assert all(isinstance(e, idempotency.InProgress) for e in errors), errors
    fresh = [r for r in answers if idempotency.REPLAYED_HEADER not in r.headers]
    assert len(fresh) == 1
    assert all(r.status_code == 201 and r.body == fresh[0].body for r in answers)
    people, _ = table_contents()
    assert [p.id for p in people] == [fresh[0].body["id"]]
    replay = create(req)
    assert replay.headers[idempotency.REPLAYED_HEADER] == "true"
    assert replay.body == fresh[0].body


def test_reuse_scope_and_what_is_kept(ddb_table):
    first = create(request(ACME, "k"))
    assert first.status_code == 201
    with pytest.raises(idempotency.KeyReused):
        create(request(ACME, "k", {**BODY, "job_title": "Analyst"}))
    with pytest.raises(idempotency.KeyReused):
        create(request(ACME, "k", path="/professionals/bulk"))
    # globex's "k" is another key: it runs, and its 409 on the email is kept and replayed
    theirs = create(request(GLOBEX, "k"))
    assert theirs.status_code == 409 and idempotency.REPLAYED_HEADER not in theirs.headers
    again = create(request(GLOBEX, "k"))
    assert again.status_code == 409 and again.headers[idempotency.REPLAYED_HEADER] == "true"
    assert len(kept_records()) == 2


def test_a_5xx_is_not_kept(ddb_table):
    class Boom(ApiError):
        status, code = 503, "unavailable"

    def failing() -> Response:
        raise Boom("store down")

    with pytest.raises(Boom):
        idempotency.run(request(ACME, "five"), failing)
    assert kept_records() == []
    assert create(request(ACME, "five")).status_code == 201


def test_a_crash_before_the_response_is_kept_never_duplicates(ddb_table, monkeypatch):
    from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb

    class Crash(BaseException):
        pass

    def crash(self, *args, **kwargs):
        raise Crash()

    req = request(ACME, "crash")
    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(dynamodb.DynamoDBPersistenceLayer, "_update_record", crash)
        patched.setattr(idempotency._Deadline, "get_remaining_time_in_millis", lambda self: 1)
        create(req)
    [record] = kept_records()
    assert record["status"]["S"] == "INPROGRESS"
    retry = create(req)
    assert retry.status_code == 201 and idempotency.REPLAYED_HEADER not in retry.headers
    people, _ = table_contents()
    assert [p.id for p in people] == [retry.body["id"]]
    assert people[0].idempotency_record == idempotency.record_id(req)
