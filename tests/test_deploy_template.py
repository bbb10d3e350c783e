"""The packaged CloudFormation template (``make package``), checked as AWS will read it.

Nothing can be deployed from here, so everything the deployment relies on is checked in the
template: cfn-lint, before and after the SAM transform; the IAM policies, statement by statement;
the event source mappings (the upload queue, the table's stream); the buckets, the queues, the
tables; the API's authorizer, usage plans and gateway responses; CloudFront; alarms.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.search import indexer
from infra import resources, template
from tests.deploy_fixtures import (Resolver, as_list, cfn_lint, packaged, role_policies,
                                   sam_transform, stage)  # noqa: F401  (stage: fixture)

pytestmark = pytest.mark.package

FUNCTIONS = {"APIHandler": "ApiHandlerRole", "ProcessResumeUploads": "ResumeWorkerRole",
             "IndexSearch": "SearchIndexerRole", "KeyAuthorizer": "KeyAuthorizerRole",
             "SendMail": "MailSenderRole", "PurgeUnconfirmed": "PurgeRole",
             "ProcessImports": "ImportWorkerRole", "CountStats": "StatsCounterRole",
             "EmbedResumes": "ResumeEmbedderRole"}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"}
SEARCH_INDEX_ACTIONS = {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"}
# Every function's traces (Tracing: Active; tests/test_deploy_observability.py).
XRAY_WRITE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# What each function calls (see test_deploy_iam.py, which records the calls), and nothing else.
EXPECTED_ACTIONS = {
    "APIHandler": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
        "dynamodb:PutItem", "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",  # kept responses of Idempotency-Key requests; bulk's counts
        "s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket",
        "sqs:SendMessage",  # mail is queued, never sent, by the API
        "secretsmanager:GetSecretValue",  # signs and verifies tokens and cursors
        "s3vectors:QueryVectors", "s3vectors:GetVectors"},  # semantic search, /similar
    "ProcessResumeUploads": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
        "dynamodb:GetItem", "dynamodb:PutItem",
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"},
    # Lambda reads the stream and sends failed batches to the on-failure queue with its role.
    "IndexSearch": {
        "logs:CreateLogStream", "logs:PutLogEvents", *STREAM_ACTIONS, *SEARCH_INDEX_ACTIONS,
        "dynamodb:UpdateItem", "s3:GetObject", "s3:ListBucket",
        "sqs:SendMessage"},  # + whose resume vectors to sync, to the embed queue
    "KeyAuthorizer": {"logs:CreateLogStream", "logs:PutLogEvents", "dynamodb:GetItem"},
    # The daily counters: the stream read by Lambda, ADDs to day items, the on-failure queue;
    # and the history (chalicelib/history): entries put if absent, an erased person's entries
    # read and rewritten without values.
    "CountStats": {
        "logs:CreateLogStream", "logs:PutLogEvents", *STREAM_ACTIONS, "dynamodb:UpdateItem",
        "dynamodb:PutItem", "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:GetItem",
        "sqs:SendMessage"},
    # Who gets the mail (the record, the email index), its sent-event records, SES.
    "SendMail": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem", "ses:SendEmail",
        "secretsmanager:GetSecretValue"},  # signs the links' email tokens
    # Import jobs: the job's item, bulk's batched reads and transactions, the file and its
    # errors parts, a continuation message (and mail a moved verified address is sent).
    "ProcessImports": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage",
        "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchGetItem", "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"},
    # Resume vectors: a message's record and resume text read, its passages written, the
    # rest of that person's deleted by key (chalicelib/resume_vectors.py).
    "EmbedResumes": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
        "dynamodb:GetItem", "s3:GetObject", "s3:ListBucket",
        "s3vectors:PutVectors", "s3vectors:DeleteVectors"},
    # The hourly purge: its sparse index, then a DELETE's reads and writes.
    "PurgeUnconfirmed": {
        "logs:CreateLogStream", "logs:PutLogEvents",
        "dynamodb:Query", "dynamodb:GetItem", "dynamodb:DeleteItem", "s3:DeleteObject",
        "dynamodb:PutItem"},  # the history's marker of each erasure
}


@pytest.fixture(scope="module")
def doc(stage):
    return packaged(stage).load_template()


@pytest.fixture(scope="module")
def transformed(doc):
    return sam_transform(doc)


def resources_of(doc, kind):
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == kind}


# -- linting ----------------------------------------------------------------------------------

def test_cfn_lint_passes_on_the_packaged_and_the_transformed_template(stage, transformed,
                                                                       tmp_path):
    result = packaged(stage)
    assert result.problems == []
    expanded = tmp_path / f"{stage}-transformed.json"
    expanded.write_text(json.dumps(transformed))
    lint = cfn_lint(result.template_path, expanded)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_merge_left_no_half_overridden_values(doc):
    from infra.package import check_template
    assert check_template(doc) == []


# -- functions --------------------------------------------------------------------------------

def test_every_function_runs_python312_with_its_own_hand_written_role(doc, transformed):
    functions = resources_of(doc, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTIONS)
    for name, fn in functions.items():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Role"] == {"Fn::GetAtt": [FUNCTIONS[name], "Arn"]}
        assert props["LoggingConfig"]["LogGroup"] == {"Ref": f"{name}LogGroup"}
        role = doc["Resources"][FUNCTIONS[name]]["Properties"]
        assert "ManagedPolicyArns" not in role and "PermissionsBoundary" not in role
        assert role["AssumeRolePolicyDocument"]["Statement"] == [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]
    # Chalice generated no role of its own, and the transform adds none; besides the functions'
    # roles there is only API Gateway's, for its access logs (test_deploy_api_logs.py).
    roles = set(resources_of(transformed, "AWS::IAM::Role"))
    assert roles == set(FUNCTIONS.values()) | {"ApiGatewayLogsRole"}
    assert not resources_of(transformed, "AWS::IAM::Policy")
    assert not resources_of(transformed, "AWS::IAM::ManagedPolicy")


def test_the_resume_worker_reports_batch_item_failures(doc, transformed):
    mappings = resources_of(transformed, "AWS::Lambda::EventSourceMapping")
    assert set(mappings) == {"ProcessResumeUploadsProcessResumeUploadsSqsEventSource",
                             "IndexSearchIndexSearchDynamodbEventSource",
                             "SendMailSendMailSqsEventSource",
                             "ProcessImportsProcessImportsSqsEventSource",
                             "CountStatsCountStatsDynamodbEventSource",
                             "EmbedResumesEmbedResumesSqsEventSource"}
    props = mappings["ProcessResumeUploadsProcessResumeUploadsSqsEventSource"]["Properties"]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["FunctionName"] == {"Ref": "ProcessResumeUploads"}
    assert props["BatchSize"] == 5
    resolve = Resolver(doc)
    assert resolve.value(props["EventSourceArn"]) == resolve.getatt("UploadQueue", "Arn")
    assert props["ScalingConfig"]["MaximumConcurrency"] >= 2


def test_the_search_indexer_reads_the_stream_in_bounded_batches_and_gives_up_to_its_queue(
        doc, transformed, stage):
    mapping = resources_of(transformed, "AWS::Lambda::EventSourceMapping")[
        "IndexSearchIndexSearchDynamodbEventSource"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "IndexSearch"}
    # The table's real stream, not the placeholder app.py saw when Chalice imported it.
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["ProfessionalsTable", "StreamArn"]}
    assert indexer.PLACEHOLDER_ARN not in json.dumps(doc)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert 1 <= mapping["BatchSize"] <= 100
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 1 <= mapping["MaximumRetryAttempts"] <= 10  # not -1: AWS's default retries forever
    # Records given up on reach the queue while the stream (24 h) still holds them for a replay.
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 6 * 3600
    on_failure = mapping["DestinationConfig"]["OnFailure"]
    assert on_failure == {"Destination": {"Fn::GetAtt": ["SearchIndexDeadLetterQueue", "Arn"]}}
    assert "ParallelizationFactor" not in mapping  # one batch per shard: changes stay in order
    dlq = doc["Resources"]["SearchIndexDeadLetterQueue"]["Properties"]
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["QueueName"] == resources.define(stage).index_dead_letter_queue.name
    indexer_fn = doc["Resources"]["IndexSearch"]["Properties"]
    assert indexer_fn["Timeout"] <= 900 and indexer_fn["MemorySize"] >= 256


def test_the_counters_consumer_has_its_own_mapping_which_names_the_shard(doc, transformed, stage):
    mapping = resources_of(transformed, "AWS::Lambda::EventSourceMapping")[
        "CountStatsCountStatsDynamodbEventSource"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "CountStats"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["ProfessionalsTable", "StreamArn"]}
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert 1 <= mapping["BatchSize"] <= 100
    # The window is what puts shardId in the event (the per-shard replay guard needs it); one
    # batch per shard at a time, or a later batch could pass an earlier one's guard.
    assert 1 <= mapping["TumblingWindowInSeconds"] <= 900
    assert "ParallelizationFactor" not in mapping
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 1 <= mapping["MaximumRetryAttempts"] <= 10
    assert mapping["DestinationConfig"]["OnFailure"] == {
        "Destination": {"Fn::GetAtt": ["StatsDeadLetterQueue", "Arn"]}}
    table = doc["Resources"]["StatsTable"]["Properties"]
    assert table["TableName"] == resources.define(stage).stats_table.name
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert "StreamSpecification" not in table
    for function in FUNCTIONS:
        env = doc["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert env["STATS_TABLE_NAME"] == {"Ref": "StatsTable"}, function


def test_resume_worker_sizing_and_queue_visibility(doc):
    worker = doc["Resources"]["ProcessResumeUploads"]["Properties"]
    assert worker["MemorySize"] >= 1536  # a 1 GiB RLIMIT_AS child + the worker
    assert worker["Timeout"] >= 5 * 25  # a batch of 5 records of up to ~25 s
    queue = doc["Resources"]["UploadQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]  # AWS's advice for Lambda
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["UploadDeadLetterQueue", "Arn"]},
        "maxReceiveCount": resources.MAX_RECEIVE_COUNT}
    dlq = doc["Resources"]["UploadDeadLetterQueue"]["Properties"]
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    api = doc["Resources"]["APIHandler"]["Properties"]
    assert api["Timeout"] <= 29  # API Gateway gives up at 29 s


def test_stage_settings_reach_every_function(doc, stage):
    resolve = Resolver(doc)
    bucket = resolve.ref("ResumeBucket")
    for name in FUNCTIONS:
        env = doc["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert env["STAGE"] == stage
        assert env["TABLE_NAME"] == {"Ref": "ProfessionalsTable"}
        assert resolve.value(env["RESUME_BUCKET"]) == bucket
        assert not {v for v in env if v.startswith("SIGNING_SECRET")} - {"SIGNING_SECRET_ARN"}
        assert env["DEFAULT_PHONE_REGION"] == "US"
        assert env["SEARCH_TABLE_NAME"] == {"Ref": "SearchTable"}
        assert "PROFESSIONALS_STREAM_ARN" not in env  # the event source mapping knows the stream
    assert bucket.startswith(f"professionals-resumes-{stage}-{resolve.pseudo['AWS::AccountId']}")
    keys = doc["Resources"]["KeyAuthorizer"]["Properties"]["Environment"]["Variables"]
    for kind in ("Public", "Staff"):
        value = doc["Resources"][f"{kind}UsageKey"]["Properties"]["Value"]
        assert keys[f"USAGE_KEY_{kind.upper()}"] == value
        assert len(resolve.value(value)) >= 20  # API Gateway's minimum key length
    assert doc["Outputs"]["PartnerUsageKeyPrefix"]["Value"] == keys["USAGE_KEY_PARTNER_PREFIX"]


# -- IAM --------------------------------------------------------------------------------------

def all_policy_documents(doc):
    for name, resource in doc["Resources"].items():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Cognito::UserPool":
            continue  # its "Policies" are password rules, not IAM
        for inline in props.get("Policies", []):
            yield name, inline["PolicyDocument"]
        if "PolicyDocument" in props:
            yield name, props["PolicyDocument"]
        if "AssumeRolePolicyDocument" in props:
            yield name, props["AssumeRolePolicyDocument"]


def test_no_policy_allows_a_wildcard_action_or_resource(doc):
    resolve = Resolver(doc)
    bucket_arn = f"arn:aws:s3:::{resolve.ref('ResumeBucket')}"
    seen = 0
    for owner, document in all_policy_documents(doc):
        for statement in document["Statement"]:
            assert "NotAction" not in statement and "NotResource" not in statement, owner
            if statement["Effect"] == "Deny":
                continue  # a wide Deny only narrows (e.g. TLS only)
            seen += 1
            assert statement.get("Principal") != "*", owner
            if statement.get("Sid") == "WriteTraces":  # X-Ray's writes name no resource
                assert set(as_list(statement["Action"])) == XRAY_WRITE and \
                    statement["Resource"] == ["*"], owner
                continue
            for action in as_list(statement["Action"]):
                assert "*" not in action, (owner, action)
            for raw in as_list(statement.get("Resource", [])):
                arn = resolve.value(raw)
                assert isinstance(arn, str) and arn != "*", (owner, raw)
                if arn.startswith(bucket_arn + "/"):  # one named prefix of the resume bucket
                    prefix = arn[len(bucket_arn) + 1:]
                    assert prefix in ("uploads/*", "resumes/*", "text/*", "imports/*",
                                      "import-errors/*"), (owner, arn)
                elif arn == f"arn:aws:s3:::{resolve.ref('SpaBucket')}/*":
                    assert owner == "SpaBucketPolicy"  # CloudFront reads the whole SPA
                elif arn == resolve.getatt("ProfessionalsTable", "Arn") + "/stream/*":
                    # ListStreams: the table's streams, for its two consumers
                    assert owner in ("SearchIndexerRole", "StatsCounterRole")
                elif arn.startswith("arn:aws:logs:"):  # a log group's streams
                    assert arn.endswith(":*") and "*" not in arn[:-2], (owner, arn)
                else:
                    assert "*" not in arn, (owner, arn)
                assert f":{resolve.pseudo['AWS::AccountId']}:" in arn or arn.startswith(
                    "arn:aws:s3:::"), (owner, arn)
    assert seen > 10


def test_each_function_is_allowed_exactly_what_it_uses(doc):
    for function, statements in role_policies(doc).items():
        actions = {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
        assert actions == EXPECTED_ACTIONS[function] | XRAY_WRITE, function


def test_writes_to_the_table_are_limited_to_the_item_kinds_each_function_owns(doc):
    prefixes = {}
    for function, statements in role_policies(doc).items():
        for s in statements:
            if any(a.startswith("dynamodb:") for a in as_list(s["Action"])):
                condition = s.get("Condition", {}).get("ForAllValues:StringLike", {})
                prefixes.setdefault(function, []).append(
                    (sorted(as_list(s["Action"])), condition.get("dynamodb:LeadingKeys")))
    # The API never writes API keys: a compromised API cannot mint itself a staff key.
    api_writes = [keys for actions, keys in prefixes["APIHandler"] if "dynamodb:PutItem" in actions]
    # + the markers of used links (a link opens once), and its kept responses
    # (and, in the imports table, new jobs; in the history table, a delete's marker)
    assert api_writes == [["PRO#*", "EMAIL#*", "PHONE#*"], ["LINK#*"], ["post#*"], None,
                          ["DEL#*"]]
    # The import worker: its jobs' items, and what bulk writes (professionals and guards).
    # (and, in the stats table, each chunk's counts, once: chalicelib/stats/counters.py)
    counted_once = [(["dynamodb:UpdateItem"], ["DAY*"]), (["dynamodb:PutItem"], ["ONCE#*"])]
    assert prefixes["ProcessImports"] == [
        (["dynamodb:GetItem", "dynamodb:UpdateItem"], None), (["dynamodb:BatchGetItem"], None),
        (["dynamodb:DeleteItem", "dynamodb:PutItem"], ["PRO#*", "EMAIL#*", "PHONE#*"]),
        *counted_once]
    assert prefixes["CountStats"] == [
        (sorted(STREAM_ACTIONS - {"dynamodb:ListStreams"}), None),
        (["dynamodb:ListStreams"], None), (["dynamodb:UpdateItem"], ["DAY*"]),
        (["dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
         None)]
    assert prefixes["ProcessResumeUploads"] == [(["dynamodb:GetItem", "dynamodb:PutItem"],
                                                ["PRO#*"])]
    assert prefixes["KeyAuthorizer"] == [(["dynamodb:GetItem"], ["KEY#*"])]
    assert prefixes["EmbedResumes"] == [(["dynamodb:GetItem"], ["PRO#*"])]  # reads only
    # The purge deletes professionals and their guards, and reads only the unconfirmed index.
    assert prefixes["PurgeUnconfirmed"] == [
        (["dynamodb:Query"], None), (["dynamodb:GetItem"], None),
        (["dynamodb:DeleteItem"], ["PRO#*", "EMAIL#*", "PHONE#*"]),
        (["dynamodb:PutItem"], ["DEL#*"])]  # in the history table: the erasure's marker
    query = next(s for s in role_policies(doc)["PurgeUnconfirmed"]
                 if s["Action"] == "dynamodb:Query" or s["Action"] == ["dynamodb:Query"])
    assert [r["Fn::Sub"].rsplit("/", 1)[1] for r in as_list(query["Resource"])] == ["by_unconfirmed"]
    # The mail sender reads records and writes only its own sent-event records ("mail#...")
    # and per-address mail counters ("mailcap#...").
    own = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
    assert prefixes["SendMail"] == [
        (["dynamodb:GetItem"], ["PRO#*"]), (["dynamodb:Query"], None),
        ([*own, "dynamodb:UpdateItem"], ["mail#*"]), (own, ["mailcap#*"]), *counted_once]


def resources_by_action(doc, function):
    """Action -> the resolved resources a function's role allows it on."""
    resolve = Resolver(doc)
    out: dict[str, set[str]] = {}
    for s in role_policies(doc)[function]:
        assert s["Effect"] == "Allow"
        for action in as_list(s["Action"]):
            out.setdefault(action, set()).update(resolve.value(r) for r in as_list(s["Resource"]))
    return out


def test_the_search_indexer_reads_its_stream_writes_its_index_and_reads_resume_text_only(doc):
    resolve = Resolver(doc)
    table = resolve.getatt("ProfessionalsTable", "Arn")
    search = resolve.getatt("SearchTable", "Arn")
    bucket = resolve.ref("ResumeBucket")
    allowed = resources_by_action(doc, "IndexSearch")
    for action in STREAM_ACTIONS - {"dynamodb:ListStreams"}:
        assert allowed[action] == {resolve.getatt("ProfessionalsTable", "StreamArn")}, action
    assert allowed["dynamodb:ListStreams"] == {f"{table}/stream/*"}
    for action in SEARCH_INDEX_ACTIONS:
        assert allowed[action] == {search}, action
    assert allowed["s3:GetObject"] == {f"arn:aws:s3:::{bucket}/text/*"}
    assert allowed["s3:ListBucket"] == {f"arn:aws:s3:::{bucket}"}  # a missing text/ is a 404
    assert allowed["sqs:SendMessage"] == {resolve.getatt("SearchIndexDeadLetterQueue", "Arn"),
                                          resolve.getatt("EmbedQueue", "Arn")}
    # Nothing on the professionals table itself, nor its indexes: only its stream.
    named = set().union(*allowed.values())
    assert not [arn for arn in named if arn == table or arn.startswith(f"{table}/index")]
    # Nor does anything else read the stream (but the counters' consumer) or write the index.
    for function in set(FUNCTIONS) - {"IndexSearch"}:
        others = resources_by_action(doc, function)
        assert not STREAM_ACTIONS & set(others) or function == "CountStats", function
        for action, arns in others.items():
            if search in arns:
                assert function == "APIHandler", (function, action)
    assert {a for a, arns in resources_by_action(doc, "APIHandler").items() if search in arns} \
        == {"dynamodb:Query", "dynamodb:BatchGetItem"}


def test_the_spa_bucket_only_lets_cloudfront_read(doc):
    statements = doc["Resources"]["SpaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "CloudFrontReadsTheSpa", "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${SpaBucket.Arn}/*"},
        "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub": (
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
            "${SpaDistribution}")}}}}]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]
    resume_policy = doc["Resources"]["ResumeBucketPolicy"]["Properties"]["PolicyDocument"]
    assert all(s["Effect"] == "Deny" for s in resume_policy["Statement"])
    for bucket in ("SpaBucket", "ResumeBucket"):
        props = doc["Resources"][bucket]["Properties"]
        assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]


# -- data -------------------------------------------------------------------------------------

def test_the_table_is_the_models_table(doc, stage):
    table = doc["Resources"]["ProfessionalsTable"]
    props = table["Properties"]
    models = resources.table_spec(resources.stage_environment(stage)["TABLE_NAME"])
    expected = models.api_kwargs()
    # The search indexer reads every change with both images (CloudFormation: no StreamEnabled).
    assert expected.pop("StreamSpecification")["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert {k: props[k] for k in expected} == expected
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is (stage == "prod")
    keep = "Retain" if stage == "prod" else "Delete"
    for name in ("ProfessionalsTable", "SearchTable", "ResumeBucket", "SigningSecret"):
        assert doc["Resources"][name]["DeletionPolicy"] == keep
        assert doc["Resources"][name]["UpdateReplacePolicy"] == keep


def test_the_search_table_is_on_demand_recoverable_encrypted_and_expires_entries(doc, stage):
    props = doc["Resources"]["SearchTable"]["Properties"]
    spec = resources.define(stage).search_table
    assert spec.name == f"professionals-{stage}-search"
    assert {k: props[k] for k in spec.api_kwargs()} == spec.api_kwargs()
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["DeletionProtectionEnabled"] is (stage == "prod")
    assert "StreamSpecification" not in props  # nothing reads the index's changes


def test_the_resume_bucket_notifies_the_queue_once_the_queue_lets_it(doc):
    resolve = Resolver(doc)
    bucket = doc["Resources"]["ResumeBucket"]
    assert bucket["DependsOn"] == ["UploadQueuePolicy", "ImportQueuePolicy"]
    props = bucket["Properties"]
    assert props["NotificationConfiguration"] == {"QueueConfigurations": [{
        "Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["UploadQueue", "Arn"]},
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"}]}}}, {
        "Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["ImportQueue", "Arn"]},
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "imports/"}]}}}]}
    statement, = doc["Resources"]["UploadQueuePolicy"]["Properties"]["PolicyDocument"][
        "Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert resolve.value(statement["Condition"]["ArnLike"]["aws:SourceArn"]) == \
        f"arn:aws:s3:::{resolve.ref('ResumeBucket')}"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount":
                                                      {"Ref": "AWS::AccountId"}}


def test_the_resume_bucket_cors_names_only_the_spa_origin(doc):
    rules = doc["Resources"]["ResumeBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [r["AllowedOrigins"] for r in rules] == [
        [{"Fn::Sub": "https://${SpaDistribution.DomainName}"}]]
    assert set(rules[0]["AllowedMethods"]) <= {"GET", "HEAD", "POST"}


def test_abandoned_uploads_expire(doc):
    rules = doc["Resources"]["ResumeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_id = {r["Id"]: r for r in rules}
    assert by_id["expire-abandoned-uploads"] == {
        "Id": "expire-abandoned-uploads", "Status": "Enabled", "Prefix": "uploads/",
        "ExpirationInDays": 1}
    assert by_id["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1}


# -- API --------------------------------------------------------------------------------------

def test_every_route_goes_through_the_usage_plan_authorizer(doc):
    from app import app
    body = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert body["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
    authorizer = body["securityDefinitions"][template.AUTHORIZER_NAME]
    spec = authorizer["x-amazon-apigateway-authorizer"]
    assert spec["type"] == "request"
    assert spec["authorizerResultTtlInSeconds"] == 0  # invoked for every request...
    assert "identitySource" not in spec  # ...with or without a key: anonymous sign-ups work
    assert "${KeyAuthorizer.Arn}" in spec["authorizerUri"]["Fn::Sub"]
    assert set(body["paths"]) == set(app.routes)
    for path, methods in body["paths"].items():
        assert {m for m in methods if m != "x-amazon-apigateway-any-method"} == \
            {m.lower() for m in app.routes[path]}
        for method, spec in methods.items():
            assert spec["security"] == [{"api_key": []}, {template.AUTHORIZER_NAME: []}], \
                (path, method)
            integration = spec["x-amazon-apigateway-integration"]
            assert "${APIHandler.Arn}" in integration["uri"]["Fn::Sub"]
            assert integration["type"] == "aws_proxy"
    permission = doc["Resources"]["KeyAuthorizerInvokePermission"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith("${RestAPI}/authorizers/*")


def test_usage_plans_throttle_partners_per_key(doc, transformed):
    plans = resources_of(doc, "AWS::ApiGateway::UsagePlan")
    assert set(plans) == {"PartnerUsagePlan", "StaffUsagePlan", "PublicUsagePlan"}
    for plan in plans.values():
        assert plan["Properties"]["ApiStages"] == [{"ApiId": {"Ref": "RestAPI"},
                                                    "Stage": {"Ref": "RestAPI.Stage"}}]
        throttle = plan["Properties"]["Throttle"]
        assert throttle["RateLimit"] > 0 and throttle["BurstLimit"] >= throttle["RateLimit"]
    assert plans["PartnerUsagePlan"]["Properties"]["Quota"]["Period"] == "DAY"
    links = {v["Properties"]["UsagePlanId"]["Ref"]: v["Properties"]["KeyId"]["Ref"]
             for v in resources_of(doc, "AWS::ApiGateway::UsagePlanKey").values()}
    assert links == {"StaffUsagePlan": "StaffUsageKey", "PublicUsagePlan": "PublicUsageKey"}
    # After the transform, the plans name the generated stage (so they are created after it).
    stage_ids = set(resources_of(transformed, "AWS::ApiGateway::Stage"))
    for name in plans:
        stage_ref = transformed["Resources"][name]["Properties"]["ApiStages"][0]["Stage"]
        assert stage_ref["Ref"] in stage_ids
    rest = resources_of(transformed, "AWS::ApiGateway::RestApi")["RestAPI"]["Properties"]
    assert rest["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    stage_props = next(iter(resources_of(transformed, "AWS::ApiGateway::Stage").values()))
    assert stage_props["Properties"]["StageName"] == "api"
    assert stage_props["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] > 0
    # Only the "api" stage: SAM's extra "Stage" stage would bypass the usage plans.
    for deployment in resources_of(transformed, "AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment["Properties"]


CONTRACT_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                  413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited",
                  500: "internal_error", 503: "unavailable"}


def test_gateway_errors_answer_in_the_contract_envelope(doc):
    responses = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"]
    expected = {"MISSING_AUTHENTICATION_TOKEN": (404, "not_found"),
                "THROTTLED": (429, "rate_limited"), "QUOTA_EXCEEDED": (429, "rate_limited"),
                "REQUEST_TOO_LARGE": (413, "payload_too_large"),
                "DEFAULT_4XX": (None, "bad_request"), "DEFAULT_5XX": (None, "internal_error")}
    for response_type, (status, code) in expected.items():
        assert responses[response_type].get("statusCode") == status, response_type
        assert rendered(responses[response_type])["error"]["code"] == code
    for response_type, response in responses.items():
        body = rendered(response)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        if "statusCode" in response:
            assert CONTRACT_CODES[response["statusCode"]] == body["error"]["code"], response_type
        if body["error"]["code"] in ("internal_error", "unavailable"):
            assert body["error"]["details"] == {"request_id": "req-1"}


def rendered(response):
    """The gateway response's body as API Gateway renders its template."""
    text = response["responseTemplates"]["application/json"]
    text = text.replace("$context.error.messageString", json.dumps("Gateway's own message"))
    text = text.replace("$context.requestId", "req-1")
    assert "$" not in text
    return json.loads(text)


def test_the_api_sends_no_cors_headers_the_spa_shares_its_origin(doc):
    """The SPA calls /api on its own CloudFront origin: no route needs CORS, and none has it
    (so no other site's script can read the API's answers in a browser)."""
    from app import app
    body = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert all("options" not in methods for methods in body["paths"].values())
    assert not [r for methods in app.routes.values() for r in methods.values() if r.cors]
    assert "Cors" not in doc["Resources"]["RestAPI"]["Properties"]
    for response in body["x-amazon-apigateway-gateway-responses"].values():
        headers = {k.lower() for k in response.get("responseParameters", {})}
        assert not {h for h in headers if "access-control" in h}, headers


def test_resume_bucket_names_stay_within_s3s_limit():
    assert "${AWS::AccountId}" in template.resume_bucket_name("prod")
    with pytest.raises(ValueError, match="63"):
        template.resume_bucket_name("a-stage-name-long-enough-to-overflow-the-limit")


def test_a_wrong_method_reaches_chalice_for_a_405(doc):
    """API Gateway answers an unknown method with 403 'Missing Authentication Token'; an ANY
    method per path sends it to the app instead, whose 405 carries the envelope and Allow."""
    from app import app
    body = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    for path, methods in body["paths"].items():
        assert "x-amazon-apigateway-any-method" in methods, path
    # The proxy event API Gateway sends for PUT on the bulk route's ANY method.
    response = app({"requestContext": {"resourcePath": "/professionals/bulk",
                                       "httpMethod": "PUT", "requestId": "r1"},
                    "resource": "/professionals/bulk", "httpMethod": "PUT",
                    "path": "/professionals/bulk", "headers": {}, "multiValueHeaders": {},
                    "queryStringParameters": None, "multiValueQueryStringParameters": None,
                    "pathParameters": None, "stageVariables": None, "body": None,
                    "isBase64Encoded": False}, None)
    assert response["statusCode"] == 405
    assert json.loads(response["body"])["error"]["code"] == "method_not_allowed"
    headers = {k.lower(): v for k, v in response["headers"].items()}
    assert headers["allow"] == "POST"


# -- SPA --------------------------------------------------------------------------------------

def test_cloudfront_serves_the_spa_and_the_api_on_one_origin(doc):
    config = doc["Resources"]["SpaDistribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["spa"]["OriginAccessControlId"] == {"Fn::GetAtt": ["SpaOriginAccessControl",
                                                                      "Id"]}
    assert origins["spa"]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert origins["api"]["DomainName"] == {
        "Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert "OriginPath" not in origins["api"]  # /api/... is the API Gateway stage "api"
    api, = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*" and api["TargetOriginId"] == "api"
    assert api["CachePolicyId"] == template.CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == template.ALL_VIEWER_EXCEPT_HOST_HEADER
    assert set(api["AllowedMethods"]) >= {"GET", "POST", "PATCH", "DELETE"}
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "spa"
    assert doc["Resources"]["RestAPI"]["Properties"]["StageName"] == template.API_STAGE


@pytest.mark.skipif(not shutil.which("node"), reason="node runs the CloudFront function")
def test_the_spa_route_rewrite_sends_client_routes_to_index_html(doc, tmp_path):
    code = doc["Resources"]["SpaRewriteFunction"]["Properties"]["FunctionCode"]
    probe = tmp_path / "probe.js"
    probe.write_text(code + """
const uris = JSON.parse(process.argv[2]);
console.log(JSON.stringify(uris.map((uri) => handler({request: {uri}}).uri)));
""")
    uris = ["/", "/signup", "/staff/professionals/abc", "/assets/index-3f2a.js", "/favicon.ico"]
    out = subprocess.run(["node", str(probe), json.dumps(uris)], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == ["/index.html", "/index.html", "/index.html",
                               "/assets/index-3f2a.js", "/favicon.ico"]


# -- alarms and outputs -----------------------------------------------------------------------

def test_alarms_watch_the_dead_letter_queue_5xx_and_throttles(doc):
    alarms = resources_of(doc, "AWS::CloudWatch::Alarm")
    assert {"DeadLetterQueueAlarm", "Api5xxRateAlarm", "LambdaThrottlesAlarm",
            "TableThrottlesAlarm", "UploadQueueStalledAlarm", "ResumeWorkerErrorsAlarm",
            "SearchIndexerIteratorAgeAlarm", "SearchIndexDeadLetterQueueAlarm",
            "EmbedDeadLetterQueueAlarm"} <= set(alarms)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert "docs/operations.md" in alarm["Properties"]["AlarmDescription"]
    dlq = alarms["DeadLetterQueueAlarm"]["Properties"]
    assert dlq["Dimensions"] == [{"Name": "QueueName",
                                  "Value": {"Fn::GetAtt": ["UploadDeadLetterQueue",
                                                           "QueueName"]}}]
    assert dlq["Threshold"] == 0 and dlq["ComparisonOperator"] == "GreaterThanThreshold"
    rate = alarms["Api5xxRateAlarm"]["Properties"]["Metrics"]
    name = doc["Resources"]["RestAPI"]["Properties"]["Name"]
    for metric in rate[1:]:
        assert {"Name": "ApiName", "Value": name} in metric["MetricStat"]["Metric"]["Dimensions"]
    throttled = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
                 for m in alarms["LambdaThrottlesAlarm"]["Properties"]["Metrics"][1:]}
    assert throttled == set(FUNCTIONS)


def test_alarms_watch_the_search_indexer_falling_behind_and_giving_up(doc):
    alarms = resources_of(doc, "AWS::CloudWatch::Alarm")
    age = alarms["SearchIndexerIteratorAgeAlarm"]["Properties"]
    assert (age["Namespace"], age["MetricName"], age["Statistic"], age["Period"]) == \
        ("AWS/Lambda", "IteratorAge", "Maximum", 300)
    assert age["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "IndexSearch"}}]
    assert age["Threshold"] == 60_000  # IteratorAge is in milliseconds: one minute behind
    assert age["ComparisonOperator"] == "GreaterThanThreshold"
    dlq = alarms["SearchIndexDeadLetterQueueAlarm"]["Properties"]
    assert (dlq["Namespace"], dlq["MetricName"], dlq["Threshold"]) == \
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0)
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {
        "Fn::GetAtt": ["SearchIndexDeadLetterQueue", "QueueName"]}}]
    for alarm in (age, dlq):
        assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "AlarmTopic"}]
        assert "docs/operations.md" in alarm["AlarmDescription"]


def test_outputs_give_the_urls_and_what_operators_need(doc):
    assert {"SiteUrl", "SiteApiUrl", "ApiUrl", "SpaBucketName", "DistributionId", "TableName",
            "DeadLetterQueueUrl", "DeadLetterQueueArn", "PartnerUsagePlanId",
            "PartnerUsageKeyPrefix", "SigningSecretArn", "SearchTableName",
            "SearchIndexDeadLetterQueueUrl"} <= set(doc["Outputs"])
    assert doc["Outputs"]["SearchTableName"]["Value"] == {"Ref": "SearchTable"}
    assert doc["Outputs"]["SearchIndexDeadLetterQueueUrl"]["Value"] == {
        "Ref": "SearchIndexDeadLetterQueue"}


def test_merge_template_is_written_beside_the_package(stage):
    merge = json.loads((packaged(stage).out / "merge.json").read_text())
    assert merge["Resources"]["ProcessResumeUploads"]["Properties"]["Events"]
    report = json.loads((packaged(stage).out / "package-report.json").read_text())
    assert report["problems"] == [] and report["max_glibc"] == "2.34"


def test_template_generation_refuses_an_app_without_the_authorizer():
    functions = template.inspect_app()
    without = template.AppFunctions(**{**functions.__dict__, "authorizer": None})
    with pytest.raises(RuntimeError, match="key_authorizer"):
        template.build("dev", functions=without)


def test_package_refuses_another_python(monkeypatch):
    from infra import package as packaging
    monkeypatch.setattr(packaging.sys, "version_info", (3, 11, 7))
    with pytest.raises(packaging.PackageError, match="Python 3.12"):
        packaging.chalice_command()


def test_outputs_and_parameters_of_merge_only_exist_once(doc):
    # cfn-lint covers unknown refs; this covers what the deep merge kept from Chalice.
    assert doc["Outputs"]["EndpointURL"]  # Chalice's own output survives the merge
    assert Path(packaged("dev").template_path).name == "sam.json"


# -- import jobs ------------------------------------------------------------------------------

def test_the_import_worker_takes_one_job_message_at_a_time_from_its_own_queue(doc, transformed,
                                                                             stage):
    mapping = resources_of(transformed, "AWS::Lambda::EventSourceMapping")[
        "ProcessImportsProcessImportsSqsEventSource"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "ProcessImports"}
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    resolve = Resolver(doc)
    assert resolve.value(mapping["EventSourceArn"]) == resolve.getatt("ImportQueue", "Arn")
    worker = doc["Resources"]["ProcessImports"]["Properties"]
    assert worker["Timeout"] == 900 and worker["MemorySize"] >= 1024
    queue = doc["Resources"]["ImportQueue"]["Properties"]
    assert queue["QueueName"] == resources.define(stage).import_queue.name
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ImportDeadLetterQueue", "Arn"]}
    env = worker["Environment"]["Variables"]
    assert env["IMPORT_QUEUE_URL"] == {"Ref": "ImportQueue"}
    assert env["IMPORTS_TABLE_NAME"] == {"Ref": "ImportsTable"}
    statement, = doc["Resources"]["ImportQueuePolicy"]["Properties"]["PolicyDocument"][
        "Statement"]
    assert resolve.value(statement["Condition"]["ArnLike"]["aws:SourceArn"]) == \
        f"arn:aws:s3:::{resolve.ref('ResumeBucket')}"


def test_the_imports_table_keeps_jobs_30_days_and_lists_them_by_owner(doc):
    props = doc["Resources"]["ImportsTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    index, = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_owner"
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["owner", "list_key"]


def test_import_files_and_errors_files_expire(doc):
    rules = {r["Id"]: r for r in doc["Resources"]["ResumeBucket"]["Properties"][
        "LifecycleConfiguration"]["Rules"]}
    assert rules["expire-abandoned-import-files"]["Prefix"] == "imports/"
    assert rules["expire-abandoned-import-files"]["ExpirationInDays"] == 1
    assert rules["expire-import-errors"]["Prefix"] == "import-errors/"
    assert rules["expire-import-errors"]["ExpirationInDays"] == 30


def test_the_import_worker_may_touch_only_import_objects_and_bulk_keys(doc):
    resolve = Resolver(doc)
    allowed = resources_by_action(doc, "ProcessImports")
    bucket = resolve.ref("ResumeBucket")
    assert allowed["s3:GetObject"] == {f"arn:aws:s3:::{bucket}/imports/*",
                                       f"arn:aws:s3:::{bucket}/import-errors/*"}
    assert allowed["s3:PutObject"] == {f"arn:aws:s3:::{bucket}/import-errors/*"}
    assert allowed["dynamodb:UpdateItem"] == {resolve.getatt("ImportsTable", "Arn"),
                                              resolve.getatt("StatsTable", "Arn")}
    assert allowed["sqs:SendMessage"] == {resolve.getatt("ImportQueue", "Arn"),
                                          resolve.getatt("MailQueue", "Arn")}
    api = resources_by_action(doc, "APIHandler")
    assert f"arn:aws:s3:::{bucket}/imports/*" in api["s3:PutObject"]
    assert f"arn:aws:s3:::{bucket}/import-errors/*" in api["s3:GetObject"]


# -- mail and the WAF -------------------------------------------------------------------------

def test_the_mail_sender_reports_batch_item_failures_from_the_mail_queue(doc, transformed):
    mapping = resources_of(transformed, "AWS::Lambda::EventSourceMapping")[
        "SendMailSendMailSqsEventSource"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "SendMail"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    resolve = Resolver(doc)
    assert resolve.value(mapping["EventSourceArn"]) == resolve.getatt("MailQueue", "Arn")
    assert 2 <= mapping["ScalingConfig"]["MaximumConcurrency"] <= 5


def test_failed_mail_is_retried_then_parked_in_a_dead_letter_queue_that_raises_an_alarm(doc,
                                                                                        stage):
    sender = doc["Resources"]["SendMail"]["Properties"]
    queue = doc["Resources"]["MailQueue"]["Properties"]
    assert queue["QueueName"] == resources.define(stage).mail_queue.name
    assert queue["VisibilityTimeout"] >= 6 * sender["Timeout"]  # AWS's advice for Lambda
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]},
        "maxReceiveCount": resources.MAIL_MAX_RECEIVE_COUNT}
    for name in ("MailQueue", "MailDeadLetterQueue"):
        props = doc["Resources"][name]["Properties"]
        assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert props["SqsManagedSseEnabled"] is True
    alarm = doc["Resources"]["MailDeadLetterQueueAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == \
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 0)
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {
        "Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}}]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert doc["Outputs"]["MailDeadLetterQueueUrl"]["Value"] == {"Ref": "MailDeadLetterQueue"}


def test_only_the_mail_sender_sends_and_only_as_the_stages_sender_identity(doc):
    assert "Default" not in doc["Parameters"]["MailFrom"]  # each stack names its sender
    resolve = Resolver(doc)
    sender = resolve.ref("MailFrom")
    identity = "arn:aws:ses:us-east-1:123456789012:identity/"
    # The address, or its domain when the domain is the verified identity; nothing else.
    assert resources_by_action(doc, "SendMail")["ses:SendEmail"] == {
        identity + sender, identity + sender.split("@")[1]}
    for function in set(FUNCTIONS) - {"SendMail"}:
        assert not [a for a in resources_by_action(doc, function) if a.startswith("ses:")]
    env = doc["Resources"]["SendMail"]["Properties"]["Environment"]["Variables"]
    assert env["MAIL_FROM"] == {"Ref": "MailFrom"}
    assert env["APP_URL"] == {"Fn::Sub": "https://${SpaDistribution.DomainName}"}
    # The API only queues mail.
    assert resources_by_action(doc, "APIHandler")["sqs:SendMessage"] == {
        resolve.getatt("MailQueue", "Arn")}
    api_env = doc["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["MAIL_QUEUE_URL"] == {"Ref": "MailQueue"}
    assert "MAIL_FROM" not in api_env


def test_the_waf_rate_limits_requests_without_a_key_per_client_address(doc, transformed, stage):
    """What the rules count is pinned in test_deploy_trust.py, on the merge template: here, that
    the packaged template deploys exactly those rules, on the API's stage, blocking with 429."""
    acl = doc["Resources"]["ApiWebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    assert acl == template.build(stage)["Resources"]["ApiWebAcl"]["Properties"]
    assert [rule["Name"] for rule in acl["Rules"]] == [
        "anonymous-per-viewer", "anonymous-per-address", "staff-token-per-viewer",
        "staff-token-per-address"]
    # The WAF is on the API's stage: the one the transform creates.
    association = resources_of(transformed, "AWS::WAFv2::WebACLAssociation")[
        "ApiWebAclAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    parts = association["ResourceArn"]["Fn::Join"][1]
    stage_ref = parts[-1]["Ref"]
    assert transformed["Resources"][stage_ref]["Type"] == "AWS::ApiGateway::Stage"
    assert transformed["Resources"][stage_ref]["Properties"]["StageName"] == template.API_STAGE
    assert parts[-3] == {"Ref": "RestAPI"}
    # A WAF block is a 429 in the contract's envelope.
    gateway = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"]["WAF_FILTERED"]
    assert gateway["statusCode"] == 429
    assert rendered(gateway)["error"]["code"] == "rate_limited"


def test_no_packaged_function_holds_the_signing_secret(doc):
    """The merged environments (Chalice's from .chalice/config.json included)."""
    from tests.test_deploy_trust import SIGNERS, secret_leaks
    assert secret_leaks(doc) == []
    for name in FUNCTIONS:
        env = doc["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert ("SIGNING_SECRET_ARN" in env) is (name in SIGNERS), name


@pytest.mark.skipif(not shutil.which("node"), reason="node runs the CloudFront function")
def test_cloudfront_tells_the_api_the_viewers_address_whatever_the_client_sent(doc, tmp_path):
    config = doc["Resources"]["SpaDistribution"]["Properties"]["DistributionConfig"]
    api, = config["CacheBehaviors"]
    assert api["FunctionAssociations"] == [{"EventType": "viewer-request", "FunctionARN": {
        "Fn::GetAtt": ["ViewerIpFunction", "FunctionARN"]}}]
    code = doc["Resources"]["ViewerIpFunction"]["Properties"]["FunctionCode"]
    probe = tmp_path / "probe.js"
    probe.write_text(code + """
const forged = {request: {uri: '/api/sessions', headers: {'x-viewer-ip': {value: '10.9.9.9'}}},
                viewer: {ip: '203.0.113.7'}};
const plain = {request: {uri: '/api/sessions', headers: {}}, viewer: {ip: '2001:db8::1'}};
console.log(JSON.stringify([handler(forged).headers, handler(plain).headers]));
""")
    out = subprocess.run(["node", str(probe)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [{"x-viewer-ip": {"value": "203.0.113.7"}},
                               {"x-viewer-ip": {"value": "2001:db8::1"}}]
    assert template.VIEWER_IP_HEADER.lower() == "x-viewer-ip"
