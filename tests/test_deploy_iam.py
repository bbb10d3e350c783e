"""The hand-written IAM policies against what the code really calls.

Every AWS call the API, the resume worker, the search indexer, the mail sender and the
authorizer make while they go through their paths (on moto, in-process; the indexer fed the
table's real stream records) is recorded with the resource it touches, including what presigned
URLs let a browser do with the role's credentials; each must be allowed by that function's role in
the packaged template, and each permission a role has must have been used (or be one the Lambda
platform uses for the function: its logs, the SQS and stream event sources, the on-failure queue,
404s instead of 403s).
"""
from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from typing import Any

import botocore.client
import pytest

from chalicelib import clients, signing_secret
from tests import iam_vectors, mail_helpers, pdf_corpus, search_sync
from tests.deploy_fixtures import Resolver, as_list, packaged, role_policies
from tests.test_resumes import DESCRIPTOR, deliver, s3_event, sign_up, upload

pytestmark = pytest.mark.package

TEST_TABLE, TEST_BUCKET = "professionals-test", "professionals-resumes-test"
TEST_SEARCH_TABLE = "professionals-test-search"
TEST_IDEMPOTENCY_TABLE = "professionals-test-idempotency"
TEST_IMPORTS_TABLE = "professionals-test-imports"
TEST_STATS_TABLE = "professionals-test-stats"
TEST_HISTORY_TABLE = "professionals-test-history"
# Used by the Lambda platform on the function's behalf, not by our code.
PLATFORM = {"logs:CreateLogStream", "logs:PutLogEvents", "sqs:ReceiveMessage",
            "sqs:DeleteMessage", "sqs:GetQueueAttributes",
            # the stream's event source mapping, and its on-failure queue
            "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
            "dynamodb:ListStreams", "sqs:SendMessage",
            "s3:ListBucket",  # lets a HeadObject/GetObject of a missing key answer 404, not 403
            "xray:PutTraceSegments", "xray:PutTelemetryRecords"}  # active tracing's segments


@dataclass(frozen=True)
class Access:
    action: str
    resource: str
    keys: tuple[str, ...] = ()  # DynamoDB hash keys touched (for dynamodb:LeadingKeys)


class Recorder:
    def __init__(self):
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def accesses(self, table_arns: dict[str, str], bucket: str,
                 arns: dict[str, str] | None = None) -> set[Access]:
        out: set[Access] = set()
        for service, operation, params in self.calls:
            out |= to_accesses(service, operation, params, table_arns, bucket, arns or {})
        return out


def to_accesses(service: str, op: str, p: dict[str, Any], table_arns: dict[str, str],
                bucket: str, arns: dict[str, str] | None = None) -> set[Access]:
    """The IAM actions and resources one API call needs (those our code makes);
    ``table_arns`` maps the test stage's table names to the deployed tables' ARNs, ``arns`` the
    test's queue URLs and mail senders to the deployed queues' and SES identities' ARNs."""
    arns = arns or {}

    def obj(key: str) -> str:
        return f"arn:aws:s3:::{bucket}/{key}"

    def pk(key: dict[str, Any]) -> tuple[str, ...]:
        return ((key.get("pk") or key["id"])["S"],)  # the idempotency table's key is "id"

    if service == "dynamodb":
        table_arn = table_arns.get(p.get("TableName", ""), "")
        if op in ("GetItem", "DeleteItem", "UpdateItem"):
            return {Access(f"dynamodb:{op}", table_arn, pk(p["Key"]))}
        if op == "PutItem":
            return {Access("dynamodb:PutItem", table_arn, pk(p["Item"]))}
        if op == "Query":
            index = f"/index/{p['IndexName']}" if p.get("IndexName") else ""
            return {Access("dynamodb:Query", table_arn + index)}
        if op == "BatchGetItem":
            return {Access("dynamodb:BatchGetItem", table_arns[name],
                           tuple(k["pk"]["S"] for k in t["Keys"]))
                    for name, t in p["RequestItems"].items()}
        if op == "BatchWriteItem":
            return {Access("dynamodb:BatchWriteItem", table_arns[name],
                           tuple(pk(r.get("PutRequest", {}).get("Item")
                                    or r["DeleteRequest"]["Key"])[0] for r in requests))
                    for name, requests in p["RequestItems"].items()}
        if op == "TransactWriteItems":
            kinds = {"Put": ("PutItem", "Item"), "Delete": ("DeleteItem", "Key"),
                     "Update": ("UpdateItem", "Key"), "ConditionCheck": ("ConditionCheckItem",
                                                                         "Key")}
            out = set()
            for item in p["TransactItems"]:
                (kind, body), = item.items()
                action, key_field = kinds[kind]
                out.add(Access(f"dynamodb:{action}", table_arns[body["TableName"]],
                               pk(body[key_field])))
            return out
    if service == "s3":
        if op in ("HeadObject", "GetObject", "PresignedGet"):
            return {Access("s3:GetObject", obj(p["Key"]))}
        if op in ("PutObject", "PresignedPost"):
            return {Access("s3:PutObject", obj(p["Key"]))}
        if op == "CopyObject":
            source = p["CopySource"]
            return {Access("s3:GetObject", obj(source["Key"])), Access("s3:PutObject",
                                                                       obj(p["Key"]))}
        if op == "DeleteObjects":
            return {Access("s3:DeleteObject", obj(o["Key"])) for o in p["Delete"]["Objects"]}
        if op == "DeleteObject":
            return {Access("s3:DeleteObject", obj(p["Key"]))}
        if op in ("ListObjectsV2", "ListObjects"):
            return {Access("s3:ListBucket", f"arn:aws:s3:::{bucket}")}
    if service == "sqs" and op in ("SendMessage", "SendMessageBatch"):  # one IAM action
        return {Access("sqs:SendMessage", arns[p["QueueUrl"]])}
    if service == "s3vectors" and op in ("QueryVectors", "GetVectors", "PutVectors",
                                         "DeleteVectors"):
        return {Access(f"s3vectors:{op}", arns[iam_vectors.index_key(p)])}
    if service == "ses" and op == "SendEmail":
        return {Access("ses:SendEmail", arns[p["Source"]])}
    if service == "secretsmanager" and op == "GetSecretValue":
        return {Access("secretsmanager:GetSecretValue", arns[p["SecretId"]])}
    raise AssertionError(f"no IAM mapping for {service}:{op}: add it to this test")


def allowed(access: Access, statements: list[dict[str, Any]], resolve: Resolver) -> bool:
    for s in statements:
        if s["Effect"] != "Allow" or access.action not in as_list(s["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(access.resource, resolve.value(r))
                   for r in as_list(s["Resource"])):
            continue
        if condition_holds(s.get("Condition", {}), access):
            return True
    return False


def condition_holds(condition: dict[str, Any], access: Access) -> bool:
    for operator, keys in condition.items():
        for key, patterns in keys.items():
            if (operator, key) != ("ForAllValues:StringLike", "dynamodb:LeadingKeys"):
                raise AssertionError(f"this test cannot evaluate {operator} {key}")
            if not all(any(fnmatch.fnmatchcase(v, p) for p in as_list(patterns))
                       for v in access.keys):
                return False
    return True


@pytest.fixture
def record(monkeypatch):
    """Records every botocore call (boto3's and PynamoDB's) and every presigned URL signed."""
    active: dict[str, Recorder | None] = {"now": None}
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation, params):
        if active["now"] is not None:
            active["now"].calls.append((self.meta.service_model.service_name, operation,
                                        json.loads(json.dumps(params, default=str))))
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    s3 = clients.s3()
    post, url = s3.generate_presigned_post, s3.generate_presigned_url

    def presigned_post(Bucket, Key, **kwargs):
        if active["now"] is not None:
            active["now"].calls.append(("s3", "PresignedPost", {"Bucket": Bucket, "Key": Key}))
        return post(Bucket=Bucket, Key=Key, **kwargs)

    def presigned_url(method, Params=None, **kwargs):
        assert method == "get_object"
        if active["now"] is not None:
            active["now"].calls.append(("s3", "PresignedGet", Params))
        return url(method, Params=Params, **kwargs)

    monkeypatch.setattr(s3, "generate_presigned_post", presigned_post)
    monkeypatch.setattr(s3, "generate_presigned_url", presigned_url)

    class Phase:
        def __init__(self):
            self.by_function: dict[str, Recorder] = {}

        def __call__(self, function: str | None):
            # Each function runs in containers of its own: none finds the signing secret in
            # another's cache, so each function's own reads are recorded.
            signing_secret._provider.clear()
            if function is not None:
                active["now"] = self.by_function.setdefault(function, Recorder())
            else:
                active["now"] = None

    return Phase()


def put(key: str, data: bytes) -> None:
    clients.s3().put_object(Bucket=TEST_BUCKET, Key=key, Body=data)


def index_changes(api, phase) -> None:
    """The table's stream so far (read as the event source mapping would) -> the indexer."""
    phase(None)
    records = search_sync.pending_records()
    assert records
    phase("IndexSearch")
    for start in range(0, len(records), 100):
        answer = api.client.lambda_.invoke("index_search",
                                           {"Records": records[start:start + 100]}).payload
        assert answer == {"batchItemFailures": []}, answer
    phase("CountStats")  # the stream's second consumer: the same records, to the counters
    for start in range(0, len(records), 100):
        event = {"Records": records[start:start + 100], "shardId": "shardId-iam"}
        answer = api.client.lambda_.invoke("count_stats", event).payload
        assert answer == {"state": {}, "batchItemFailures": []}, answer


def exercise(api, phase) -> None:
    """Every path of the three functions that touches AWS."""
    phase("APIHandler")
    ada = sign_up(api)  # anonymous, with a resume: guards, presigned POST
    pid, token = ada["id"], ada["access_token"]
    grace = api.call("POST", "/professionals", who="partner", body={
        "full_name": "Grace", "email": "grace@example.com", "phone": "+14155550100"}).json["id"]
    assert api.call("POST", "/professionals", who=None,
                    body={"full_name": "Dup", "email": "ada@example.com",
                          "consent": True}).status_code == 409
    kept = {"full_name": "Kept", "email": "kept@example.com"}  # Idempotency-Key: kept, replayed
    first = api.call("POST", "/professionals", who="partner", body=kept,
                     headers={"Idempotency-Key": "iam-1"})
    assert first.status_code == 201
    assert api.call("POST", "/professionals", who="partner", body=kept,
                    headers={"Idempotency-Key": "iam-1"}).headers["Idempotent-Replayed"] == "true"
    assert api.call("DELETE", f"/professionals/{first.json['id']}",  # forgets the kept 201
                    who="partner").status_code == 204
    api.call("POST", "/professionals/bulk", who="staff", body=[
        {"full_name": "Alan", "email": "alan@example.com"},
        {"email": "ada@example.com", "job_title": "Countess"},
        {"email": "grace@example.com", "phone": "+14155550101"}])
    api.call("POST", "/professionals/bulk?dry_run=true", who="partner",
             body=[{"full_name": "Linus", "email": "linus@example.com"}])
    for query in ("", "?source=direct", "?email=ada@example.com", "?phone=%2B14155550101",
                  "?limit=1"):
        assert api.call("GET", f"/professionals{query}").status_code == 200
    for query in ("", "?source=partner", "?email=grace@example.com"):  # a partner's own
        assert api.call("GET", f"/professionals{query}", who="partner").status_code == 200
    assert api.call("GET", f"/professionals/{grace}", who="partner").status_code == 200
    assert api.call("PATCH", f"/professionals/{grace}", who="partner",
                    body={"job_title": "Admiral"}).status_code == 200
    api.call("PATCH", f"/professionals/{pid}", body={"phone": "+14155550123"})
    api.call("PATCH", f"/professionals/{pid}", body={"email": None})
    api.call("PATCH", f"/professionals/{pid}", body={"email": "ada@example.org"})
    api.call("GET", f"/professionals/{pid}", who=f"Bearer {token}")
    api.call("GET", "/health", who=None)
    assert api.call("GET", "/stats").status_code == 200
    api.call("GET", "/openapi.json", who=None)
    api.call("GET", "/docs", who=None)
    form = ada["resume_upload"]
    phase(None)
    upload(form, pdf_corpus.pdf(2))  # the browser, with the presigned POST
    phase("ProcessResumeUploads")
    assert deliver(api, s3_event(form["key"])) == {"batchItemFailures": []}
    index_changes(api, phase)  # sign-ups, guards, the resume's text from text/
    embed_queue = os.environ["EMBED_QUEUE_URL"]
    iam_vectors.embed_resumes(api, phase, embed_queue)  # Ada's passages into the index
    iam_vectors.read_by_meaning(api, phase, pid)
    phase("APIHandler")
    for query in ("?q=ada", "?q=grace+alan", "?q=gr&source=partner"):  # one term, several
        assert api.call("GET", f"/professionals{query}").status_code == 200
    api.call("GET", f"/professionals/{pid}")  # resume_text from text/
    api.call("GET", f"/professionals/{pid}/resume")  # presigned GET of resumes/
    again = api.call("POST", f"/professionals/{pid}/resume", who=f"Bearer {token}",
                     body=DESCRIPTOR).json["resume_upload"]
    phase(None)
    put(again["key"], pdf_corpus.pdf(1))
    phase("ProcessResumeUploads")
    deliver(api, s3_event(again["key"]))  # replaces the ready file: deletes the old ones
    deliver(api, s3_event(again["key"]))  # a duplicate delivery: stale
    phase("APIHandler")
    bad = api.call("POST", f"/professionals/{pid}/resume", body=DESCRIPTOR).json["resume_upload"]
    phase(None)
    put(bad["key"], b"MZ not a pdf at all" * 10)
    phase("ProcessResumeUploads")
    deliver(api, s3_event(bad["key"]))  # rejected: deleted
    phase("APIHandler")
    gone = api.call("POST", f"/professionals/{pid}/resume", body=DESCRIPTOR).json["resume_upload"]
    phase("ProcessResumeUploads")
    deliver(api, s3_event(gone["key"]))  # the object is not there (yet)
    phase("APIHandler")
    assert api.call("GET", f"/professionals/{pid}/history").status_code == 200
    assert api.call("DELETE", f"/professionals/{pid}").status_code == 204  # and its marker
    index_changes(api, phase)  # the new resume, the deletion (its history's values dropped)
    iam_vectors.embed_resumes(api, phase, embed_queue)  # the deleted one's vectors removed
    send_mail(api, phase)
    purge_unconfirmed(api, phase)
    import_jobs(api, phase)
    phase("KeyAuthorizer")
    for headers in ({"X-Api-Key": api.keys["partner"]}, {"x-api-key": api.keys["staff"]},
                    {"X-Api-Key": "not-a-key"}, {"Authorization": f"Bearer {token}"}, {}):
        event = {"type": "REQUEST", "headers": headers,
                 "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/api/POST/x",
                 "requestContext": {"requestId": "r"}}
        answer = api.client.lambda_.invoke("key_authorizer", event).payload
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    phase(None)


def import_jobs(api, phase) -> None:
    """A job made, listed and read; its file applied in chunks across two invocations (a
    continuation message), a row that fails, a phone moved (its guard deleted); the errors file."""
    from chalicelib.imports import worker
    from tests.test_imports import s3_event as import_event, sqs_event
    phase(None)
    os.environ["IMPORT_QUEUE_URL"] = clients.sqs().create_queue(
        QueueName="professionals-imports-iam")["QueueUrl"]
    phase("APIHandler")
    job = api.call("POST", "/imports", who="partner", body={"format": "csv"}).json
    assert api.call("GET", "/imports", who="partner").status_code == 200
    assert api.call("GET", f"/imports/{job['id']}", who="partner").status_code == 200
    phase(None)
    put(job["upload"]["key"], b"full_name,email,phone\r\n"
        b"Imp One,imp1@example.com,+14155550180\r\n,nobody@example.com,\r\n"
        b"Imp One,imp1@example.com,+14155550181\r\n")
    real_chunk, real_left = worker.CHUNK_ROWS, worker.time_left
    budget = iter([1000.0] * 3 + [1.0])  # the first chunk, then too little time: continue
    worker.CHUNK_ROWS, worker.time_left = 2, lambda context: lambda: next(budget, 1000.0)
    try:
        phase("ProcessImports")
        body = import_event(job["upload"]["key"])
        assert api.client.lambda_.invoke("process_imports", sqs_event(body)).payload == {
            "batchItemFailures": []}
        phase(None)
        message, = clients.sqs().receive_message(QueueUrl=os.environ["IMPORT_QUEUE_URL"])[
            "Messages"]
        phase("ProcessImports")
        assert api.client.lambda_.invoke("process_imports", sqs_event(message["Body"])).payload \
            == {"batchItemFailures": []}
    finally:
        worker.CHUNK_ROWS, worker.time_left = real_chunk, real_left
    phase("APIHandler")
    done = api.call("GET", f"/imports/{job['id']}", who="partner").json
    assert done["status"] == "done" and done["summary"]["failed"] == 1, done
    assert api.call("GET", f"/imports/{job['id']}/errors", who="partner").status_code == 303
    phase(None)


def purge_unconfirmed(api, phase) -> None:
    """The hourly purge, 31 days on: an unconfirmed sign-up with an upload form goes."""
    from datetime import timedelta

    from chalicelib import clock
    phase("APIHandler")
    signup = api.call("POST", "/professionals", who=None, body={
        "full_name": "Unconfirmed", "email": "late@example.com", "phone": "+14155550199",
        "consent": True, "resume": {"filename": "cv.pdf", "content_type": "application/pdf",
                                    "size_bytes": 100}})
    assert signup.status_code == 201
    later = clock.now() + timedelta(days=31)
    real_now, clock.now = clock.now, lambda: later
    try:
        phase("PurgeUnconfirmed")
        api.client.lambda_.invoke("purge_unconfirmed", api.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    finally:
        clock.now = real_now
    phase("APIHandler")
    assert api.call("GET", f"/professionals/{signup.json['id']}").status_code == 404
    phase(None)


def send_mail(api, phase) -> None:
    """The mail the API queued (sign-ups, the 409, an access link), sent; then an SES outage,
    which leaves the event's record to be deleted."""
    import os

    from infra import resources
    phase("APIHandler")
    assert api.call("POST", "/access-links", who=None,
                    body={"email": "grace@example.com"}).status_code == 202
    phase(None)
    resources.create_app_tables()
    records = mail_helpers.receive()
    assert records
    phase("SendMail")
    assert api.client.lambda_.invoke("send_mail", {"Records": records}).payload == {
        "batchItemFailures": []}
    phase("APIHandler")
    # The mailed link opens a session once: the used link's marker is put in its transaction.
    link = mail_helpers.sent()[-1].token
    assert api.call("POST", "/sessions", who=None, body={"token": link}).status_code == 200
    assert api.call("POST", "/sessions", who=None, body={"token": link}).status_code == 400
    api.call("POST", "/access-links", who=None, body={"email": "grace@example.com"})
    phase(None)
    records = mail_helpers.receive()
    os.environ["AWS_ENDPOINT_URL_SES"] = "http://127.0.0.1:9"  # nothing listens: SES is down
    try:
        phase("SendMail")
        failed = api.client.lambda_.invoke("send_mail", {"Records": records}).payload
        assert len(failed["batchItemFailures"]) == 1
    finally:
        del os.environ["AWS_ENDPOINT_URL_SES"]
    phase(None)


@pytest.fixture
def signing_secret_arn(api, monkeypatch) -> str:
    """The signing secret in moto's Secrets Manager, read as a deployed stage reads it."""
    arn = clients.secretsmanager().create_secret(
        Name="professionals-test-iam-signing", SecretString="s" * 64)["ARN"]
    monkeypatch.setenv("SIGNING_SECRET_ARN", arn)
    return arn


@pytest.fixture
def usage_env(monkeypatch):
    monkeypatch.setenv("USAGE_KEY_PUBLIC", "stack-usage-plan-key-public")
    monkeypatch.setenv("USAGE_KEY_STAFF", "stack-usage-plan-key-staff")
    monkeypatch.setenv("USAGE_KEY_PARTNER_PREFIX", "stack-usage-plan-key-partner-")


def test_each_role_allows_every_call_its_function_makes_and_nothing_unused(api, record,
                                                                           usage_env,
                                                                           signing_secret_arn,
                                                                           monkeypatch):
    monkeypatch.setenv("IMPORT_QUEUE_URL", "")  # import_jobs sets it; restored afterwards
    iam_vectors.provision(monkeypatch)
    exercise(api, record)
    doc = packaged("dev").load_template()
    resolve = Resolver(doc)
    bucket = resolve.ref("ResumeBucket")
    # The test stage's names stand for the deployed ones.
    table_arns = {TEST_TABLE: resolve.getatt("ProfessionalsTable", "Arn"),
                  TEST_SEARCH_TABLE: resolve.getatt("SearchTable", "Arn"),
                  TEST_IDEMPOTENCY_TABLE: resolve.getatt("IdempotencyTable", "Arn"),
                  TEST_IMPORTS_TABLE: resolve.getatt("ImportsTable", "Arn"),
                  TEST_STATS_TABLE: resolve.getatt("StatsTable", "Arn"),
                  TEST_HISTORY_TABLE: resolve.getatt("HistoryTable", "Arn")}
    # The test's mail queue and sender stand for the deployed queue and the MailFrom identity.
    from chalicelib.settings import get_settings
    arns = {get_settings().mail_queue_url: resolve.getatt("MailQueue", "Arn"),
            get_settings().mail_from: f"arn:aws:ses:us-east-1:123456789012:identity/"
                                      f"{resolve.ref('MailFrom')}",
            signing_secret_arn: resolve.ref("SigningSecret"),
            os.environ["IMPORT_QUEUE_URL"]: resolve.getatt("ImportQueue", "Arn"),
            os.environ["EMBED_QUEUE_URL"]: resolve.getatt("EmbedQueue", "Arn"),
            f"{iam_vectors.TEST_VECTOR_BUCKET}/{iam_vectors.TEST_VECTOR_INDEX}":
                resolve.getatt("PassageIndex", "IndexArn")}
    policies = role_policies(doc)
    assert set(record.by_function) == set(policies)
    for function, recorder in record.by_function.items():
        assert {p.get("TableName") for s, _, p in recorder.calls if s == "dynamodb"} <= \
            {*table_arns, None}
        assert {s for s, _, _ in recorder.calls} <= {"dynamodb", "s3", "sqs", "ses",
                                                     "secretsmanager", "s3vectors"}, function
        accesses = recorder.accesses(table_arns, bucket, arns)
        denied = sorted((a.action, a.resource, a.keys) for a in accesses
                        if not allowed(a, policies[function], resolve))
        assert denied == [], f"{function} is denied what it does"
        granted = {a for s in policies[function] if s["Effect"] == "Allow"
                   for a in as_list(s["Action"])}
        unused = granted - {a.action for a in accesses} - PLATFORM
        assert unused == set(), f"{function} may do what it never does"
        # Who touches the search index: the indexer writes it, the search route reads it.
        on_index = {a.action for a in accesses if a.resource == table_arns[TEST_SEARCH_TABLE]}
        assert on_index == {
            "IndexSearch": {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                            "dynamodb:UpdateItem"},
            "APIHandler": {"dynamodb:Query", "dynamodb:BatchGetItem"}}.get(function, set()), \
            function
    # Who touches the daily counters: the consumer and the handlers that count ADD to day
    # items (with a marker where a redelivery must not count twice); the API also reads them.
    on_stats = {f: {(a.action, a.keys[0].split("#")[0] if a.keys else None)
                    for a in recorder.accesses(table_arns, bucket, arns)
                    if a.resource == table_arns[TEST_STATS_TABLE]}
                for f, recorder in record.by_function.items()}
    once = {("dynamodb:UpdateItem", "DAY"), ("dynamodb:PutItem", "ONCE")}
    assert {f: a for f, a in on_stats.items() if a} == {
        "CountStats": {("dynamodb:UpdateItem", "DAY")},
        "APIHandler": {("dynamodb:UpdateItem", "DAY"), ("dynamodb:Query", None)},
        "SendMail": once, "ProcessImports": once}
    # The import worker's DynamoDB writes: its jobs, and the rows' professionals and guards.
    written = {(a.action, a.keys[0].split("#")[0] if a.resource == table_arns[TEST_TABLE]
                else "job") for a in record.by_function["ProcessImports"].accesses(
                    table_arns, bucket, arns) if a.keys}
    assert {("dynamodb:UpdateItem", "job"), ("dynamodb:PutItem", "PRO"),
            ("dynamodb:DeleteItem", "PHONE")} <= written
    # Who touches the vector index (contract 8.4): the API reads it, embed_resumes writes it.
    index = resolve.getatt("PassageIndex", "IndexArn")
    on_vectors = {f: {a.action for a in recorder.accesses(table_arns, bucket, arns)
                      if a.resource == index} for f, recorder in record.by_function.items()}
    assert {f: a for f, a in on_vectors.items() if a} == {
        "APIHandler": {"s3vectors:QueryVectors", "s3vectors:GetVectors"},
        "EmbedResumes": {"s3vectors:PutVectors", "s3vectors:DeleteVectors"}}
    # Who read the signing secret: the two functions that sign or verify, and no other.
    readers = {f for f, recorder in record.by_function.items()
               for a in recorder.accesses(table_arns, bucket, arns)
               if a.action == "secretsmanager:GetSecretValue"}
    assert readers == {"APIHandler", "SendMail"}
    # Who touches the history: the API reads it and marks deletes, as the purge does; the
    # counters' function records it (and rewrites an erased person's entries).
    on_history = {f: {a.action for a in recorder.accesses(table_arns, bucket, arns)
                      if a.resource == table_arns[TEST_HISTORY_TABLE]}
                  for f, recorder in record.by_function.items()}
    assert {f: a for f, a in on_history.items() if a} == {
        "APIHandler": {"dynamodb:Query", "dynamodb:PutItem"},
        "PurgeUnconfirmed": {"dynamodb:PutItem"},
        "CountStats": {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem",
                       "dynamodb:GetItem"}}
    # The API and the purge write only delete markers there (DEL#), never an entry.
    history = resolve.getatt("HistoryTable", "Arn")
    for function in ("APIHandler", "PurgeUnconfirmed"):
        assert not allowed(Access("dynamodb:PutItem", history, ("some-id",)), policies[function],
                           resolve), function
        assert allowed(Access("dynamodb:PutItem", history, ("DEL#some-id",)),
                       policies[function], resolve), function
    # The grants of issue 18 are used: used-link markers, per-address mail counters.
    prefixes = {(f, a.action, a.keys[0].split("#")[0]) for f, recorder in record.by_function.items()
                for a in recorder.accesses(table_arns, bucket, arns) if a.keys}
    assert ("APIHandler", "dynamodb:PutItem", "LINK") in prefixes
    assert {("SendMail", action, "mailcap") for action in (
        "dynamodb:GetItem", "dynamodb:PutItem")} <= prefixes


def test_the_evaluator_denies_what_the_policies_do_not_grant():
    doc = packaged("dev").load_template()
    resolve = Resolver(doc)
    policies = role_policies(doc)
    table = resolve.getatt("ProfessionalsTable", "Arn")
    search = resolve.getatt("SearchTable", "Arn")
    idempotency = resolve.getatt("IdempotencyTable", "Arn")
    identity = "arn:aws:ses:us-east-1:123456789012:identity/"
    bucket = resolve.ref("ResumeBucket")
    index = resolve.getatt("PassageIndex", "IndexArn")
    denied = [
        ("APIHandler", Access("dynamodb:PutItem", table, ("KEY#abc",))),  # minting a key
        ("APIHandler", Access("s3:PutObject", f"arn:aws:s3:::{bucket}/resumes/x.pdf")),
        ("APIHandler", Access("dynamodb:Scan", table)),
        ("ProcessResumeUploads", Access("dynamodb:PutItem", table, ("EMAIL#a@b.c",))),
        ("ProcessResumeUploads", Access("s3:PutObject", f"arn:aws:s3:::{bucket}/uploads/x")),
        ("KeyAuthorizer", Access("dynamodb:GetItem", table, ("PRO#x",))),
        ("KeyAuthorizer", Access("dynamodb:GetItem", table + "-other", ("KEY#x",))),
        # The indexer: only the search table and text/, never the professionals table.
        ("IndexSearch", Access("dynamodb:GetItem", table, ("PRO#x",))),
        ("IndexSearch", Access("dynamodb:BatchWriteItem", table, ("PRO#x",))),
        ("IndexSearch", Access("s3:GetObject", f"arn:aws:s3:::{bucket}/resumes/x.pdf")),
        ("IndexSearch", Access("dynamodb:Scan", search)),
        ("APIHandler", Access("dynamodb:PutItem", search, ("P2#ad",))),
        ("APIHandler", Access("dynamodb:BatchWriteItem", search, ("P2#ad",))),
        ("ProcessResumeUploads", Access("dynamodb:Query", search)),
        # Mail: only the sender sends, as MailFrom only, and it keeps only its own records.
        ("APIHandler", Access("ses:SendEmail", identity + resolve.ref("MailFrom"))),
        ("SendMail", Access("ses:SendEmail", identity + "someone@else.example")),
        ("SendMail", Access("dynamodb:PutItem", idempotency, ("post#abc",))),
        ("APIHandler", Access("dynamodb:PutItem", idempotency, ("mail#abc",))),
        ("APIHandler", Access("dynamodb:Scan", idempotency)),
        ("SendMail", Access("dynamodb:PutItem", table, ("PRO#x",))),
        ("SendMail", Access("dynamodb:Query", table + "/index/by_phone")),
        ("SendMail", Access("sqs:SendMessage", resolve.getatt("MailQueue", "Arn"))),
        # A used link's marker is written once and never removed by the API (a link opens
        # once); the per-address mail counters are the mail sender's.
        ("APIHandler", Access("dynamodb:DeleteItem", table, ("LINK#abc",))),
        ("APIHandler", Access("dynamodb:UpdateItem", table, ("LINK#abc",))),
        ("APIHandler", Access("dynamodb:PutItem", idempotency, ("mailcap#abc",))),
        ("SendMail", Access("dynamodb:UpdateItem", idempotency, ("mailcap#abc",))),
        ("SendMail", Access("dynamodb:PutItem", table, ("LINK#abc",))),
        # The signing secret: no other function may read it, and the two that may read only it.
        *[(function, Access("secretsmanager:GetSecretValue", resolve.ref("SigningSecret")))
          for function in ("ProcessResumeUploads", "IndexSearch", "KeyAuthorizer",
                           "PurgeUnconfirmed", "ProcessImports")],
        # The import worker: bulk's keys only, import objects only.
        ("ProcessImports", Access("dynamodb:PutItem", table, ("KEY#abc",))),
        ("ProcessImports", Access("dynamodb:PutItem", table, ("LINK#abc",))),
        ("ProcessImports", Access("s3:GetObject", f"arn:aws:s3:::{bucket}/resumes/x.pdf")),
        ("ProcessImports", Access("s3:PutObject", f"arn:aws:s3:::{bucket}/imports/x.csv")),
        ("ProcessImports", Access("dynamodb:Scan", table)),
        ("APIHandler", Access("secretsmanager:GetSecretValue",
                              "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-AbCdEf")),
        # Resume vectors: the API only reads the index, embed_resumes only writes it (and
        # reads a record and its text/), the indexer only names whom to embed.
        ("APIHandler", Access("s3vectors:PutVectors", index)),
        ("APIHandler", Access("s3vectors:DeleteVectors", index)),
        ("APIHandler", Access("sqs:SendMessage", resolve.getatt("EmbedQueue", "Arn"))),
        ("EmbedResumes", Access("s3vectors:QueryVectors", index)),
        ("EmbedResumes", Access("dynamodb:PutItem", table, ("PRO#x",))),
        ("EmbedResumes", Access("dynamodb:GetItem", table, ("KEY#x",))),
        ("EmbedResumes", Access("s3:GetObject", f"arn:aws:s3:::{bucket}/resumes/x.pdf")),
        ("EmbedResumes", Access("secretsmanager:GetSecretValue", resolve.ref("SigningSecret"))),
        ("IndexSearch", Access("s3vectors:PutVectors", index)),
        ("EmbedResumes", Access("s3vectors:PutVectors", index.replace("passages", "other"))),
    ]
    for function, access in denied:
        assert not allowed(access, policies[function], resolve), (function, access)
    assert allowed(Access("dynamodb:GetItem", table, ("KEY#x",)), policies["KeyAuthorizer"],
                   resolve)
    assert allowed(Access("dynamodb:BatchWriteItem", search, ("P2#ad",)), policies["IndexSearch"],
                   resolve)
    # the indexer ADDs to the shared items (regions, the typo vocabulary, document
    # frequencies), never to a posting
    for key in ("V#lovelace", "F#03", "META"):
        assert allowed(Access("dynamodb:UpdateItem", search, (key,)),
                       policies["IndexSearch"], resolve)
    for key in ("P2#ad", "R2#python", "DOC#abc"):
        assert not allowed(Access("dynamodb:UpdateItem", search, (key,)),
                           policies["IndexSearch"], resolve)
    assert allowed(Access("dynamodb:PutItem", idempotency, ("mail#abc",)), policies["SendMail"],
                   resolve)
    assert allowed(Access("dynamodb:PutItem", idempotency, ("mailcap#abc",)),
                   policies["SendMail"], resolve)
    assert allowed(Access("dynamodb:PutItem", table, ("LINK#abc",)), policies["APIHandler"],
                   resolve)
    for function in ("APIHandler", "SendMail"):
        assert allowed(Access("secretsmanager:GetSecretValue", resolve.ref("SigningSecret")),
                       policies[function], resolve)
