"""Idempotency-Key on POST /professionals and /professionals/bulk (docs/api.md, Retrying safely),
in-process on moto: replay, reuse, scope, format, what is kept, and the crash between writing the
records and keeping the response."""
from __future__ import annotations

import json
import zlib
import base64

import pytest

from chalicelib import clients, idempotency, professionals
from chalicelib.settings import get_settings

PERSON = {"full_name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550100"}


def post(api, key, body=PERSON, who="partner", path="/professionals", raw=None, headers=None):
    extra = {"Idempotency-Key": key} if key is not None else {}
    extra.update(headers or {})
    return api.call("POST", path, who, body, headers=extra, raw=raw)


def records() -> list[dict]:
    return clients.dynamodb().scan(TableName=get_settings().idempotency_table_name)["Items"]


def count_people(api) -> int:
    return len(api.call("GET", "/professionals?limit=100", "staff").json["items"])


def test_a_repeat_gets_the_kept_response_and_writes_nothing(api):
    first = post(api, "order-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = post(api, "order-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert count_people(api) == 1


def test_the_same_key_with_another_body_path_or_query_is_a_422(api):
    assert post(api, "k").status_code == 201
    other_body = post(api, "k", {**PERSON, "job_title": "Analyst"})
    assert other_body.status_code == 422
    assert other_body.json["error"]["code"] == "idempotency_key_reused"
    # byte for byte: the same JSON with other spacing is another request
    spaced = post(api, "k", raw=json.dumps(PERSON, indent=2).encode())
    assert spaced.json["error"]["code"] == "idempotency_key_reused"
    other_route = post(api, "k", [PERSON], path="/professionals/bulk")
    assert other_route.status_code == 422
    other_query = post(api, "k2", [PERSON], path="/professionals/bulk?dry_run=true")
    assert other_query.status_code == 207
    assert post(api, "k2", [PERSON], path="/professionals/bulk").status_code == 422
    assert count_people(api) == 1


def test_keys_are_scoped_to_the_caller(api):
    mine = post(api, "shared-key")
    assert mine.status_code == 201
    # another partner's key space: its request runs (and meets the email's owner: a 409 kept)
    theirs = post(api, "shared-key", who="other_partner")
    assert theirs.status_code == 409
    assert "Idempotent-Replayed" not in theirs.headers
    staff = post(api, "shared-key", {**PERSON, "email": "x@example.com", "phone": None},
                 who="staff")
    assert staff.status_code == 201
    assert "Idempotent-Replayed" not in staff.headers


@pytest.mark.parametrize("key", ["", " ", "a" * 256, "clé", "tab\there", "emoji🙂"])
def test_malformed_keys_are_400(api, key):
    response = post(api, key)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert count_people(api) == 0


def test_the_longest_and_oddest_valid_keys_work(api):
    for key in ("!" * 255, "~", '"quoted"'):
        body = {**PERSON, "email": f"{len(key)}{key[0]}@example.com".replace('"', "q"),
                "phone": None}
        assert post(api, key, body).status_code == 201
        assert post(api, key, body).headers["Idempotent-Replayed"] == "true"


def test_anonymous_use_is_a_400(api):
    response = post(api, "anon-key", who=None)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert count_people(api) == 0


def test_a_kept_4xx_is_replayed_before_the_body_is_validated(api):
    bad = post(api, "bad-1", {"full_name": ""})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_error"
    again = post(api, "bad-1", {"full_name": ""})
    assert again.status_code == 400
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == bad.json


def test_parsing_errors_come_first_and_are_not_kept(api):
    broken = post(api, "p-1", raw=b"{not json")
    assert broken.status_code == 400 and "Idempotent-Replayed" not in broken.headers
    assert records() == []
    assert post(api, "p-1").status_code == 201


def test_a_5xx_is_not_kept_and_a_retry_runs_again(api, monkeypatch):
    real = professionals.create
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(professionals, "create", failing)
    first = post(api, "five-hundred")
    assert first.status_code == 500
    assert records() == []  # Powertools removed the in-progress record
    second = post(api, "five-hundred")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert len(calls) == 2


def test_a_crash_after_the_write_never_duplicates(api, monkeypatch):
    """The record is written, then the process dies before the response is kept: the
    INPROGRESS record outlives it. Once its deadline passes, a retry runs again, finds the
    record its first attempt wrote (same derived id) and answers 201 with it."""
    from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb

    class Crash(BaseException):  # not an Exception: nothing on the way out cleans up
        pass

    def crash(self, *args, **kwargs):
        raise Crash()

    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(dynamodb.DynamoDBPersistenceLayer, "_update_record", crash)
        patched.setattr(idempotency._Deadline, "get_remaining_time_in_millis", lambda self: 1)
        post(api, "crash-1")
    [record] = records()
    assert record["status"]["S"] == "INPROGRESS"
    assert count_people(api) == 1

    retry = post(api, "crash-1")
    assert retry.status_code == 201, retry.json
    assert "Idempotent-Replayed" not in retry.headers
    assert count_people(api) == 1
    person = api.call("GET", "/professionals?limit=100", "staff").json["items"][0]
    assert retry.json["id"] == person["id"]
    assert post(api, "crash-1").headers["Idempotent-Replayed"] == "true"


def test_an_unfinished_first_request_is_a_409(api, monkeypatch):
    from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb

    class Crash(BaseException):
        pass

    def crash(self, *args, **kwargs):
        raise Crash()

    with monkeypatch.context() as patched, pytest.raises(Crash):
        patched.setattr(dynamodb.DynamoDBPersistenceLayer, "_update_record", crash)
        post(api, "slow-1")
    response = post(api, "slow-1")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "idempotency_in_progress"
    assert count_people(api) == 1


def test_a_bulk_of_1000_rows_is_kept_compressed_and_replayed(api):
    rows = [{"full_name": f"Person {i}", "email": f"p{i}@example.com"} for i in range(1000)]
    rows[7] = {"full_name": "", "email": "bad"}  # failed rows are kept too
    first = post(api, "bulk-1", rows, path="/professionals/bulk")
    assert first.status_code == 207
    assert first.json["summary"]["created"] == 999
    again = post(api, "bulk-1", rows, path="/professionals/bulk")
    assert again.status_code == 207 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    [record] = records()
    stored = json.loads(record["data"]["S"])
    assert len(record["data"]["S"]) < 400_000
    status, body, _ = json.loads(zlib.decompress(base64.b64decode(stored["z"])))
    assert status == 207 and body == first.json


def test_records_expire_after_24_hours(api):
    import time
    post(api, "ttl-1")
    [record] = records()
    assert abs(int(record["expiration"]["N"]) - (time.time() + 24 * 3600)) < 60


def test_erasure_forgets_the_kept_response(api):
    created = post(api, "erase-1").json
    [record] = records()
    assert record["id"]["S"].startswith("post#") and record["id"]["S"].count("#") == 1
    assert api.call("DELETE", f"/professionals/{created['id']}", "partner").status_code == 204
    assert records() == []
    # the key is free again: a retry creates the person anew rather than replaying erased data
    again = post(api, "erase-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
