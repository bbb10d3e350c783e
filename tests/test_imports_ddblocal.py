"""Import jobs against DynamoDB Local (S3 and SQS on moto in-process): files big enough for real
chunks of 1,000 rows, which moto's transactions (a table copy per action) make too slow."""
from __future__ import annotations

import csv
import io
import json
import os
import time
import uuid

import pytest
from moto import mock_aws

from chalicelib import clients, db
from chalicelib.auth import Caller
from chalicelib.imports import api, jobs, worker
from chalicelib.models import ProfessionalItem
from infra import resources
from infra.verify import scan_all
from tests.invariants import assert_invariants
from tests.test_imports import s3_event, sqs_event

pytestmark = pytest.mark.ddblocal

STAFF = Caller(role="staff", name="ops", key_id="k1")
BUCKET = "imports-ddblocal"


@pytest.fixture
def stack(dynamodb_local_endpoint, monkeypatch):
    name = f"imports-{uuid.uuid4().hex[:8]}"
    for variable in ("AWS_ENDPOINT_URL", "SIGNING_SECRET_ARN", "IMPORTS_TABLE_NAME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("STAGE", "test")
    monkeypatch.setenv("TABLE_NAME", name)
    monkeypatch.setenv("RESUME_BUCKET", BUCKET)
    monkeypatch.setenv("MAIL_QUEUE_URL", "")
    with mock_aws():  # S3 and SQS; DynamoDB's own endpoint passes through to DynamoDB Local
        db._bound["table"] = None
        clients.reset()
        resources.create_app_tables()
        clients.s3().create_bucket(Bucket=BUCKET)
        monkeypatch.setenv("IMPORT_QUEUE_URL", clients.sqs().create_queue(
            QueueName="imports")["QueueUrl"])
        yield name
        for table in (name, f"{name}-search", f"{name}-idempotency", f"{name}-imports"):
            clients.dynamodb().delete_table(TableName=table)
        db._bound["table"] = None
        clients.reset()


def start(rows: list[dict], dry_run: bool = False) -> str:
    job = api.create({"format": "csv", "dry_run": dry_run}, STAFF)
    out = io.StringIO()
    writer = csv.DictWriter(out, ["full_name", "email", "job_title"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"], Body=out.getvalue())
    return job["id"]


def deliver(job_id: str, message_id: str = "m") -> list[str]:
    return worker.handle_sqs_records(
        sqs_event(s3_event(f"imports/{job_id}.csv"), message_id)["Records"])


def people() -> dict[str, ProfessionalItem]:
    return {i.email: i for i in scan_all() if isinstance(i, ProfessionalItem)}


def test_2500_rows_go_in_three_chunks_in_file_order(stack, monkeypatch):
    sizes = []
    real = worker.bulk.bulk_upsert

    def counting(rows, caller, **kwargs):
        sizes.append(len(rows))
        return real(rows, caller, **kwargs)

    monkeypatch.setattr(worker.bulk, "bulk_upsert", counting)
    rows = [{"full_name": f"P {i}", "email": f"p{i}@example.com", "job_title": "first"}
            for i in range(2499)]
    rows.append({"full_name": "P 7", "email": "p7@example.com", "job_title": "last"})
    job_id = start(rows)
    started = time.monotonic()
    assert deliver(job_id) == []
    seconds = time.monotonic() - started
    job = jobs.get(job_id)
    assert sizes == [1000, 1000, 500]
    assert job.status == "done" and job.rows_done == job.rows_total == 2500
    assert job.summary == {"created": 2499, "updated": 1, "unchanged": 0, "failed": 0}
    found = people()
    assert len(found) == 2499 and found["p7@example.com"].job_title == "last"
    assert found["p7@example.com"].version == found["p8@example.com"].version + 1
    assert_invariants()
    print(f"\n2,500 rows through the import worker on DynamoDB Local: {seconds:.1f} s, "
          f"{2500 / seconds:.0f} rows/s")


def test_a_crash_after_the_second_chunk_then_redelivery_applies_no_row_twice(stack,
                                                                               monkeypatch):
    rows = [{"full_name": f"P {i}", "email": f"p{i}@example.com", "job_title": "t"}
            for i in range(2200)]
    rows[1500] = {"full_name": "P 3", "email": "p3@example.com", "job_title": "moved"}
    job_id = start(rows)
    real, calls = worker._save_part, []

    def crash_once(*args, **kwargs):  # after chunk 2's writes, before anything records them
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "_save_part", crash_once)
    assert deliver(job_id, "m-1") == ["m-1"]
    assert jobs.get(job_id).rows_done == 1000
    before = {e: (p.version, p.updated_at) for e, p in people().items()}
    assert len(before) == 1999  # chunk 2 was written whole before the crash
    assert deliver(job_id, "m-1") == []
    job = jobs.get(job_id)
    assert job.status == "done" and job.rows_done == 2200
    assert job.summary == {"created": 2199, "updated": 1, "unchanged": 0, "failed": 0}
    after = people()
    assert {e: (p.version, p.updated_at) for e, p in after.items() if e in before} == before
    assert after["p3@example.com"].job_title == "moved"
    assert_invariants()


def test_two_jobs_at_once_on_the_same_emails_keep_one_record_per_email(stack):
    import threading
    rows_a = [{"full_name": f"A {i}", "email": f"p{i}@example.com", "job_title": "a"}
              for i in range(1500)]
    rows_b = [{"full_name": f"B {i}", "email": f"p{i}@example.com", "job_title": "b"}
              for i in range(500, 2000)]
    ids = [start(rows_a), start(rows_b)]
    answers = {}
    threads = [threading.Thread(target=lambda j=j: answers.__setitem__(j, deliver(j, j)))
               for j in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {ids[0]: [], ids[1]: []}
    done = [jobs.get(j) for j in ids]
    assert all(job.status == "done" and job.rows_done == 1500 for job in done)
    # 2,000 people; each of the 1,000 shared emails created by one job and updated or left
    # unchanged by the other (or unavailable after bounded retries), never duplicated.
    found = people()
    assert len(found) == 2000
    created = sum(job.summary["created"] for job in done)
    assert created == 2000
    assert [job.summary["failed"] for job in done] == [0, 0]  # every row is valid
    assert_invariants()
