"""Import jobs (contract 8.5) on moto in-process: the routes, the signed upload form, the worker
fed S3 events as SQS delivers them, chunking, dry runs, XLSX, unreadable files, the errors file,
a crash between a chunk and its checkpoint, partners' jobs and rows."""
from __future__ import annotations

import base64
import csv
import io
import json
import time
import uuid
from urllib.parse import quote_plus

import pytest
import requests

from chalicelib import clients
from chalicelib.imports import jobs, reader, worker
from tests.test_professionals_api import assert_error

BUCKET = "professionals-resumes-test"
HEADER = "full_name,email,job_title"


@pytest.fixture
def imports(api, monkeypatch):
    """The import queue (continuations go there) and small chunks, so chunking shows on a few
    rows (moto's transactions copy the table per action: big tables are for DynamoDB Local)."""
    url = clients.sqs().create_queue(QueueName="professionals-imports-test")["QueueUrl"]
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    monkeypatch.setattr(worker, "CHUNK_ROWS", 4)
    return api


def create_job(api, who="staff", fmt="csv", dry_run=False):
    response = api.call("POST", "/imports", who=who, body={"format": fmt, "dry_run": dry_run})
    assert response.status_code == 201, response.json
    return response.json


def s3_event(key: str) -> str:
    return json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
                                    "s3": {"bucket": {"name": BUCKET},
                                           "object": {"key": quote_plus(key)}}}]})


def sqs_event(body: str, message_id: str | None = None) -> dict:
    return {"Records": [{"messageId": message_id or uuid.uuid4().hex, "receiptHandle": "r",
                         "body": body, "attributes": {}, "messageAttributes": {},
                         "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                         "awsRegion": "us-east-1"}]}


def deliver(api, body: str, message_id: str | None = None) -> dict:
    return api.client.lambda_.invoke("process_imports", sqs_event(body, message_id)).payload


def run_job(api, data: bytes, who="staff", fmt="csv", dry_run=False) -> dict:
    job = create_job(api, who, fmt, dry_run)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"], Body=data)
    assert deliver(api, s3_event(job["upload"]["key"])) == {"batchItemFailures": []}
    return api.call("GET", f"/imports/{job['id']}", who=who).json


def people_csv(rows: list[tuple[str, str, str]], header: str = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue().encode()


def errors_csv(api, job_id: str, who="staff") -> list[list[str]]:
    response = api.call("GET", f"/imports/{job_id}/errors", who=who)
    assert response.status_code == 303, response.json
    assert response.headers["Location"] == response.json["url"]
    text = requests.get(response.headers["Location"], timeout=30).content.decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def everyone(api, who="staff") -> dict[str, dict]:
    items = api.call("GET", "/professionals?limit=100", who=who).json["items"]
    return {p["email"]: p for p in items}


def objects(prefix: str) -> list[str]:
    return [o["Key"] for o in clients.s3().list_objects_v2(
        Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


# -- the routes -----------------------------------------------------------------------------

def test_create_answers_the_job_and_a_pinned_presigned_post(imports):
    job = create_job(imports, dry_run=True)
    assert job["status"] == "awaiting_upload" and job["format"] == "csv" and job["dry_run"]
    assert job["rows_total"] is None and job["rows_done"] == 0 and job["error"] is None
    assert job["summary"] == {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    form = job["upload"]
    assert form["key"] == f"imports/{job['id']}.csv"
    assert form["max_bytes"] == 52428800
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert {"key": form["key"]} in policy["conditions"]
    assert ["content-length-range", 1, 52428800] in policy["conditions"]
    assert {"bucket": BUCKET} in policy["conditions"]
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    lifetime = time.mktime(time.strptime(policy["expiration"][:19], "%Y-%m-%dT%H:%M:%S")) - \
        time.mktime(time.gmtime())
    assert 0 < lifetime <= 15 * 60 + 5
    assert imports.call("GET", f"/imports/{job['id']}").json == {
        k: v for k, v in job.items() if k != "upload"}


def test_upload_through_the_form_then_the_worker_makes_the_job_done(imports):
    job = create_job(imports)
    data = people_csv([("Ada Lovelace", "ada@example.com", "Analyst"),
                       ("Alan Turing", "alan@example.com", "")])
    form = job["upload"]
    posted = requests.post(form["url"], data=form["fields"],
                           files={"file": ("people.csv", data, "text/csv")}, timeout=30)
    assert posted.status_code in (200, 201, 204)
    assert deliver(imports, s3_event(form["key"])) == {"batchItemFailures": []}
    done = imports.call("GET", f"/imports/{job['id']}").json
    assert done["status"] == "done" and done["rows_total"] == 2 and done["rows_done"] == 2
    assert done["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    assert done["started_at"] and done["finished_at"] >= done["started_at"]
    assert everyone(imports)["ada@example.com"]["job_title"] == "Analyst"
    assert objects("imports/") == []  # the file goes once the job ends
    assert errors_csv(imports, job["id"]) == [["full_name", "email", "job_title", "row",
                                               "error_code", "error_message"]]


def test_chunks_apply_in_file_order_so_a_later_row_updates_what_an_earlier_created(imports):
    rows = [(f"Person {i}", f"p{i}@example.com", "first") for i in range(9)]
    rows.append(("Person 1", "p1@example.com", "second"))  # chunk 3 updates chunk 1's row
    done = run_job(imports, people_csv(rows))
    assert done["status"] == "done" and done["rows_done"] == 10
    assert done["summary"] == {"created": 9, "updated": 1, "unchanged": 0, "failed": 0}
    people = everyone(imports)
    assert people["p1@example.com"]["job_title"] == "second"
    assert people["p2@example.com"]["job_title"] == "first"


def test_a_dry_run_writes_nothing_and_reports_what_would_happen(imports):
    run_job(imports, people_csv([("Ada Lovelace", "ada@example.com", "Analyst")]))
    done = run_job(imports, people_csv([("Ada Lovelace", "ada@example.com", "Engineer"),
                                        ("New Person", "new@example.com", ""),
                                        ("", "nobody@example.com", "")]), dry_run=True)
    assert done["status"] == "done" and done["dry_run"] is True
    assert done["summary"] == {"created": 1, "updated": 1, "unchanged": 0, "failed": 1}
    people = everyone(imports)
    assert set(people) == {"ada@example.com"}
    assert people["ada@example.com"]["job_title"] == "Analyst"


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.create_sheet("ignored").append(["not", "read"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_gives_the_same_outcome_as_the_same_csv(imports, store):
    rows = [["Ada Lovelace", "ada@example.com", "Analyst", 14155550100],
            ["Alan Turing", "alan@example.com", None, None],
            ["Ada Lovelace", "ada@example.com", "Engineer", None],
            [None, "nobody@example.com", None, None]]
    header = ["Full_Name ", "email", "job_title", "phone"]
    from_xlsx = run_job(imports, xlsx([header, *rows]), fmt="xlsx")
    xlsx_people = everyone(imports)
    as_csv = people_csv([tuple("" if c is None else str(c) for c in r) for r in rows],
                        header=",".join(header))
    for person in xlsx_people.values():  # start again from an empty table
        assert imports.call("DELETE", f"/professionals/{person['id']}").status_code == 204
    from_csv = run_job(imports, as_csv)
    csv_people = everyone(imports)
    assert from_xlsx["status"] == from_csv["status"] == "done"
    assert from_xlsx["summary"] == from_csv["summary"] == {
        "created": 2, "updated": 1, "unchanged": 0, "failed": 1}
    assert from_xlsx["rows_total"] == from_csv["rows_total"] == 4

    def fields(people):
        return {e: (p["full_name"], p["job_title"], p["phone"]) for e, p in people.items()}
    assert fields(xlsx_people) == fields(csv_people)
    assert xlsx_people["ada@example.com"]["phone"] == "+14155550100"


@pytest.mark.parametrize("fmt, data, words", [
    ("csv", b"full_name,email,colour\r\nAda,ada@example.com,red\r\n", "Unknown CSV column"),
    ("csv", b"email,Email\r\nada@example.com,ada@example.com\r\n", "named twice"),
    ("csv", bytes(range(256)) * 40, "not UTF-8"),
    ("csv", b"%PDF-1.7\n\xe2\xe3\xcf\xd3 binary", "not UTF-8"),
    ("csv", b"\r\n \r\n", "header row"),
    ("xlsx", b"full_name,email\r\nAda,ada@example.com\r\n", "not an XLSX"),
    ("xlsx", b"%PDF-1.7 renamed", "not an XLSX"),
])
def test_an_unreadable_file_ends_failed_and_writes_nothing(imports, fmt, data, words):
    done = run_job(imports, data, fmt=fmt)
    assert done["status"] == "failed", done
    assert done["error"]["code"] == "bad_request" and words in done["error"]["message"]
    assert done["rows_done"] == 0 and done["summary"]["created"] == 0
    assert everyone(imports) == {}
    assert objects("imports/") == []


def test_a_file_over_100000_rows_ends_failed_before_any_row_is_written(imports):
    # Valid rows, so only the count stops it; the first chunk would have created people.
    lines = [f"P,{i}@example.com" for i in range(reader.MAX_ROWS + 1)]
    done = run_job(imports, ("full_name,email\n" + "\n".join(lines)).encode())
    assert done["status"] == "failed" and "100000 rows" in done["error"]["message"]
    assert done["error"]["details"] == {"max_rows": 100000}
    assert done["rows_total"] is None and everyone(imports) == {}


def test_a_header_only_file_is_done_with_nothing_to_do(imports):
    done = run_job(imports, b"\xef\xbb\xbffull_name,email\r\n")  # a BOM too
    assert done["status"] == "done" and done["rows_total"] == 0
    assert done["summary"] == {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}


def test_a_zip_bomb_disguised_as_xlsx_is_refused_from_its_directory(imports, monkeypatch):
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 4 * 1024 * 1024)
    started = time.monotonic()
    done = run_job(imports, out.getvalue(), fmt="xlsx")
    assert done["status"] == "failed" and "unpacks to more" in done["error"]["message"]
    assert time.monotonic() - started < 10


def test_the_errors_file_has_the_failed_rows_as_sent_with_row_code_and_message(imports):
    data = (b"Full_Name,EMAIL,job_title\r\n"
            b"Ada Lovelace,ada@example.com,Analyst\r\n"
            b",nobody@example.com,\r\n"           # row 2: a new person needs a name
            b"Bad Email,not-an-email,x\r\n"        # row 3
            b"Alan Turing,alan@example.com,Eng\r\n"
            b"\r\n"                                # blank: skipped, not counted
            b"Too,many,cells,here\r\n"             # row 5
            b"\"Quoted, Name\",\"bad\"\"quote@\",y\r\n")  # row 6, RFC 4180 quoting
    done = run_job(imports, data)
    assert done["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 4}
    lines = errors_csv(imports, done["id"])
    assert lines[0] == ["Full_Name", "EMAIL", "job_title", "row", "error_code",
                        "error_message"]
    assert [line[:4] for line in lines[1:]] == [
        ["", "nobody@example.com", "", "2"],
        ["Bad Email", "not-an-email", "x", "3"],
        ["Too", "many", "cells", "5"],
        ["Quoted, Name", 'bad"quote@', "y", "6"]]
    assert {line[4] for line in lines[1:]} == {"validation_error"}
    assert all(line[5] for line in lines[1:])


def test_the_errors_file_waits_for_the_end_of_the_job(imports):
    job = create_job(imports)
    assert_error(imports.call("GET", f"/imports/{job['id']}/errors"), 404, "not_found")


# -- crashes and redelivery -----------------------------------------------------------------

@pytest.mark.parametrize("where", ["record_chunk", "_save_part"])
def test_a_crash_after_a_chunk_then_redelivery_applies_no_row_twice(imports, monkeypatch, where):
    """Inside the second chunk's checkpoint (its part saved: the retry records it from the
    part), or just after its rows were written (no part: the retry applies it again, and the
    records' times say what the dead attempt did)."""
    rows = [(f"Person {i}", f"p{i}@example.com", "t") for i in range(10)]
    rows[6] = ("Person 0", "p0@example.com", "moved")  # chunk 2 updates a chunk-1 row
    data = people_csv(rows)
    clean = run_job(imports, data)
    clean_people = everyone(imports)
    for person in clean_people.values():
        imports.call("DELETE", f"/professionals/{person['id']}")

    job = create_job(imports)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"], Body=data)
    module = jobs if where == "record_chunk" else worker
    real, calls = getattr(module, where), []

    def crash_once(first, *args, **kwargs):
        calls.append(first)
        if len(calls) == 2:
            raise RuntimeError("the invocation dies after the second chunk's writes")
        return real(first, *args, **kwargs)

    monkeypatch.setattr(module, where, crash_once)
    event = s3_event(job["upload"]["key"])
    failed = deliver(imports, event, message_id="m-1")
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    half = imports.call("GET", f"/imports/{job['id']}").json
    assert half["status"] == "running" and half["rows_done"] == 4
    before = everyone(imports)
    # Another message (a duplicate S3 event) cannot take the job while the lease is held...
    assert deliver(imports, event, message_id="m-2") == {"batchItemFailures": []}
    assert imports.call("GET", f"/imports/{job['id']}").json["rows_done"] == 4
    # ...the redelivery of the message whose invocation died continues it.
    assert deliver(imports, event, message_id="m-1") == {"batchItemFailures": []}
    done = imports.call("GET", f"/imports/{job['id']}").json
    assert done["status"] == "done" and done["rows_done"] == 10
    assert done["summary"] == clean["summary"] == {
        "created": 9, "updated": 1, "unchanged": 0, "failed": 0}
    after = everyone(imports)
    for email, person in before.items():  # chunk 2 was not applied again
        assert after[email]["updated_at"] == person["updated_at"]
    assert after["p0@example.com"]["job_title"] == "moved"
    assert {e: p["job_title"] for e, p in after.items()} == \
        {e: p["job_title"] for e, p in clean_people.items()}


def test_a_replayed_event_of_an_ended_job_changes_nothing(imports):
    done = run_job(imports, people_csv([("Ada Lovelace", "ada@example.com", "Analyst")]))
    key = f"imports/{done['id']}.csv"
    clients.s3().put_object(Bucket=BUCKET, Key=key, Body=people_csv([("X", "x@example.com", "")]))
    assert deliver(imports, s3_event(key)) == {"batchItemFailures": []}
    again = imports.call("GET", f"/imports/{done['id']}").json
    assert again == done and set(everyone(imports)) == {"ada@example.com"}
    assert objects("imports/") == []


def test_a_job_continues_in_a_new_invocation_when_time_runs_low(imports, monkeypatch):
    rows = [(f"Person {i}", f"p{i}@example.com", "") for i in range(10)]
    job = create_job(imports)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"], Body=people_csv(rows))
    budget = iter([1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1.0])  # low before the third chunk
    monkeypatch.setattr(worker, "time_left",
                        lambda context: lambda: next(budget, 1000.0))
    assert deliver(imports, s3_event(job["upload"]["key"])) == {"batchItemFailures": []}
    part = imports.call("GET", f"/imports/{job['id']}").json
    assert part["status"] == "running" and 0 < part["rows_done"] < 10
    queue = clients.sqs().receive_message(QueueUrl=clients.sqs().get_queue_url(
        QueueName="professionals-imports-test")["QueueUrl"])["Messages"]
    assert [json.loads(m["Body"]) for m in queue] == [{"import_job": job["id"]}]
    assert deliver(imports, queue[0]["Body"]) == {"batchItemFailures": []}
    done = imports.call("GET", f"/imports/{job['id']}").json
    assert done["status"] == "done" and done["summary"]["created"] == 10


# -- who sees what --------------------------------------------------------------------------

def test_partners_see_only_their_jobs_and_import_only_their_rows(imports):
    staff_job = run_job(imports, people_csv([("Staff Row", "staff@example.com", "")]))
    done = run_job(imports, people_csv([("Acme Row", "acme@example.com", "x"),
                                        ("Staff Row", "staff@example.com", "taken")]),
                   who="partner")
    assert done["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "failed": 1}
    lines = errors_csv(imports, done["id"], who="partner")
    assert lines[1][3:5] == ["2", "conflict"]
    assert everyone(imports)["staff@example.com"]["job_title"] is None
    assert everyone(imports)["acme@example.com"]["source"] == "partner"
    for who, job_id in (("partner", staff_job["id"]), ("other_partner", done["id"]),
                        ("staff", done["id"])):
        assert_error(imports.call("GET", f"/imports/{job_id}", who=who), 404, "not_found")
        assert_error(imports.call("GET", f"/imports/{job_id}/errors", who=who), 404,
                     "not_found")
    assert [j["id"] for j in imports.call("GET", "/imports", who="partner").json["items"]] == \
        [done["id"]]
    assert imports.call("GET", "/imports", who="other_partner").json == {
        "items": [], "next_cursor": None}


def test_the_list_is_newest_first_one_page_at_a_time(imports):
    made = [create_job(imports)["id"] for _ in range(3)]
    first = imports.call("GET", "/imports?limit=2").json
    assert [j["id"] for j in first["items"]] == made[::-1][:2] and first["next_cursor"]
    second = imports.call("GET", f"/imports?limit=2&cursor={first['next_cursor']}").json
    assert [j["id"] for j in second["items"]] == [made[0]] and second["next_cursor"] is None
    assert_error(imports.call("GET", f"/imports?cursor={first['next_cursor']}",
                              who="partner"), 400, "bad_request")


def test_bad_requests_answer_the_envelope(imports):
    assert_error(imports.call("POST", "/imports", who=None, body={"format": "csv"}), 401,
                 "unauthorized")
    for body, field in (({"format": "ods"}, "format"), ({"format": "csv", "colour": 1}, "colour"),
                        ({"format": "csv", "dry_run": "yes"}, "dry_run"), ([], "body")):
        response = imports.call("POST", "/imports", body=body)
        assert_error(response, 400, "validation_error")
        assert field in response.json["error"]["details"]["fields"]
    assert_error(imports.call("POST", "/imports", raw=b"{", body=None), 400, "bad_request")
    assert_error(imports.call("POST", "/imports", body={"format": "csv"},
                              headers={"Content-Type": "text/csv"}), 415,
                 "unsupported_media_type")
    for path in ("/imports/not-an-id", f"/imports/{uuid.uuid4().hex}",
                 f"/imports/{uuid.uuid4().hex}/errors"):
        assert_error(imports.call("GET", path), 404, "not_found")
    for query in ("limit=0", "limit=101", "colour=red", "cursor=forged"):
        assert_error(imports.call("GET", f"/imports?{query}"), 400, "bad_request")
    assert_error(imports.call("GET", "/imports", who=None), 401, "unauthorized")


def test_person_tokens_may_not_use_jobs(imports):
    signed = imports.call("POST", "/professionals", who=None, body={
        "full_name": "Ada", "email": "ada@example.com", "consent": True}).json
    token = f"Bearer {signed['access_token']}"
    assert_error(imports.call("POST", "/imports", who=token, body={"format": "csv"}), 403,
                 "forbidden")
    assert_error(imports.call("GET", "/imports", who=token), 403, "forbidden")


def test_the_local_worker_hands_the_apps_handler_one_message_at_a_time(imports):
    from infra.local import import_worker
    handler = import_worker.find_handler()
    assert handler.batch_size == 1 and "process_imports" in handler.name
    job = create_job(imports)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"],
                            Body=people_csv([("Ada Lovelace", "ada@example.com", "")]))
    assert handler.call(sqs_event(s3_event(job["upload"]["key"]))["Records"]) == []
    assert imports.call("GET", f"/imports/{job['id']}").json["status"] == "done"


def test_a_job_reads_only_the_file_it_first_saw(imports):
    key = "imports/" + uuid.uuid4().hex + ".csv"
    clients.s3().put_object(Bucket=BUCKET, Key=key, Body=b"email\r\na@example.com\r\n")
    etag = clients.s3().head_object(Bucket=BUCKET, Key=key)["ETag"]
    with reader.open_rows("csv", BUCKET, key, etag) as rows:
        assert reader.count(rows) == 1
    clients.s3().put_object(Bucket=BUCKET, Key=key, Body=b"email\r\nb@example.com\r\n")
    with pytest.raises(reader.FileChanged):
        with reader.open_rows("csv", BUCKET, key, etag):
            pass


def test_a_file_over_the_size_limit_fails_the_job(imports, monkeypatch):
    # moto does not enforce the form's content-length-range: the worker checks again.
    monkeypatch.setattr(worker, "MAX_BYTES", 10)
    done = run_job(imports, people_csv([("Ada Lovelace", "ada@example.com", "")]))
    assert done["status"] == "failed" and done["error"]["details"] == {"max_bytes": 10}
    assert everyone(imports) == {}


def test_a_continuation_finds_the_job_free_even_when_taken_at_once(imports, monkeypatch):
    """The worker lets the job go before it sends the continuation: a worker that receives it
    immediately can take the job."""
    rows = [(f"Person {i}", f"p{i}@example.com", "") for i in range(6)]
    job = create_job(imports)
    clients.s3().put_object(Bucket=BUCKET, Key=job["upload"]["key"], Body=people_csv(rows))
    budget = iter([1000.0, 1000.0, 1000.0, 1.0])  # low after the first chunk
    monkeypatch.setattr(worker, "time_left", lambda context: lambda: next(budget, 1000.0))
    sqs, sent = clients.sqs(), []
    real_send = sqs.send_message

    def deliver_at_once(**kwargs):  # the continuation, handled before send_message returns
        sent.append(kwargs["MessageBody"])
        answer = real_send(**kwargs)
        assert worker.process(job["id"], "continuation", lambda: 1000.0) == "done"
        return answer

    monkeypatch.setattr(sqs, "send_message", deliver_at_once)
    assert deliver(imports, s3_event(job["upload"]["key"])) == {"batchItemFailures": []}
    assert sent == [json.dumps({"import_job": job["id"]})]
    done = imports.call("GET", f"/imports/{job['id']}").json
    assert done["status"] == "done" and done["summary"]["created"] == 6


def test_a_job_of_a_caller_without_a_name_or_key_id_reads_back(imports):
    from chalicelib.auth import Caller
    job = jobs.new(Caller(role="staff"), "csv", False, worker.UPLOAD_PREFIX)
    again = jobs.get(job.id)
    assert again.caller == Caller(role="staff") and again.resource() == job.resource()


def test_rows_the_store_keeps_refusing_fail_alone_and_the_job_still_ends_done(imports,
                                                                               monkeypatch):
    from chalicelib import bulk, db

    def throttled(actions):
        raise db.StoreUnavailable("ProvisionedThroughputExceededException")

    monkeypatch.setattr(bulk.db, "transact", throttled)
    monkeypatch.setattr(bulk.db, "backoff", lambda attempt: None)
    done = run_job(imports, people_csv([("Ada Lovelace", "ada@example.com", ""),
                                        ("Alan Turing", "alan@example.com", "")]))
    assert done["status"] == "done"
    assert done["summary"] == {"created": 0, "updated": 0, "unchanged": 0, "failed": 2}
    lines = errors_csv(imports, done["id"])
    assert [(line[3], line[4]) for line in lines[1:]] == [("1", "unavailable"),
                                                          ("2", "unavailable")]
