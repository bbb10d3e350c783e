"""The local stack's parts, without starting it: resource definition and creation (moto
in-process), the worker's SQS -> handler loop, the one-origin server, the data folder."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import boto3
import pytest
from moto import mock_aws

from infra import local_server, local_stack, local_worker, resources


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3",
                 "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


# --- resources ----------------------------------------------------------------------------------

def test_the_table_is_defined_by_the_models():
    from chalicelib.models import ProfessionalItem
    spec = resources.define("local", suffix="abc").table
    assert spec.name == resources.stage_environment("local")["TABLE_NAME"]
    assert spec.key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}]
    indexes = {g["IndexName"]: g for g in spec.global_secondary_indexes}
    assert set(indexes) == set(ProfessionalItem._indexes)
    for gsi in indexes.values():
        assert gsi["KeySchema"][0]["KeyType"] == "HASH"
        assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert [k["KeyType"] for k in indexes["by_source"]["KeySchema"]] == ["HASH", "RANGE"]
    defined = {a["AttributeName"] for a in spec.attribute_definitions}
    used = {k["AttributeName"] for g in indexes.values() for k in g["KeySchema"]} | {"pk"}
    assert defined == used


def test_names_come_from_the_stage_config_and_the_suffix():
    config = resources.stage_environment("prod")
    prod = resources.define("prod")
    assert prod.bucket.name == config["RESUME_BUCKET"]
    assert prod.upload_queue.name == config["UPLOAD_QUEUE_NAME"]
    assert prod.dead_letter_queue.name == config["UPLOAD_QUEUE_NAME"] + "-dlq"
    local = resources.define("local", suffix="x1y2")
    assert local.bucket.name.endswith("-x1y2") and local.upload_queue.name.endswith("-x1y2")
    assert local.upload_queue.dead_letter_queue == local.dead_letter_queue.logical_id
    assert local.upload_queue.max_receive_count == resources.MAX_RECEIVE_COUNT
    [note] = local.bucket.notifications
    assert note.prefix == "uploads/" and note.queue == local.upload_queue.logical_id
    assert local.bucket.cors_rules == []  # no origin, no CORS
    assert json.loads(json.dumps(local.to_dict()))["bucket"]["name"] == local.bucket.name


def test_create_is_idempotent_and_wires_s3_to_sqs(aws):
    spec = resources.define("local", suffix="t1", origins=["http://127.0.0.1:8000"])
    env = resources.create(spec)
    assert resources.create(spec) == env
    assert env["TABLE_NAME"] == spec.table.name and env["RESUME_BUCKET"] == spec.bucket.name

    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=env["UPLOAD_QUEUE_URL"],
                                     AttributeNames=["All"])["Attributes"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=env["UPLOAD_DLQ_URL"], AttributeNames=[
        "QueueArn"])["Attributes"]["QueueArn"]
    assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn
    policy = json.loads(attrs["Policy"])["Statement"][0]
    assert policy["Principal"] == {"Service": "s3.amazonaws.com"}
    assert policy["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:s3:::{spec.bucket.name}"
    assert s3.get_bucket_cors(Bucket=spec.bucket.name)["CORSRules"][0]["AllowedOrigins"] == \
        ["http://127.0.0.1:8000"]

    sqs.purge_queue(QueueUrl=env["UPLOAD_QUEUE_URL"])  # the s3:TestEvent
    s3.put_object(Bucket=spec.bucket.name, Key="uploads/p1/cv.pdf", Body=b"%PDF-1.4")
    s3.put_object(Bucket=spec.bucket.name, Key="text/p1/cv.txt", Body=b"derived")
    messages = sqs.receive_message(QueueUrl=env["UPLOAD_QUEUE_URL"],
                                   MaxNumberOfMessages=10).get("Messages", [])
    keys = [r["s3"]["object"]["key"] for m in messages for r in json.loads(m["Body"])["Records"]]
    assert [k.replace("%2F", "/") for k in keys] == ["uploads/p1/cv.pdf"]


def test_an_existing_table_without_an_index_is_reported(aws):
    spec = resources.define("local", suffix="t2")
    boto3.client("dynamodb").create_table(
        TableName=spec.table.name, KeySchema=spec.table.key_schema,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    with pytest.raises(resources.ResourceError, match="without the indexes"):
        resources.create(spec)


# --- the worker --------------------------------------------------------------------------------

def s3_event(key: str) -> str:
    return json.dumps({"Records": [{"eventName": "ObjectCreated:Post", "s3": {
        "bucket": {"name": "b"}, "object": {"key": key, "size": 3}}}]})


def test_worker_deletes_what_succeeded_and_leaves_what_failed(aws, monkeypatch):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q",
                           Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    for key in ("uploads/ok.pdf", "uploads/bad+name.pdf"):
        sqs.send_message(QueueUrl=url, MessageBody=s3_event(key))
    seen = []

    def handle(records):
        seen.extend(records)
        return [r["messageId"] for r in records if "bad" in r["body"]]

    monkeypatch.setattr(local_worker, "find_handler",
                        lambda: local_worker.Handler("test", handle, 10))
    worker = local_worker.Worker(url, region="us-east-1", sqs=sqs)
    assert worker.poll_once(wait_seconds=0) == 2
    assert {r["eventSource"] for r in seen} == {"aws:sqs"}
    assert all(r["eventSourceARN"].endswith(":q") and r["receiptHandle"] for r in seen)
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in left] == \
        ["uploads/bad+name.pdf"]
    assert "s3://b/uploads/bad name.pdf" in local_worker.describe(
        {"messageId": "m", "body": left[0]["Body"]})


def test_worker_retries_the_whole_batch_when_the_handler_raises(aws, monkeypatch):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q2", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=s3_event("uploads/x.pdf"))

    def boom(records):
        raise RuntimeError("handler crashed")

    monkeypatch.setattr(local_worker, "find_handler",
                        lambda: local_worker.Handler("test", boom, 10))
    local_worker.Worker(url, region="us-east-1", sqs=sqs).poll_once(wait_seconds=0)
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_worker_calls_the_apps_own_sqs_handler(aws, monkeypatch):
    monkeypatch.setenv("UPLOAD_QUEUE_NAME", "professionals-uploads")
    handler = local_worker.find_handler()
    if handler.name == "placeholder":
        pytest.skip("no @app.on_sqs_message handler yet")
    # an s3:TestEvent is skipped by the handler: nothing fails, nothing touches the stores
    record = {"messageId": "m1", "receiptHandle": "r", "body": json.dumps(
        {"Event": "s3:TestEvent"}), "attributes": {}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        "awsRegion": "us-east-1"}
    assert handler.call([record]) == []
    assert 1 <= handler.batch_size <= 10


# --- the one-origin server -----------------------------------------------------------------------

class FakeGateway:
    def __init__(self):
        self.calls = []

    def handle_request(self, method, path, headers, body):
        self.calls.append((method, path, body))
        return {"statusCode": 201, "headers": {"Content-Type": "application/json"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": json.dumps({"path": path})}


@pytest.fixture
def server(tmp_path, monkeypatch):
    gateway = FakeGateway()
    monkeypatch.setattr(local_server.Handler, "gateway", gateway)
    monkeypatch.setattr(local_server.Handler, "dist_dir", tmp_path / "dist")
    httpd = local_server.Server(("127.0.0.1", 0), local_server.Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", gateway, tmp_path / "dist"
    httpd.shutdown()
    httpd.server_close()


def fetch(url, method="GET", data=None):
    request = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_api_requests_go_to_the_gateway_without_the_prefix(server):
    url, gateway, _ = server
    status, headers, body = fetch(f"{url}/api/professionals?limit=2", "POST", b"{}")
    assert status == 201 and json.loads(body) == {"path": "/professionals?limit=2"}
    assert gateway.calls == [("POST", "/professionals?limit=2", b"{}")]
    status, _, body = fetch(f"{url}/api")
    assert json.loads(body) == {"path": "/"}


def test_static_files_placeholder_spa_fallback_and_no_escape(server):
    url, _, dist = server
    status, headers, body = fetch(f"{url}/")
    assert status == 200 and b"/api/docs" in body  # the placeholder, until the SPA is built
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>spa</html>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    assert fetch(f"{url}/")[2] == b"<html>spa</html>"
    assert fetch(f"{url}/staff/professionals/123")[2] == b"<html>spa</html>"  # client route
    status, headers, body = fetch(f"{url}/assets/app.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert "immutable" in headers["Cache-Control"]
    assert fetch(f"{url}/assets/missing.js")[0] == 404
    assert fetch(f"{url}/%2e%2e/%2e%2e/etc/passwd")[0] == 404
    assert fetch(f"{url}/", "POST", b"x")[0] == 405


# --- the data folder -----------------------------------------------------------------------------

def test_one_stack_per_data_folder(tmp_path):
    first = local_stack.DataDir(tmp_path)
    first.acquire()
    first.write_state({"pid": 4242, "url": "http://127.0.0.1:8000"})
    second = local_stack.DataDir(tmp_path)
    with pytest.raises(local_stack.StackError) as refused:
        second.acquire()
    assert refused.value.code == local_stack.EXIT_BUSY
    assert "pid 4242" in str(refused.value) and "http://127.0.0.1:8000" in str(refused.value)
    first.release()
    second.acquire()
    second.release()


def test_generated_keys_are_kept_and_given_keys_win(tmp_path):
    data = local_stack.DataDir(tmp_path)
    data.path.mkdir(exist_ok=True)
    keys = data.keys(None, None)
    assert keys["staff"].startswith("sta_") and keys["partner"].startswith("par_")
    assert data.keys(None, None) == keys
    assert (data.keys_file.stat().st_mode & 0o777) == 0o600
    given = data.keys("my-staff-key", None)
    assert given == {"staff": "my-staff-key", "partner": keys["partner"]}
    assert "my-staff-key" not in data.keys_file.read_text()


def test_a_taken_port_is_a_clear_error():
    with local_stack.bind_listener(0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(local_stack.StackError, match=f"Port {port} .* already in use") as err:
            local_stack.bind_listener(port)
        assert err.value.code == local_stack.EXIT_BUSY
