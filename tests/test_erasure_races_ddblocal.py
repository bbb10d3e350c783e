"""Erasure racing a bulk row for the same email, against DynamoDB Local (moto's transactions are
not isolated from one another, so the race is real only here).

What holds whichever wins (docs/decisions.md, "Erasure races"):

* the row came first: it updated the person (``updated``, their id), and the erasure then took
  the updated record with it: no professional has the email, nothing of the person survives;
* the erasure came first: the row creates a new person (``created``, a new id) who holds only
  what the row carries: none of the erased person's phone, consent or other fields;

and never a mix (the erased person's record brought back, a guard left pointing at nobody).

Erasure racing the person's own new resume upload: either the upload started first (and its form
may still put a file, which the worker drops with anything made from it) or it is a 404; the
record never comes back and no object of the person is left in the bucket.
"""
from __future__ import annotations

import pytest
from moto import mock_aws

from chalicelib import clients, professionals, resume_processor, resumes
from chalicelib.auth import Caller
from chalicelib.bulk import bulk_upsert
from chalicelib.errors import NotFound
from tests.invariants import assert_invariants
from tests.pdf_corpus import pdf
from tests.test_concurrency_ddblocal import ddb_table, race, table_contents  # noqa: F401

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops", key_id="k1")
ROUNDS = 12


def test_erasure_against_a_bulk_row_for_the_same_email(ddb_table):  # noqa: F811
    outcomes = {"updated": 0, "created": 0}
    for n in range(ROUNDS):
        email = f"racer{n}@example.com"
        person = professionals.create(
            {"full_name": "Erased Person", "email": email, "phone": f"+1 415 555 {3000 + n:04d}",
             "company_name": "Secret Co", "consent": True}, STAFF)
        token_holder = Caller(role="token", professional_id=person.id)
        row = {"email": email, "full_name": "Row Person", "job_title": "From the row"}

        def work(i: int):
            if i == 0:
                return professionals.delete(person.id, token_holder)
            return bulk_upsert([row], STAFF)["results"][0]

        (erase_kind, erased), (row_kind, result) = race(2, work)
        assert erase_kind == "ok" and erased.id == person.id, erased
        assert row_kind == "ok", result
        people, guards = table_contents()
        holders = [p for p in people if p.email == email]
        if result["status"] == "updated":  # the row first; the erasure took its update along
            assert result["id"] == person.id and holders == [], (result, holders)
        else:  # the erasure first: a new, clean person from the row alone
            assert result["status"] == "created" and result["id"] != person.id, result
            [new] = holders
            assert (new.id, new.full_name, new.job_title, new.phone, new.company_name,
                    new.consent, bool(new.email_verified)) == (
                result["id"], "Row Person", "From the row", None, None, None, False)
        assert all(p.id != person.id for p in people)
        assert all(owner != person.id for owner in guards.values())
        outcomes[result["status"]] += 1
        assert_invariants()
    assert sum(outcomes.values()) == ROUNDS, outcomes


BUCKET = "professionals-resumes-test"
DESCRIPTOR = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 1000}


@pytest.fixture
def bucket(ddb_table, monkeypatch):  # noqa: F811
    """The table in DynamoDB Local, the resume bucket on moto."""
    monkeypatch.setenv("RESUME_BUCKET", BUCKET)
    with mock_aws():
        clients.reset()
        clients.s3().create_bucket(Bucket=BUCKET)
        yield
    clients.reset()


def objects_of(professional_id: str) -> list[str]:
    found = []
    for prefix in ("uploads/", "resumes/", "text/"):
        listed = clients.s3().list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}{professional_id}/")
        found += [o["Key"] for o in listed.get("Contents", [])]
    return found


def test_erasure_against_the_persons_own_resume_upload(bucket):
    outcomes = {"started": 0, "missing": 0}
    for n in range(ROUNDS):
        person = professionals.create({"full_name": "Uploader", "email": f"up{n}@example.com",
                                       "consent": True, "resume": DESCRIPTOR}, STAFF)
        token_holder = Caller(role="token", professional_id=person.id)

        def work(i: int):
            if i == 0:
                return professionals.delete(person.id, token_holder)
            return resumes.start_upload(person.id, DESCRIPTOR, token_holder)

        (erase_kind, erased), (upload_kind, started) = race(2, work)
        assert erase_kind == "ok" and erased.id == person.id, erased
        if upload_kind == "ok":  # started first: its form still works, the file lands late
            key = started.resume_upload["key"]
            clients.s3().put_object(Bucket=BUCKET, Key=key, Body=pdf(words="late"),
                                    ContentType="application/pdf")
            assert resume_processor.process_upload(key) == "dropped_deleted_professional"
            outcomes["started"] += 1
        else:
            assert isinstance(started, NotFound), started
            outcomes["missing"] += 1
        people, guards = table_contents()
        assert all(p.id != person.id for p in people)
        assert all(owner != person.id for owner in guards.values())
        assert objects_of(person.id) == []
    assert sum(outcomes.values()) == ROUNDS, outcomes
