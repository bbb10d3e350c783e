"""The local stack's parts, without starting it: resource definition and creation (moto
in-process), the resume worker's SQS -> handler loop, the stream worker's DynamoDB Local stream ->
handler loop (retries, bisection, the search DLQ in a moto server, restarts), the one-origin
server, the data folder."""
from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from infra import local_server, local_stack, resources
from infra.local import sqs_worker, stream_worker


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
    note, imports_note = local.bucket.notifications
    assert note.prefix == "uploads/" and note.queue == local.upload_queue.logical_id
    assert imports_note.prefix == "imports/" and imports_note.queue == local.import_queue.logical_id
    assert local.import_queue.name.endswith("-x1y2")
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
    # Import jobs' files notify their own queue, and only they do.
    sqs.purge_queue(QueueUrl=env["IMPORT_QUEUE_URL"])
    s3.put_object(Bucket=spec.bucket.name, Key="imports/j1.csv", Body=b"email\n")
    s3.put_object(Bucket=spec.bucket.name, Key="import-errors/j1.csv", Body=b"row\n")
    messages = sqs.receive_message(QueueUrl=env["IMPORT_QUEUE_URL"],
                                   MaxNumberOfMessages=10).get("Messages", [])
    keys = [r["s3"]["object"]["key"] for m in messages for r in json.loads(m["Body"])["Records"]]
    assert [k.replace("%2F", "/") for k in keys] == ["imports/j1.csv"]
    assert env["IMPORTS_TABLE_NAME"] == spec.imports_table.name


def test_an_existing_table_without_an_index_is_reported(aws):
    spec = resources.define("local", suffix="t2")
    boto3.client("dynamodb").create_table(
        TableName=spec.table.name, KeySchema=spec.table.key_schema,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    with pytest.raises(resources.ResourceError, match="without the indexes"):
        resources.create(spec)


# --- the resume worker --------------------------------------------------------------------------------

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

    monkeypatch.setattr(sqs_worker, "find_handler",
                        lambda: sqs_worker.Handler("test", handle, 10))
    worker = sqs_worker.Worker(url, region="us-east-1", sqs=sqs)
    assert worker.poll_once(wait_seconds=0) == 2
    assert {r["eventSource"] for r in seen} == {"aws:sqs"}
    assert all(r["eventSourceARN"].endswith(":q") and r["receiptHandle"] for r in seen)
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"] for m in left] == \
        ["uploads/bad+name.pdf"]
    assert "s3://b/uploads/bad name.pdf" in sqs_worker.describe(
        {"messageId": "m", "body": left[0]["Body"]})


def test_worker_retries_the_whole_batch_when_the_handler_raises(aws, monkeypatch):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q2", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=s3_event("uploads/x.pdf"))

    def boom(records):
        raise RuntimeError("handler crashed")

    monkeypatch.setattr(sqs_worker, "find_handler",
                        lambda: sqs_worker.Handler("test", boom, 10))
    sqs_worker.Worker(url, region="us-east-1", sqs=sqs).poll_once(wait_seconds=0)
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_worker_calls_the_apps_own_sqs_handler(aws, monkeypatch):
    monkeypatch.setenv("UPLOAD_QUEUE_NAME", "professionals-uploads")
    handler = sqs_worker.find_handler()
    if handler.name == "placeholder":
        pytest.skip("no @app.on_sqs_message handler yet")
    # an s3:TestEvent is skipped by the handler: nothing fails, nothing touches the stores
    record = {"messageId": "m1", "receiptHandle": "r", "body": json.dumps(
        {"Event": "s3:TestEvent"}), "attributes": {}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        "awsRegion": "us-east-1"}
    assert handler.call([record]) == []
    assert 1 <= handler.batch_size <= 10


# --- the stream worker (DynamoDB Local's real stream; the search DLQ in a moto server) ----------

@pytest.fixture
def stream_table(dynamodb_local_endpoint):
    """A table of its own with a NEW_AND_OLD_IMAGES stream, in the session's DynamoDB Local."""
    kw = {"endpoint_url": dynamodb_local_endpoint, "region_name": "us-east-1",
          "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    ddb = boto3.client("dynamodb", **kw)
    name = f"stream-{secrets.token_hex(4)}"
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", StreamSpecification={
                         "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    yield SimpleNamespace(ddb=ddb, streams=boto3.client("dynamodbstreams", **kw), name=name,
                          arn=arn)
    ddb.delete_table(TableName=name)


@pytest.fixture(scope="module")
def moto_sqs():
    from moto.server import ThreadedMotoServer
    port = local_stack.bind_listener(0)
    number = port.getsockname()[1]
    port.close()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=number, verbose=False)
    server.start()
    yield boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{number}", region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    server.stop()


@pytest.fixture
def search_dlq(moto_sqs):
    return moto_sqs.create_queue(QueueName=f"search-dlq-{secrets.token_hex(4)}")["QueueUrl"]


def put(table, *keys, **attrs):
    for key in keys:
        item = {"pk": {"S": key}, **{k: ({"B": v} if isinstance(v, bytes) else {"S": v})
                                     for k, v in attrs.items()}}
        table.ddb.put_item(TableName=table.name, Item=item)


def pks(records):
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


def new_stream_worker(table, handle, *, batch_size=100, **kw):
    return stream_worker.StreamWorker(
        table.arn, handler=stream_worker.Handler("test", handle, batch_size), region="us-east-1",
        streams=table.streams, backoff=0.01, idle_seconds=0.01, **kw)


def drain(worker, done, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the stream worker did not get there in time"
        if worker.poll_once() == 0:
            time.sleep(0.05)


def dlq_messages(sqs, url):
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_stream_records_reach_the_handler_in_order_shaped_as_lambdas(stream_table):
    t = stream_table
    put(t, *[f"k{i}" for i in range(7)], blob=b"\x00\x01")
    t.ddb.put_item(TableName=t.name, Item={"pk": {"S": "k0"}, "x": {"S": "1"}})
    t.ddb.delete_item(TableName=t.name, Key={"pk": {"S": "k1"}})
    batches = []
    worker = new_stream_worker(t, lambda records: batches.append(records) or [], batch_size=3)
    drain(worker, lambda: sum(map(len, batches)) >= 9)
    flat = [r for batch in batches for r in batch]
    assert [len(b) for b in batches] == [3, 3, 3]
    assert pks(flat) == [f"k{i}" for i in range(7)] + ["k0", "k1"]
    assert [r["eventName"] for r in flat] == ["INSERT"] * 7 + ["MODIFY", "REMOVE"]
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in flat]
    assert sequences == sorted(set(sequences))
    first, modify = flat[0], flat[7]["dynamodb"]
    assert (first["eventSource"], first["eventSourceARN"], first["awsRegion"]) == \
        ("aws:dynamodb", t.arn, "us-east-1")
    assert first["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}  # base64, as Lambda sends it
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert modify["OldImage"]["blob"] == {"B": "AAE="} and modify["NewImage"]["x"] == {"S": "1"}
    json.dumps(flat)
    assert worker.poll_once() == 0 and len(batches) == 3  # nothing is handed over twice


def test_a_reported_failure_is_retried_from_the_first_failed_record(stream_table):
    t = stream_table
    put(t, "a", "b", "c", "d", "e")
    calls = []

    def handle(records):
        calls.append(pks(records))
        if len(calls) == 1:  # two failures reported: Lambda goes on from the lower one
            return [records[4]["dynamodb"]["SequenceNumber"],
                    records[2]["dynamodb"]["SequenceNumber"]]
        return []

    worker = new_stream_worker(t, handle)
    drain(worker, lambda: len(calls) >= 2)
    assert calls == [["a", "b", "c", "d", "e"], ["c", "d", "e"]]
    assert worker.poll_once() == 0 and len(calls) == 2


def test_a_raising_handler_is_bisected_and_the_poison_record_set_aside(stream_table, moto_sqs,
                                                                       search_dlq):
    t = stream_table
    put(t, "a", "b", "poison", "c", "d")
    calls = []

    def handle(records):
        calls.append(pks(records))
        if "poison" in pks(records):
            raise ValueError("cannot index this one")
        return []

    worker = new_stream_worker(t, handle, dlq_url=search_dlq, sqs=moto_sqs)
    drain(worker, lambda: calls[-1:] == [["c", "d"]])
    # the batch fails, its halves go separately; the poison alone: 1 call + 3 retries
    assert calls == [["a", "b", "poison", "c", "d"], ["a", "b"], ["poison", "c", "d"],
                     *[["poison"]] * 4, ["c", "d"]]
    [message] = dlq_messages(moto_sqs, search_dlq)
    shard_id = worker.ready_shards()[0].id
    info = message["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert (info["batchSize"], info["streamArn"], info["shardId"]) == (1, t.arn, shard_id)
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 4
    assert message["responseContext"]["functionError"] == "Unhandled"
    # never blocked: what comes next is handed over, and the position moved past the poison
    put(t, "e")
    drain(worker, lambda: calls[-1] == ["e"])
    assert int(worker.checkpoint.after(shard_id)) > int(info["endSequenceNumber"])


def test_a_record_the_handler_keeps_reporting_is_set_aside_and_the_rest_go_on(stream_table,
                                                                            moto_sqs, search_dlq):
    t = stream_table
    put(t, "a", "poison", "b")
    calls = []

    def handle(records):
        calls.append(pks(records))
        return [r["dynamodb"]["SequenceNumber"] for r in records if pks([r]) == ["poison"]]

    worker = new_stream_worker(t, handle, dlq_url=search_dlq, sqs=moto_sqs)
    drain(worker, lambda: calls[-1:] == [["b"]])
    assert calls == [["a", "poison", "b"], *[["poison", "b"]] * 3, ["b"]]
    [message] = dlq_messages(moto_sqs, search_dlq)
    assert message["requestContext"]["approximateInvokeCount"] == 4
    assert "functionError" not in message["responseContext"]  # it answered, it did not raise


def test_a_restart_goes_on_from_the_checkpoint_and_without_one_from_trim_horizon(stream_table,
                                                                                 tmp_path):
    t = stream_table
    checkpoint = tmp_path / "stream-checkpoint.json"
    seen = []

    def handle(records):
        seen.extend(pks(records))
        return []

    put(t, "a", "b", "c")
    drain(new_stream_worker(t, handle, checkpoint_file=checkpoint), lambda: len(seen) >= 3)
    put(t, "d")
    drain(new_stream_worker(t, handle, checkpoint_file=checkpoint), lambda: len(seen) >= 4)
    assert seen == ["a", "b", "c", "d"]  # the second worker went on after "c"
    seen.clear()
    drain(new_stream_worker(t, handle), lambda: len(seen) >= 4)
    assert seen == ["a", "b", "c", "d"]
    other = tmp_path / "other.json"  # written for another stream: ignored
    other.write_text(json.dumps({"streamArn": t.arn + "x", "shards": json.loads(
        checkpoint.read_text())["shards"]}))
    seen.clear()
    drain(new_stream_worker(t, handle, checkpoint_file=other), lambda: len(seen) >= 4)
    assert seen == ["a", "b", "c", "d"]


def test_a_closed_shard_is_read_to_its_end_then_left_alone(stream_table, tmp_path):
    t = stream_table
    put(t, "a", "b")
    t.ddb.update_table(TableName=t.name, StreamSpecification={"StreamEnabled": False})
    seen = []
    worker = new_stream_worker(t, lambda records: seen.extend(pks(records)) or [],
                               checkpoint_file=tmp_path / "cp.json")
    drain(worker, lambda: not worker.ready_shards() and worker.shards)
    assert seen == ["a", "b"]
    assert worker.poll_once() == 0
    [saved] = json.loads((tmp_path / "cp.json").read_text())["shards"].values()
    assert saved["done"] is True


def test_the_stream_worker_calls_the_apps_index_search(monkeypatch):
    monkeypatch.setenv("PROFESSIONALS_STREAM_ARN", "arn:aws:dynamodb:us-east-1:1:table/t/stream/x")
    handler = stream_worker.find_handler()
    assert handler.name.startswith("app.index_search ") and handler.function_name == "index_search"
    assert handler.batch_size == 100
    assert handler.call([]) == []  # called as Lambda calls it: an event and a context


def test_the_stream_is_read_from_dynamodbs_endpoint_not_the_general_one(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")  # moto, say
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")  # DynamoDB Local
    assert stream_worker.stream_endpoint() == "http://127.0.0.1:2"
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "http://127.0.0.1:3")
    assert stream_worker.stream_endpoint() == "http://127.0.0.1:3"


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
