"""Resumes: presigned uploads, processing of every kind of file, at-least-once delivery."""
from __future__ import annotations

import base64
import json
import resource
import subprocess
import sys
import time

import pytest
import requests

from chalicelib import clients, resume_processor, resumes
from tests import pdf_corpus
from tests.test_professionals_api import assert_error

DESCRIPTOR = {"filename": "ada cv.pdf", "content_type": "application/pdf", "size_bytes": 2000}
PERSON = {"full_name": "Ada Lovelace", "email": "ada@example.com", "consent": True}


def sign_up(api, who=None, **extra):
    response = api.call("POST", "/professionals", who=who,
                        body={**PERSON, "resume": DESCRIPTOR, **extra})
    assert response.status_code == 201, response.json
    return response.json


def upload(form, data: bytes) -> requests.Response:
    """What the browser does: multipart POST of the fields, then the file."""
    return requests.post(form["url"], data=form["fields"],
                         files={"file": ("cv.pdf", data, "application/pdf")}, timeout=30)


def s3_event(key: str) -> str:
    from urllib.parse import quote_plus
    return json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
                                    "s3": {"bucket": {"name": "b"},
                                           "object": {"key": quote_plus(key)}}}]})


def deliver(api, *bodies: str) -> dict:
    event = api.client.events.generate_sqs_event(message_bodies=list(bodies))
    return api.client.lambda_.invoke("process_resume_uploads", event).payload


def read(api, pid):
    return api.call("GET", f"/professionals/{pid}").json


def test_sign_up_with_a_resume_returns_a_pinned_presigned_post(api):
    body = sign_up(api)
    form = body["resume_upload"]
    assert body["resume"]["status"] == "awaiting_upload"
    assert form["max_bytes"] == 5 * 1024 * 1024
    assert form["key"].startswith(f"uploads/{body['id']}/") and form["key"].endswith(".pdf")
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": form["key"]} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions
    assert {"bucket": "professionals-resumes-test"} in conditions
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    lifetime = time.mktime(time.strptime(policy["expiration"][:19], "%Y-%m-%dT%H:%M:%S")) - \
        time.mktime(time.gmtime())
    assert 0 < lifetime <= 15 * 60 + 5


@pytest.mark.parametrize("descriptor, field", [
    ({**DESCRIPTOR, "size_bytes": 5 * 1024 * 1024 + 1}, "resume.size_bytes"),
    ({**DESCRIPTOR, "content_type": "image/png"}, "resume.content_type"),
    ({**DESCRIPTOR, "colour": "red"}, "resume.colour"),
    ("cv.pdf", "resume"),
])
def test_bad_descriptors_are_refused_before_anything_is_written(api, descriptor, field):
    response = api.call("POST", "/professionals", who=None, body={**PERSON, "resume": descriptor})
    assert_error(response, 400, "validation_error")
    assert field in response.json["error"]["details"]["fields"]
    assert api.call("GET", "/professionals").json["items"] == []


def test_full_flow_upload_process_read_download(api):
    body = sign_up(api)
    pid, token, form = body["id"], body["access_token"], body["resume_upload"]
    data = pdf_corpus.pdf(2)
    assert upload(form, data).status_code in (200, 201, 204)
    assert deliver(api, s3_event(form["key"])) == {"batchItemFailures": []}
    own = api.call("GET", f"/professionals/{pid}", who=f"Bearer {token}").json
    assert own["resume"]["status"] == "ready" and own["resume"]["reason"] is None
    assert own["resume"]["pages"] == 2 and own["resume"]["size_bytes"] == len(data)
    assert "Ada Lovelace page 2" in own["resume_text"]
    assert own["resume"]["text_chars"] == len(own["resume_text"])
    assert own["resume"]["text_truncated"] is False
    link = api.call("GET", f"/professionals/{pid}/resume").json
    downloaded = requests.get(link["url"], timeout=30)
    assert downloaded.content == data
    assert "attachment" in link["url"].lower() or "content-disposition" in link["url"].lower()
    keys = {o["Key"] for o in clients.s3().list_objects_v2(
        Bucket="professionals-resumes-test").get("Contents", [])}
    assert not any(k.startswith("uploads/") for k in keys)  # moved out of the upload prefix


def test_download_is_staff_only_and_404_without_a_ready_resume(api):
    body = sign_up(api)
    assert_error(api.call("GET", f"/professionals/{body['id']}/resume"), 404, "not_found")
    assert_error(api.call("GET", f"/professionals/{body['id']}/resume",
                          who=f"Bearer {body['access_token']}"), 403, "forbidden")
    assert_error(api.call("GET", "/professionals/missing/resume"), 404, "not_found")


def put(key: str, data: bytes) -> None:
    clients.s3().put_object(Bucket="professionals-resumes-test", Key=key, Body=data)


@pytest.mark.parametrize("make, reason", [
    (pdf_corpus.exe_renamed, "not_pdf"),
    (pdf_corpus.zip_file, "not_pdf"),
    (pdf_corpus.png, "not_pdf"),
    (lambda: b"", "empty"),
    (pdf_corpus.truncated, "unreadable"),
    (lambda: pdf_corpus.pdf(1, password="secret"), "encrypted"),
    (lambda: pdf_corpus.oversized(5 * 1024 * 1024 + 10), "too_large"),
    (lambda: pdf_corpus.pdf(60), "too_many_pages"),
])
def test_bad_files_are_rejected_with_their_reason_and_deleted(api, make, reason):
    body = sign_up(api)
    key = body["resume_upload"]["key"]
    put(key, make())
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}
    state = read(api, body["id"])
    assert (state["resume"]["status"], state["resume"]["reason"]) == ("rejected", reason)
    assert state["resume"]["processed_at"] and state["resume_text"] is None
    assert clients.s3().list_objects_v2(Bucket="professionals-resumes-test")["KeyCount"] == 0


def test_a_decompression_bomb_ends_in_bounded_time_and_memory(api):
    body = sign_up(api)
    key = body["resume_upload"]["key"]
    put(key, pdf_corpus.flate_bomb())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}
    assert time.monotonic() - started < resume_processor.EXTRACT_TIMEOUT_SECONDS + 10
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024  # the gigabytes were the child's problem, capped by RLIMIT_AS
    assert read(api, body["id"])["resume"]["reason"] in ("unreadable", "timeout")


def test_text_over_the_limit_is_cut_but_kept_whole(api):
    body = sign_up(api)
    key = body["resume_upload"]["key"]
    put(key, pdf_corpus.long_text_pdf(resumes.TEXT_LIMIT + 5000))
    deliver(api, s3_event(key))
    state = read(api, body["id"])
    assert state["resume"]["status"] == "ready" and state["resume"]["text_truncated"] is True
    assert len(state["resume_text"]) == resumes.TEXT_LIMIT
    assert state["resume"]["text_chars"] > resumes.TEXT_LIMIT


def test_duplicates_replays_and_superseded_uploads_change_nothing(api):
    body = sign_up(api)
    pid, first_key = body["id"], body["resume_upload"]["key"]
    put(first_key, pdf_corpus.pdf(2, words="First file"))
    deliver(api, s3_event(first_key))
    ready = read(api, pid)
    deliver(api, s3_event(first_key), s3_event(first_key))  # at-least-once duplicates
    assert read(api, pid) == ready

    again = api.call("POST", f"/professionals/{pid}/resume", who=f"Bearer {body['access_token']}",
                     body=DESCRIPTOR)
    assert again.status_code == 201 and again.json["resume"]["status"] == "awaiting_upload"
    second_key = again.json["resume_upload"]["key"]
    assert second_key != first_key
    waiting = read(api, pid)
    assert "First file" in waiting["resume_text"]  # the previous ready file is still served
    assert api.call("GET", f"/professionals/{pid}/resume").status_code == 200

    put(first_key, pdf_corpus.pdf(1, words="Late replay"))  # an old attempt arriving late
    deliver(api, s3_event(first_key))
    assert read(api, pid)["resume"]["status"] == "awaiting_upload"

    put(second_key, pdf_corpus.pdf(3, words="Second file"))
    deliver(api, s3_event(second_key))
    final = read(api, pid)
    assert final["resume"]["pages"] == 3 and "Second file" in final["resume_text"]
    keys = sorted(o["Key"] for o in clients.s3().list_objects_v2(
        Bucket="professionals-resumes-test")["Contents"])
    assert len(keys) == 2 and all(second_key.split("/")[-1][:-4] in k for k in keys)


def test_events_for_deleted_professionals_are_dropped(api):
    body = sign_up(api)
    key = body["resume_upload"]["key"]
    assert api.call("DELETE", f"/professionals/{body['id']}").status_code == 204
    put(key, pdf_corpus.pdf(1))
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}
    assert clients.s3().list_objects_v2(Bucket="professionals-resumes-test")["KeyCount"] == 0


def test_test_events_and_foreign_keys_are_skipped(api):
    skipped = deliver(api, json.dumps({"Event": "s3:TestEvent", "Bucket": "b"}),
                      s3_event("elsewhere/file.pdf"))
    assert skipped == {"batchItemFailures": []}


def test_unexpected_failures_are_reported_per_record(api):
    body = sign_up(api)
    put(body["resume_upload"]["key"], pdf_corpus.pdf(1))
    event = api.client.events.generate_sqs_event(
        message_bodies=["not json", s3_event(body["resume_upload"]["key"])])
    records = event["Records"]
    result = api.client.lambda_.invoke("process_resume_uploads", event).payload
    assert result == {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]}
    assert read(api, body["id"])["resume"]["status"] == "ready"


def test_resume_upload_permissions(api):
    body = sign_up(api)
    other = api.call("POST", "/professionals", who=None,
                     body={"full_name": "Grace", "email": "grace@example.com",
                           "consent": True}).json
    path = f"/professionals/{body['id']}/resume"
    assert_error(api.call("POST", path, who=None, body=DESCRIPTOR), 401, "unauthorized")
    # Not the partner's record: a 404 to it (docs/api.md, Partners).
    assert_error(api.call("POST", path, who="partner", body=DESCRIPTOR), 404, "not_found")
    assert_error(api.call("POST", path, who=f"Bearer {other['access_token']}", body=DESCRIPTOR),
                 403, "forbidden")
    assert api.call("POST", path, who="staff", body=DESCRIPTOR).status_code == 201
    assert_error(api.call("POST", "/professionals/missing/resume", body=DESCRIPTOR), 404,
                 "not_found")
    assert_error(api.call("POST", path, body={**DESCRIPTOR, "size_bytes": 0}), 400,
                 "validation_error")


def test_libmagic_comes_from_the_bundled_wheel():
    """The Lambda runtime has no libmagic: the one pylibmagic ships must be the one loaded."""
    probe = ("import pylibmagic, magic, pathlib;"
             "print(magic.from_buffer(b'%PDF-1.4\\n', mime=True));"
             "print([l.split()[-1] for l in open('/proc/self/maps') if 'libmagic.so' in l][0])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    import pylibmagic
    assert out[0] == "application/pdf"
    assert out[1].startswith(str(pylibmagic.data)), out[1]


def test_importing_the_api_loads_no_pdf_stack():
    probe = ("import sys, app; print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('pdfplumber', 'pdfminer', 'magic', 'pylibmagic', 'pypdfium2')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={"PATH": "", "STAGE": "test"}).stdout
    assert out.strip() == "[]"


def test_a_started_attempt_whose_file_vanished_is_decided_not_left_processing(api):
    from chalicelib import professionals
    body = sign_up(api)
    key = body["resume_upload"]["key"]
    put(key, pdf_corpus.pdf(1))
    # A first delivery got as far as "processing", then died; the file then expired.
    assert resume_processor._update(body["id"], key, status="processing", size_bytes=10)
    clients.s3().delete_object(Bucket="professionals-resumes-test", Key=key)
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}
    state = professionals.get(body["id"]).resume
    assert (state["status"], state["reason"]) == ("rejected", "unreadable")


def test_an_uploaded_attempt_whose_file_is_gone_after_its_deadline_ends_expired(api, monkeypatch):
    """A dead-letter replay after the 1-day clean-up of uploads/: the attempt never left
    awaiting_upload (its first deliveries failed), and its file is gone. Before the form's
    deadline the person can still upload (nothing changes); after it, the attempt ends."""
    from datetime import datetime, timedelta, timezone
    from chalicelib import professionals
    body = sign_up(api)
    key = body["resume_upload"]["key"]
    deadline = resumes.parse_iso(body["resume_upload"]["expires_at"])
    assert deadline == resumes.upload_deadline(professionals.get(body["id"]))
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}  # no file yet: missing
    assert professionals.get(body["id"]).resume["status"] == "awaiting_upload"

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return deadline + timedelta(seconds=resume_processor.CLOCK_SKEW_SECONDS + 1)
    monkeypatch.setattr(resume_processor, "datetime", Later)
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}
    state = professionals.get(body["id"]).resume
    assert (state["status"], state["reason"]) == ("rejected", "expired")
    # A new attempt starts afresh, with its own deadline.
    monkeypatch.undo()
    again = api.call("POST", f"/professionals/{body['id']}/resume",
                     who=f"Bearer {body['access_token']}", body=DESCRIPTOR)
    assert again.status_code == 201 and again.json["resume"]["status"] == "awaiting_upload"
    assert resumes.parse_iso(again.json["resume_upload"]["expires_at"]) > datetime.now(timezone.utc)
