"""End to end over real HTTP: the local stack of `make run`, with moto server and with LocalStack
for S3 and SQS (DynamoDB Local for DynamoDB in both)."""
from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config

from infra import resources
from infra.local_stack import DEMO_PROFESSIONALS
from tests.e2e.conftest import get_json, unique_email, wait_until
from tests.e2e.stack import PROJECT_ROOT, stack_env
from tests.e2e.pdf import tiny_pdf

pytestmark = pytest.mark.e2e
MIB = 1024 * 1024


def staff(stack) -> dict[str, str]:
    return {"X-Api-Key": stack.keys["staff"]}


def partner(stack) -> dict[str, str]:
    return {"X-Api-Key": stack.keys["partner"]}


def aws_client(stack, service: str):
    env = stack.env
    return boto3.client(
        service, region_name=env["AWS_DEFAULT_REGION"],
        endpoint_url=env[f"AWS_ENDPOINT_URL_{service.upper()}"],
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "test"),
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def presigned_post(stack, key: str, max_bytes: int = 5 * MIB) -> dict:
    return aws_client(stack, "s3").generate_presigned_post(
        stack.env["RESUME_BUCKET"], key,
        Fields={"Content-Type": "application/pdf"},
        Conditions=[{"Content-Type": "application/pdf"}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=900)


# --- the API over HTTP ---------------------------------------------------------------------------

def test_health(stack, http):
    response = http.get(f"{stack.api}/health", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_one_origin_serves_the_spa_and_the_api(stack, http):
    page = http.get(f"{stack.url}/", timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    docs = http.get(f"{stack.api}/docs", timeout=30)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    missing = http.get(f"{stack.api}/no/such/route", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_demo_professionals_are_seeded(stack, http):
    # Looked up one by one: other tests in the session add professionals, newer than these.
    for name, email, phone, _company, _title, source in DEMO_PROFESSIONALS:
        query = {"email": email} if email else {"phone": phone}
        response = http.get(f"{stack.api}/professionals", params=query, headers=staff(stack),
                            timeout=30)
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [i["full_name"] for i in items] == [name], f"demo professional {name} missing"
        assert items[0]["source"] == source
        assert items[0]["email"] == (email or None)


def test_create_then_get_with_key_and_with_token(stack, http):
    email = unique_email("e2e-create")
    created = http.post(f"{stack.api}/professionals", timeout=30,
                        json={"full_name": "  E2E Person ", "email": email.upper(),
                              "phone": "(415) 555-0199", "consent": True})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == email and body["phone"] == "+14155550199"
    assert body["full_name"] == "E2E Person" and body["source"] == "direct"
    token = body["access_token"]

    as_staff = http.get(f"{stack.api}/professionals/{body['id']}", headers=staff(stack),
                        timeout=30)
    assert as_staff.status_code == 200 and as_staff.json()["id"] == body["id"]
    assert "resume_text" in as_staff.json()
    as_owner = http.get(f"{stack.api}/professionals/{body['id']}", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})
    assert as_owner.status_code == 200
    anonymous = http.get(f"{stack.api}/professionals/{body['id']}", timeout=30)
    assert anonymous.status_code == 401

    taken = http.post(f"{stack.api}/professionals", timeout=30,
                      json={"full_name": "Copy", "phone": "+1 415 555 0199",
                            "email": unique_email("e2e-copy"), "consent": True})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "conflict"


def test_bulk_upsert_then_list(stack, http):
    rows = [{"full_name": "Bulk One", "email": unique_email("e2e-bulk"), "job_title": "A"},
            {"full_name": "Bulk Two", "email": unique_email("e2e-bulk"), "job_title": "B"}]
    first = http.post(f"{stack.api}/professionals/bulk", json=rows, headers=partner(stack),
                      timeout=60)
    assert first.status_code == 207, first.text
    assert first.json()["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    again = http.post(f"{stack.api}/professionals/bulk", json=rows, headers=partner(stack),
                      timeout=60)
    assert again.json()["summary"] == {"created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    csv = f"email,job_title\n{rows[0]['email']},Lead\n".encode()
    update = http.post(f"{stack.api}/professionals/bulk", data=csv, timeout=60,
                       headers={**partner(stack), "Content-Type": "text/csv"})
    assert update.json()["summary"]["updated"] == 1, update.text

    found = http.get(f"{stack.api}/professionals", params={"email": rows[0]["email"]},
                     headers=staff(stack), timeout=30).json()["items"]
    assert [(p["full_name"], p["job_title"], p["source"]) for p in found] == \
        [("Bulk One", "Lead", "partner")]

    page = http.get(f"{stack.api}/professionals", params={"source": "partner", "limit": 2},
                    headers=staff(stack), timeout=30).json()
    assert len(page["items"]) == 2 and page["next_cursor"]  # newest first: the bulk rows
    assert {p["full_name"] for p in page["items"]} == {"Bulk One", "Bulk Two"}
    # The partner's own list (docs/api.md, Partners): its rows, newest first; anyone else's is a 404.
    own = http.get(f"{stack.api}/professionals", params={"limit": 2}, headers=partner(stack),
                   timeout=30).json()["items"]
    assert {p["full_name"] for p in own} == {"Bulk One", "Bulk Two"}
    assert http.get(f"{stack.api}/professionals/{own[0]['id']}", headers=partner(stack),
                    timeout=30).status_code == 200
    by_staff = http.post(f"{stack.api}/professionals", headers=staff(stack), timeout=30,
                         json={"full_name": "Staff Made", "email": unique_email("e2e-staff")})
    other = http.get(f"{stack.api}/professionals/{by_staff.json()['id']}",
                     headers=partner(stack), timeout=30)
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


# --- the resources ---------------------------------------------------------------------------------

def test_resources_match_the_definition_and_creating_again_changes_nothing(stack, monkeypatch):
    env = stack.env
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, env[name])
    instance = (stack.data_dir / "instance").read_text().strip()
    spec = resources.define("local", suffix=instance, origins=[stack.url],
                            table_name=env["TABLE_NAME"], region=env["AWS_DEFAULT_REGION"])
    again = resources.create(spec)
    assert again == {k: env[k] for k in again}

    sqs, s3 = aws_client(stack, "sqs"), aws_client(stack, "s3")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=env["UPLOAD_DLQ_URL"], AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    attrs = sqs.get_queue_attributes(QueueUrl=env["UPLOAD_QUEUE_URL"],
                                     AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn,
                                                  "maxReceiveCount": resources.MAX_RECEIVE_COUNT}
    notifications = s3.get_bucket_notification_configuration(
        Bucket=env["RESUME_BUCKET"])["QueueConfigurations"]
    prefixes = {n["QueueArn"]: [(r["Name"].lower(), r["Value"])
                                for r in n["Filter"]["Key"]["FilterRules"]]
                for n in notifications}
    imports_arn = sqs.get_queue_attributes(QueueUrl=env["IMPORT_QUEUE_URL"], AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    # Uploads to the resume queue, import files to the imports queue, nothing else notifies.
    assert prefixes == {attrs["QueueArn"]: [("prefix", "uploads/")],
                        imports_arn: [("prefix", "imports/")]}
    cors = s3.get_bucket_cors(Bucket=env["RESUME_BUCKET"])["CORSRules"]
    assert stack.url in cors[0]["AllowedOrigins"]

    ddb = aws_client(stack, "dynamodb")
    table = ddb.describe_table(TableName=env["TABLE_NAME"])["Table"]
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == \
        {g["IndexName"] for g in spec.table.global_secondary_indexes}


# --- uploads ---------------------------------------------------------------------------------------

def test_presigned_post_reaches_the_bucket_and_the_queue(stack, http):
    key = f"uploads/e2e-{secrets.token_hex(6)}/probe.pdf"
    post = presigned_post(stack, key)
    data = tiny_pdf("probe")
    response = http.post(post["url"], data=post["fields"], timeout=30,
                         files={"file": ("probe.pdf", data, "application/pdf")},
                         headers={"Origin": stack.url})
    assert response.status_code in (200, 201, 204), response.text
    # the browser may read the answer: CORS for the local origin
    assert response.headers.get("Access-Control-Allow-Origin") in (stack.url, "*")

    head = aws_client(stack, "s3").head_object(Bucket=stack.env["RESUME_BUCKET"], Key=key)
    assert head["ContentLength"] == len(data)
    # S3 -> SQS ObjectCreated -> the worker received it (and the handler then had its say)
    line = stack.wait_for_log(f"s3://{stack.env['RESUME_BUCKET']}/{key}")
    assert "ObjectCreated" in line and "received" in line


def test_bucket_answers_the_browsers_cors_preflight(stack, http):
    post = presigned_post(stack, f"uploads/e2e-{secrets.token_hex(6)}/x.pdf")
    response = http.options(post["url"], timeout=30, headers={
        "Origin": stack.url, "Access-Control-Request-Method": "POST"})
    assert response.status_code in (200, 204), response.text
    assert response.headers.get("Access-Control-Allow-Origin") in (stack.url, "*")


def test_resume_upload_is_processed_by_the_worker(stack, http):
    pdf = tiny_pdf("Resume of an end to end test")
    created = http.post(f"{stack.api}/professionals", timeout=30, json={
        "full_name": "E2E Resume", "email": unique_email("e2e-resume"), "consent": True,
        "resume": {"filename": "cv.pdf", "content_type": "application/pdf",
                   "size_bytes": len(pdf)}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["resume"]["status"] == "awaiting_upload"
    upload = body["resume_upload"]
    sent = http.post(upload["url"], data=upload["fields"], timeout=30,
                     files={"file": ("cv.pdf", pdf, "application/pdf")},
                     headers={"Origin": stack.url})
    assert sent.status_code in (200, 201, 204), sent.text

    owner = {"Authorization": f"Bearer {body['access_token']}"}

    def processed():
        status, record = get_json(f"{stack.api}/professionals/{body['id']}", owner)
        assert status == 200, record
        return record if record["resume"]["status"] in ("ready", "rejected") else None

    record = wait_until(processed, timeout=60)
    assert record, f"the resume was not processed in time:\n{stack.log_tail()}"
    assert record["resume"]["status"] == "ready", record["resume"]
    assert record["resume"]["pages"] == 1
    assert "Resume of an end to end test" in record["resume_text"]
    staff = {"X-Api-Key": stack.keys["staff"]}
    status, link = get_json(f"{stack.api}/professionals/{body['id']}/resume", staff)
    assert status == 200, link
    downloaded = http.get(link["url"], timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == pdf


def test_localstack_enforces_the_upload_size_limit(stack, http):
    if stack.emulator != "localstack":
        pytest.skip("moto accepts any size in a presigned POST")
    created = http.post(f"{stack.api}/professionals", timeout=30, json={
        "full_name": "E2E Oversize", "email": unique_email("e2e-big"), "consent": True,
        "resume": {"filename": "big.pdf", "content_type": "application/pdf", "size_bytes": 1000}})
    assert created.status_code == 201, created.text
    upload = created.json()["resume_upload"]
    too_big = b"%PDF-1.4\n" + b"0" * upload["max_bytes"]  # the API's own policy: 5 MiB at most
    response = http.post(upload["url"], data=upload["fields"], timeout=60,
                         files={"file": ("big.pdf", too_big, "application/pdf")})
    assert response.status_code == 400 and "EntityTooLarge" in response.text


# --- one stack per folder and port ----------------------------------------------------------------

def _start_again(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "infra.local_stack", *args], cwd=PROJECT_ROOT,
                          env=stack_env(), capture_output=True, text=True, timeout=60)


def test_a_second_stack_on_the_same_folder_is_refused(stack):
    if stack.emulator != "moto":
        pytest.skip("the same check for both emulators: once is enough")
    started = time.monotonic()
    result = _start_again(["--port", "0", "--data-dir", str(stack.data_dir)])
    assert result.returncode == 3
    assert "already runs" in result.stderr and str(stack.state["pid"]) in result.stderr
    assert time.monotonic() - started < 30


def test_a_taken_port_is_reported(stack, tmp_path):
    if stack.emulator != "moto":
        pytest.skip("the same check for both emulators: once is enough")
    port = stack.url.rsplit(":", 1)[1]
    result = _start_again(["--port", port, "--data-dir", str(tmp_path / "other")])
    assert result.returncode == 3
    assert f"Port {port}" in result.stderr and "already in use" in result.stderr
