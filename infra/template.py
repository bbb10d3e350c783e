"""The CloudFormation merge template of a stage, generated from ``infra/resources.define(stage)``.

``chalice package --merge-template`` deep-merges this template into the SAM template Chalice
generates (the functions, the REST API, the SQS event source): what is a dict here is merged key by
key into Chalice's, anything else replaces it. So this template both adds resources and overrides
parts of Chalice's own:

* data: the table (on-demand, point-in-time recovery, deletion protection on ``prod``, a stream of
  new and old images for the search indexer), the search index's own table (the same, plus TTL on
  ``expires_at`` and SSE with the AWS-managed KMS key), the private
  resume bucket (public access blocked, SSE, CORS for the SPA origin only, lifecycle for abandoned
  uploads, TLS only), the upload queue, its dead-letter queue and redrive, the queue policy that
  lets the bucket notify the queue (the bucket depends on it: S3 checks it when the notification
  is configured);
* the functions (Chalice's ``APIHandler``, the SQS handler, the stream handler that indexes for
  search, the ``key_authorizer`` function):
  hand-written least-privilege roles (``.chalice/config.json`` says ``manage_iam_role: false``, so
  Chalice generates none), memory, timeouts, their log groups, the stage's environment (table,
  bucket, signing secret from Secrets Manager through a dynamic reference), and
  ``FunctionResponseTypes: [ReportBatchItemFailures]`` on the SQS event source; on the stream's
  event source the real stream ARN (Chalice writes the literal string ``app.py`` saw at import
  time), bisection, bounded retries and record age, and an on-failure SQS queue
  (``infra/search_dlq.py`` replays it);
* the REST API: regional endpoint, stage throttling, gateway responses in the contract's error
  envelope, a REQUEST authorizer that names the usage-plan key of each request
  (``apiKeySource: AUTHORIZER``), usage plans (partner: per key; staff; public), and an ANY method
  on every path so that a wrong method reaches Chalice, which answers 405 with ``Allow``;
* the SPA: a private bucket behind CloudFront (origin access control), the API under ``/api`` on
  the same distribution (one origin, as locally);
* mail: the mail queue and its dead-letter queue, the ``send_mail`` function (SES
  ``SendEmail`` from the ``MailFrom`` stack parameter's identity only), and an AWS WAF web ACL on
  the API stage that rate-limits the anonymous routes per client address (the viewer's, which a
  CloudFront function passes on in ``X-Viewer-Ip``, and the connection's);
* alarms (dead-letter queues, stalled uploads, 5xx rate, throttles, worker errors, the indexer's
  iterator age and its on-failure queue) to an SNS topic.

Command line: ``python -m infra.template --stage dev [-o dist/dev/merge.json]``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from infra import resources as res

PROJECT_ROOT = res.PROJECT_ROOT
APP = res.APP_NAME
API_STAGE = "api"  # the API Gateway stage: /api/... on CloudFront maps onto it unchanged
AUTHORIZER_FUNCTION = "key_authorizer"  # @app.lambda_function(name=...) in app.py
# The hourly purge: I/O only (a Query, then a DELETE's few writes per sign-up); an hour's due
# sign-ups fit in minutes, and a run cut short leaves the rest to the next hour.
PURGE_MEMORY_MB, PURGE_TIMEOUT_S = 256, 300
AUTHORIZER_NAME = "usagePlanKey"  # the securityDefinitions entry of the REQUEST authorizer
MAIL_FUNCTION = "send_mail"  # @app.on_sqs_message(name=...) of the mail queue in app.py
LAMBDA_RUNTIME = "python3.12"
SQS_LAMBDA_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
# What Lambda's event source mapping does with the function's role to read a DynamoDB stream.
STREAM_READ_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                       "dynamodb:GetShardIterator"]
# The search indexer's calls on the search table (chalicelib/search/indexer.py): a batch's DOC
# items read together, DOC items and postings written in batches (tests/test_deploy_iam.py).
# (The conditional single-item path is reindex's, run by an operator, not by this function.)
SEARCH_INDEXER_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"]

# CloudFront managed policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"

# The routes anyone may call without a key (POST), rate-limited per client address by the WAF.
ANONYMOUS_POSTS = ("/professionals", "/access-links", "/sessions")
VIEWER_IP_HEADER = "X-Viewer-Ip"
# CloudFront sends the API the viewer's address in a header of its own, replacing any the client
# sent, so the WAF behind it can count per viewer (it sees CloudFront's addresses otherwise).
VIEWER_IP_JS = """\
function handler(event) {
  event.request.headers['x-viewer-ip'] = {value: event.viewer.ip};
  return event.request;
}
"""

# Client routes of the SPA have no file extension: CloudFront serves index.html for them.
SPA_REWRITE_JS = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""


@dataclass(frozen=True)
class Throttle:
    rate: float  # steady requests per second
    burst: int


@dataclass(frozen=True)
class DeploySettings:
    """What differs between deployed stages (the resources' names come from ``define``)."""

    api_memory_mb: int = 512
    api_timeout_s: int = 29  # API Gateway's integration timeout
    # The resume worker runs pdfplumber in a child process limited to 1 GiB of address space,
    # next to its own ~150 MB: 1.5 GB. Its batches are 5 records of up to ~25 s each.
    worker_memory_mb: int = 1536
    worker_timeout_s: int = 150
    worker_max_concurrency: int = 5  # parallel batches (the SQS event source's ScalingConfig)
    authorizer_memory_mb: int = 512  # imports the app: more memory, more CPU, faster cold starts
    authorizer_timeout_s: int = 10
    log_retention_days: int = 30
    protect_data: bool = False  # deletion protection + Retain on the table, bucket and secret
    upload_expiry_days: int = 1  # abandoned uploads/ objects (and incomplete multipart uploads)
    stage_throttle: Throttle = Throttle(100, 200)  # all callers together
    public_throttle: Throttle = Throttle(25, 50)  # anonymous and access-token callers, together
    staff_throttle: Throttle = Throttle(25, 50)  # staff keys, together
    partner_throttle: Throttle = Throttle(5, 10)  # each partner key on its own
    partner_daily_quota: int = 20_000  # requests per partner key per day
    alarm_5xx_rate: float = 0.05  # share of requests answered 5xx over 5 minutes...
    alarm_5xx_min_requests: int = 20  # ...once there are at least this many
    alarm_upload_age_s: int = 3600  # oldest message waiting in the upload queue
    # The search indexer: batches of app.py's batch_size (100) records; a failing batch is
    # halved until the bad record is alone, each half retried at most this often, and records
    # this old are given up on: they go to the on-failure queue, well inside the stream's 24 h,
    # so infra/search_dlq.py can still read them back.
    indexer_memory_mb: int = 512
    indexer_timeout_s: int = 120
    indexer_max_retries: int = 5
    indexer_max_record_age_s: int = 3600
    alarm_iterator_age_s: int = 60  # the indexer's oldest record when read, 5-minute maximum
    # The mail sender: a batch of up to 10 SendEmail calls; SES's own sending rate (14/s out of
    # the sandbox by default) caps it, so two batches at a time are plenty.
    mail_memory_mb: int = 256
    mail_timeout_s: int = 30
    mail_max_concurrency: int = 2
    # WAF on the anonymous routes, requests per 5 minutes: per viewer (through CloudFront), and
    # per connecting address (CloudFront's edges carry many viewers each; a direct caller of the
    # execute-api URL is counted here whatever X-Viewer-Ip it sends).
    waf_viewer_limit: int = 100
    waf_source_limit: int = 2000


STAGE_SETTINGS: dict[str, DeploySettings] = {
    "prod": DeploySettings(log_retention_days=90, protect_data=True),
}


def settings_for(stage: str) -> DeploySettings:
    return STAGE_SETTINGS.get(stage, DeploySettings())


# --- CloudFormation helpers ----------------------------------------------------------------

def ref(name: str) -> dict[str, Any]:
    return {"Ref": name}


def getatt(name: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [name, attribute]}


def sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def maybe_sub(text: str) -> Any:
    return sub(text) if "${" in text else text


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, actions: list[str], resources: list[Any], **condition: Any) -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def leading_keys(*prefixes: str) -> dict[str, Any]:
    """Only items whose hash key starts with one of ``prefixes`` (DynamoDB fine-grained access)."""
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{p}*" for p in prefixes]}}


def deny_insecure_transport(bucket: str) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [getatt(bucket, "Arn"), sub("${%s.Arn}/*" % bucket)],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


# --- what the app defines ------------------------------------------------------------------

@dataclass(frozen=True)
class AppFunctions:
    """Logical ids of the resources ``chalice package`` generates for app.py, and its routes."""

    api: str
    routes: dict[str, list[str]]
    sqs_function: str
    sqs_event: str
    stream_function: str
    stream_event: str
    authorizer: str | None
    mail_function: str
    mail_event: str


def inspect_app() -> AppFunctions:
    """Read app.py's routes and functions the way Chalice names them in its template."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig
    from chalice.utils import to_cfn_resource_name
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    app = importlib.import_module("app").app
    sqs = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    workers = [s for s in sqs if s.name != MAIL_FUNCTION]
    if len(workers) != 1 or len(sqs) != 2:
        raise RuntimeError(f"expected the resume worker and {MAIL_FUNCTION} as "
                           f"@app.on_sqs_message handlers, found {[s.name for s in sqs]}")
    sqs_function = to_cfn_resource_name(workers[0].name)
    mail_function = to_cfn_resource_name(MAIL_FUNCTION)
    streams = [s for s in app.event_sources if isinstance(s, DynamoDBEventConfig)]
    if len(streams) != 1:
        raise RuntimeError(f"expected one @app.on_dynamodb_record handler (the search indexer), "
                           f"found {len(streams)}")
    stream_function = to_cfn_resource_name(streams[0].name)
    authorizers = [f for f in app.pure_lambda_functions if f.name == AUTHORIZER_FUNCTION]
    return AppFunctions(
        api="APIHandler",
        routes={path: sorted(methods) for path, methods in app.routes.items()},
        sqs_function=sqs_function,
        sqs_event=f"{sqs_function}SqsEventSource",
        stream_function=stream_function,
        stream_event=f"{stream_function}DynamodbEventSource",
        authorizer=to_cfn_resource_name(AUTHORIZER_FUNCTION) if authorizers else None,
        mail_function=mail_function,
        mail_event=f"{mail_function}SqsEventSource",
    )


# --- the template --------------------------------------------------------------------------

def usage_key_value(kind: str) -> str:
    """API Gateway API key values (a ``Fn::Sub`` string) the authorizer names as usage keys.

    They are not secrets: with ``apiKeySource: AUTHORIZER`` API Gateway ignores any key a client
    sends; only the authorizer picks one. A partner key's value is the prefix + its ``key_id``.
    """
    return "${AWS::StackName}-usage-plan-key-" + kind


def resume_bucket_name(stage: str) -> str:
    """Bucket names are global: the configured name + account + region (a ``Fn::Sub`` string).

    Written out (not ``Ref``) wherever it is needed, so the functions, their roles and the queue
    policy do not depend on the bucket, whose CORS names the CloudFront domain, which depends
    on the API, which depends on the functions.
    """
    configured = res.stage_environment(stage).get("RESUME_BUCKET") or f"{APP}-resumes-{stage}"
    longest = len(configured) + len("-123456789012-ap-southeast-2")
    if longest > 63:
        raise ValueError(f"bucket name {configured!r} + account + region can exceed S3's 63 "
                         "characters: shorten RESUME_BUCKET in .chalice/config.json")
    return configured + "-${AWS::AccountId}-${AWS::Region}"


def build(stage: str, *, functions: AppFunctions | None = None,
          settings: DeploySettings | None = None) -> dict[str, Any]:
    """The merge template of ``stage`` (a dict, ready for ``json.dumps``)."""
    functions = functions or inspect_app()
    if functions.authorizer is None:
        raise RuntimeError(
            f"app.py defines no @app.lambda_function(name='{AUTHORIZER_FUNCTION}'): the partner "
            "usage plan needs it (docs/operations.md, 'Keys')")
    settings = settings or settings_for(stage)
    spa_origin = "https://${SpaDistribution.DomainName}"
    defined = res.define(stage, origins=[spa_origin], bucket_name=resume_bucket_name(stage))
    # AWS: a queue feeding Lambda should stay invisible for >= 6x the function's timeout.
    defined = replace(defined, upload_queue=replace(
        defined.upload_queue, visibility_timeout=max(defined.upload_queue.visibility_timeout,
                                                     6 * settings.worker_timeout_s)),
        mail_queue=replace(defined.mail_queue, visibility_timeout=max(
            defined.mail_queue.visibility_timeout, 6 * settings.mail_timeout_s)))
    t = _Template(stage, defined, functions, settings)
    return t.render()


class _Template:
    def __init__(self, stage: str, defined: res.StageResources, functions: AppFunctions,
                 settings: DeploySettings):
        self.stage, self.d, self.f, self.s = stage, defined, functions, settings
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.bucket_arn = "arn:${AWS::Partition}:s3:::" + defined.bucket.name
        self.api_name = f"{APP}-{stage}"
        self.metrics_namespace = APP

    def render(self) -> dict[str, Any]:
        self.data()
        self.secret()
        self.functions()
        self.api()
        self.spa()
        self.waf()
        self.alarms()
        self.outputs_()
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"{APP} ({self.stage}): generated by infra/template.py",
            "Parameters": {
                "AlarmEmail": {
                    "Type": "String", "Default": "",
                    "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+$",
                    "Description": "Where alarms are e-mailed (empty: no subscription)"},
                "MailFrom": {
                    "Type": "String", "AllowedPattern": r"^[^@\s]+@[^@\s]+$",
                    "Description": "The sender of every mail: an address, or an address of a "
                                   "domain, verified in SES in this region (docs/operations.md, "
                                   "'Mail')"},
                "SigningSecretRevision": {
                    "Type": "String", "Default": "1",
                    "Description": "Change it after rotating the signing secret's value, so "
                                   "the functions are updated and read the new value"},
            },
            "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]}},
            "Resources": self.resources,
            "Outputs": self.outputs,
        }

    def add(self, logical_id: str, resource_type: str, properties: dict[str, Any],
            **extra: Any) -> None:
        assert logical_id not in self.resources, logical_id
        self.resources[logical_id] = {"Type": resource_type, "Properties": properties, **extra}

    def retention(self) -> dict[str, str]:
        keep = "Retain" if self.s.protect_data else "Delete"
        return {"DeletionPolicy": keep, "UpdateReplacePolicy": keep}

    # -- data ---------------------------------------------------------------------------------

    def data(self) -> None:
        # The professionals table (with its stream: StreamSpecification is in api_kwargs) and the
        # search index's table. The index can be rebuilt (python -m infra search reindex), but
        # that takes a while on a big table: it is kept like the data it indexes.
        for table in self.d.tables():
            props = {
                **table.api_kwargs(),
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": self.s.protect_data,
            }
            if table.stream_view_type:  # CloudFormation has no StreamEnabled: a view type is on
                props["StreamSpecification"] = {"StreamViewType": table.stream_view_type}
            if table.ttl_attribute:
                props["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute,
                                                    "Enabled": True}
            if table in (self.d.search_table, self.d.idempotency_table):
                # The index holds the resumes' words, the idempotency table kept responses:
                # encrypted with the AWS-managed KMS key (aws/dynamodb), which DynamoDB uses on
                # its callers' behalf (no kms: actions).
                props["SSESpecification"] = {"SSEEnabled": True}
            self.add(table.logical_id, "AWS::DynamoDB::Table", props, **self.retention())

        dlq, queue = self.d.dead_letter_queue, self.d.upload_queue
        for spec in (dlq, queue, self.d.index_dead_letter_queue, self.d.mail_dead_letter_queue,
                     self.d.mail_queue):
            props: dict[str, Any] = {
                "QueueName": spec.name,
                "VisibilityTimeout": spec.visibility_timeout,
                "MessageRetentionPeriod": spec.message_retention_period,
                "SqsManagedSseEnabled": True,
            }
            if spec.dead_letter_queue:
                props["RedrivePolicy"] = {"deadLetterTargetArn": getatt(spec.dead_letter_queue,
                                                                        "Arn"),
                                          "maxReceiveCount": spec.max_receive_count}
            self.add(spec.logical_id, "AWS::SQS::Queue", props)

        bucket = self.d.bucket
        queue_policy = res.queue_policy(getatt(queue.logical_id, "Arn"), sub(self.bucket_arn))
        for statement in queue_policy["Statement"]:
            statement["Condition"]["StringEquals"] = {"aws:SourceAccount": ref("AWS::AccountId")}
        self.add("UploadQueuePolicy", "AWS::SQS::QueuePolicy", {
            "Queues": [ref(queue.logical_id)], "PolicyDocument": queue_policy})

        notifications = [
            {"Event": event, "Queue": getatt(n.queue, "Arn"),
             "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": n.prefix}]}}}
            for n in bucket.notifications for event in n.events]
        cors = []
        for rule in bucket.cors_rules:
            cfn = rule.cfn()
            cfn["AllowedOrigins"] = [maybe_sub(o) for o in rule.allowed_origins]
            cors.append(cfn)
        self.add(bucket.logical_id, "AWS::S3::Bucket", {
            "BucketName": sub(bucket.name),
            "PublicAccessBlockConfiguration": _public_access_block(),
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": bucket.encryption}}]},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "CorsConfiguration": {"CorsRules": cors},
            "LifecycleConfiguration": {"Rules": [
                {"Id": "expire-abandoned-uploads", "Status": "Enabled",
                 "Prefix": res.UPLOAD_PREFIX, "ExpirationInDays": self.s.upload_expiry_days},
                {"Id": "abort-incomplete-multipart-uploads", "Status": "Enabled",
                 "AbortIncompleteMultipartUpload": {
                     "DaysAfterInitiation": self.s.upload_expiry_days}},
            ]},
            "NotificationConfiguration": {"QueueConfigurations": notifications},
        }, DependsOn=["UploadQueuePolicy"], **self.retention())
        self.add("ResumeBucketPolicy", "AWS::S3::BucketPolicy", {
            "Bucket": ref(bucket.logical_id),
            "PolicyDocument": policy(deny_insecure_transport(bucket.logical_id))})

    def secret(self) -> None:
        self.add("SigningSecret", "AWS::SecretsManager::Secret", {
            "Description": f"{APP} {self.stage}: HMAC key of access tokens and list cursors",
            "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
        }, **self.retention())

    # -- functions ----------------------------------------------------------------------------

    def env(self, **extra: Any) -> dict[str, Any]:
        return {
            "STAGE": self.stage,
            "TABLE_NAME": ref(self.d.table.logical_id),
            "RESUME_BUCKET": sub(self.d.bucket.name),
            "UPLOAD_QUEUE_NAME": getatt(self.d.upload_queue.logical_id, "QueueName"),
            "SIGNING_SECRET": sub("{{resolve:secretsmanager:${SigningSecret}:SecretString}}"),
            "SIGNING_SECRET_REVISION": ref("SigningSecretRevision"),
            "METRICS_NAMESPACE": self.metrics_namespace,
            "SEARCH_TABLE_NAME": ref(self.d.search_table.logical_id),
            "MAIL_QUEUE_NAME": getatt(self.d.mail_queue.logical_id, "QueueName"),
            "MAIL_QUEUE_URL": ref(self.d.mail_queue.logical_id),
            "IDEMPOTENCY_TABLE_NAME": ref(self.d.idempotency_table.logical_id),
            **extra,
        }

    def function(self, logical_id: str, role: str, policy_doc: dict[str, Any], memory: int,
                 timeout: int, env: dict[str, Any], **extra: Any) -> None:
        log_group = f"{logical_id}LogGroup"
        self.add(log_group, "AWS::Logs::LogGroup",
                 {"RetentionInDays": self.s.log_retention_days})
        policy_doc["Statement"].insert(0, allow(
            "WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
            [getatt(log_group, "Arn")]))
        self.add(role, "AWS::IAM::Role", {
            "Description": f"{APP} {self.stage}: {logical_id} (least privilege, hand-written)",
            "AssumeRolePolicyDocument": policy({
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}),
            "Policies": [{"PolicyName": f"{logical_id}Access", "PolicyDocument": policy_doc}],
        })
        # Merged into Chalice's AWS::Serverless::Function of the same logical id.
        self.resources[logical_id] = {"Properties": {
            "Runtime": LAMBDA_RUNTIME,
            "Role": getatt(role, "Arn"),
            "MemorySize": memory,
            "Timeout": timeout,
            "Environment": {"Variables": env},
            "LoggingConfig": {"LogGroup": ref(log_group), "LogFormat": "Text"},
            **extra,
        }}

    def table_arns(self) -> tuple[Any, list[Any]]:
        table = self.d.table
        indexes = [sub("${%s.Arn}/index/%s" % (table.logical_id, gsi["IndexName"]))
                   for gsi in table.global_secondary_indexes]
        return getatt(table.logical_id, "Arn"), indexes

    def stream_arn(self) -> dict[str, Any]:
        return getatt(self.d.table.logical_id, "StreamArn")

    def objects(self, *prefixes: str) -> list[Any]:
        return [sub(f"{self.bucket_arn}/{p}*") for p in prefixes]

    def functions(self) -> None:
        table, indexes = self.table_arns()
        search_table = getatt(self.d.search_table.logical_id, "Arn")
        index_dlq = getatt(self.d.index_dead_letter_queue.logical_id, "Arn")
        bucket = [sub(self.bucket_arn)]
        # HeadObject/GetObject of a missing key answers 403 rather than 404 without ListBucket;
        # the code treats a missing object (a race with a newer upload) as a normal outcome.
        list_bucket = allow("SeeMissingObjectsAs404", ["s3:ListBucket"], bucket)

        self.function("APIHandler", "ApiHandlerRole", policy(
            allow("ReadTable", ["dynamodb:GetItem", "dynamodb:BatchGetItem"], [table]),
            allow("QueryLookupIndexes", ["dynamodb:Query"], indexes),
            # Professionals and their e-mail/phone guards, in transactions; never API keys.
            allow("WriteProfessionalsAndGuards", ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                  [table], **leading_keys("PRO#", "EMAIL#", "PHONE#")),
            # The browser's presigned POST is signed with this role: it puts uploads/ objects.
            allow("SignUploads", ["s3:PutObject"], self.objects(res.UPLOAD_PREFIX)),
            # resume_text reads text/; the presigned download GETs resumes/.
            allow("ReadResumes", ["s3:GetObject"], self.objects("resumes/", "text/")),
            allow("DeleteResumeFiles", ["s3:DeleteObject"],
                  self.objects(res.UPLOAD_PREFIX, "resumes/", "text/")),
            # GET /professionals?q= reads the index (postings, then documents).
            allow("ReadSearchIndex", ["dynamodb:Query", "dynamodb:BatchGetItem"], [search_table]),
            # Idempotency-Key: Powertools' conditional put (a failed one returns the kept record:
            # no GetItem), the update that keeps the response, the delete of a 5xx's record and
            # erasure's; only the "post#" records, not the mail worker's.
            allow("KeepIdempotentResponses", ["dynamodb:PutItem", "dynamodb:UpdateItem",
                                              "dynamodb:DeleteItem"],
                  [getatt(self.d.idempotency_table.logical_id, "Arn")], **leading_keys("post#")),
            # chalicelib.mail: sign-ups, access links and email changes queue their mail.
            allow("QueueMail", ["sqs:SendMessage"], [getatt(self.d.mail_queue.logical_id, "Arn")]),
            list_bucket,
        ), self.s.api_memory_mb, self.s.api_timeout_s, self.env())

        self.function(self.f.sqs_function, "ResumeWorkerRole", policy(
            allow("ConsumeUploadQueue", SQS_LAMBDA_ACTIONS,
                  [getatt(self.d.upload_queue.logical_id, "Arn")]),
            allow("ReadWriteProfessionals", ["dynamodb:GetItem", "dynamodb:PutItem"], [table],
                  **leading_keys("PRO#")),
            # HeadObject, GetObject and the source of CopyObject.
            allow("ReadUploads", ["s3:GetObject"], self.objects(res.UPLOAD_PREFIX)),
            # The extracted text, and the CopyObject target of an accepted PDF.
            allow("WriteResumes", ["s3:PutObject"], self.objects("resumes/", "text/")),
            allow("DeleteResumeFiles", ["s3:DeleteObject"],
                  self.objects(res.UPLOAD_PREFIX, "resumes/", "text/")),
            list_bucket,
        ), self.s.worker_memory_mb, self.s.worker_timeout_s, self.env(), Events={
            self.f.sqs_event: {"Properties": {
                # Chalice writes this ARN as a Fn::Sub of the queue name; the merge is deep, so
                # an override must use the same intrinsic (a GetAtt would end up beside the Sub).
                "Queue": sub("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                             + self.d.upload_queue.name),
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": self.s.worker_max_concurrency},
            }}})

        self.mail_function(table, indexes)

        # chalicelib.purge, hourly (@app.schedule): unconfirmed sign-ups erased as a DELETE would.
        unconfirmed = [i for i in indexes if "/index/by_unconfirmed" in i["Fn::Sub"]]
        self.function("PurgeUnconfirmed", "PurgeRole", policy(
            allow("FindUnconfirmed", ["dynamodb:Query"], unconfirmed),
            allow("ReadProfessionals", ["dynamodb:GetItem"], [table]),
            allow("EraseProfessionalsAndGuards", ["dynamodb:DeleteItem"], [table],
                  **leading_keys("PRO#", "EMAIL#", "PHONE#")),
            allow("DeleteResumeFiles", ["s3:DeleteObject"],
                  self.objects(res.UPLOAD_PREFIX, "resumes/", "text/")),
        ), PURGE_MEMORY_MB, PURGE_TIMEOUT_S, self.env())

        # The search indexer never touches the professionals table: the stream's images carry
        # everything it indexes, and the resume's words come from text/.
        self.function(self.f.stream_function, "SearchIndexerRole", policy(
            # Lambda's event source mapping reads the stream with this role (SAM's
            # DynamoDBStreamReadPolicy: ListStreams on the table's streams, the rest on this one).
            allow("ReadProfessionalsStream", STREAM_READ_ACTIONS, [self.stream_arn()]),
            allow("ListProfessionalsStreams", ["dynamodb:ListStreams"],
                  [sub("${%s.Arn}/stream/*" % self.d.table.logical_id)]),
            allow("ReadWriteSearchIndex", SEARCH_INDEXER_ACTIONS, [search_table]),
            allow("ReadResumeText", ["s3:GetObject"], self.objects("text/")),
            # Lambda sends a batch that failed every retry to the on-failure queue as this role.
            allow("SendFailedBatchesToDeadLetterQueue", ["sqs:SendMessage"], [index_dlq]),
            list_bucket,
        ), self.s.indexer_memory_mb, self.s.indexer_timeout_s, self.env(), Events={
            self.f.stream_event: {"Properties": {
                # Chalice writes the ARN app.py saw at import time (a placeholder): replaced
                # whole, as it is a plain string.
                "Stream": self.stream_arn(),
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": self.s.indexer_max_retries,
                "MaximumRecordAgeInSeconds": self.s.indexer_max_record_age_s,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": index_dlq}},
            }}})

        self.function(self.f.authorizer, "KeyAuthorizerRole", policy(
            allow("ReadApiKeys", ["dynamodb:GetItem"], [table], **leading_keys("KEY#")),
        ), self.s.authorizer_memory_mb, self.s.authorizer_timeout_s, self.env(
            USAGE_KEY_PUBLIC=sub(usage_key_value("public")),
            USAGE_KEY_STAFF=sub(usage_key_value("staff")),
            USAGE_KEY_PARTNER_PREFIX=sub(usage_key_value("partner-")),
        ))
        self.add(f"{self.f.authorizer}InvokePermission", "AWS::Lambda::Permission", {
            "FunctionName": getatt(self.f.authorizer, "Arn"),
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                             "${AWS::AccountId}:${RestAPI}/authorizers/*"),
        })

    def mail_function(self, table: Any, indexes: list[Any]) -> None:
        """send_mail: reads who gets the mail, remembers sent events, sends from MailFrom."""
        email_index = [arn for arn in indexes if "/index/by_email" in arn["Fn::Sub"]]
        identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"
        self.function(self.f.mail_function, "MailSenderRole", policy(
            allow("ConsumeMailQueue", SQS_LAMBDA_ACTIONS,
                  [getatt(self.d.mail_queue.logical_id, "Arn")]),
            allow("ReadProfessionals", ["dynamodb:GetItem"], [table], **leading_keys("PRO#")),
            allow("FindByEmail", ["dynamodb:Query"], email_index),
            # Powertools' records of sent events (key prefix "mail#"), not the kept responses.
            allow("RememberSentMail", ["dynamodb:PutItem", "dynamodb:GetItem",
                                       "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                  [getatt(self.d.idempotency_table.logical_id, "Arn")], **leading_keys("mail#")),
            # SES authorises SendEmail on the sender's identity: the address, or its domain
            # when the domain is what was verified.
            allow("SendFromMailFrom", ["ses:SendEmail"], [
                sub(identity + "${MailFrom}"),
                {"Fn::Join": ["", [sub(identity), {"Fn::Select": [1, {"Fn::Split": [
                    "@", ref("MailFrom")]}]}]]}]),
        ), self.s.mail_memory_mb, self.s.mail_timeout_s, self.env(
            MAIL_FROM=ref("MailFrom"),
            # Links open the SPA. (Only this function may name the distribution: the API's
            # functions are what the distribution depends on.)
            APP_URL=sub("https://${SpaDistribution.DomainName}"),
        ), Events={self.f.mail_event: {"Properties": {
            "Queue": sub("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                         + self.d.mail_queue.name),
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": self.s.mail_max_concurrency},
        }}})

    # -- API ----------------------------------------------------------------------------------

    def api(self) -> None:
        security = [{"api_key": []}, {AUTHORIZER_NAME: []}]
        paths: dict[str, Any] = {}
        for path, methods in self.f.routes.items():
            entry: dict[str, Any] = {m.lower(): {"security": security} for m in methods}
            params = [{"name": name, "in": "path", "required": True, "type": "string"}
                      for name in re.findall(r"{([^}+]+)\+?}", path)]
            # Any other method reaches Chalice, which answers 405 with Allow (enveloped by the
            # app's middleware) instead of API Gateway's 403 "Missing Authentication Token".
            entry["x-amazon-apigateway-any-method"] = {
                "produces": ["application/json"],
                "responses": {"200": {"description": "200 response",
                                      "schema": {"$ref": "#/definitions/Empty"}}},
                "x-amazon-apigateway-integration": {
                    "responses": {"default": {"statusCode": "200"}},
                    "uri": sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                               "2015-03-31/functions/${APIHandler.Arn}/invocations"),
                    "passthroughBehavior": "when_no_match",
                    "httpMethod": "POST",
                    "contentHandling": "CONVERT_TO_TEXT",
                    "type": "aws_proxy",
                },
                "security": security,
                **({"parameters": params} if params else {}),
            }
            paths[path] = entry
        throttle = self.s.stage_throttle
        self.api_access_logs()
        self.resources["RestAPI"] = {"DependsOn": ["ApiGatewayAccount"], "Properties": {
            "Name": self.api_name,
            "AccessLogSetting": {"DestinationArn": getatt("ApiAccessLogGroup", "Arn"),
                                 "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":"))},
            "EndpointConfiguration": "REGIONAL",  # CloudFront is in front of it
            # Any value stops SAM from also deploying a stage named "Stage", which would be
            # reachable without the usage plans (they name the "api" stage only).
            "OpenApiVersion": "2.0",
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*",
                                "ThrottlingRateLimit": throttle.rate,
                                "ThrottlingBurstLimit": throttle.burst}],
            "DefinitionBody": {
                "info": {"title": self.api_name},
                "x-amazon-apigateway-api-key-source": "AUTHORIZER",
                "securityDefinitions": {
                    "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
                    AUTHORIZER_NAME: {
                        "type": "apiKey", "name": "Unused", "in": "header",
                        "x-amazon-apigateway-authtype": "custom",
                        "x-amazon-apigateway-authorizer": {
                            # No identity source and no caching: invoked on every request, with
                            # or without X-Api-Key, so anonymous sign-ups keep working.
                            "type": "request",
                            "authorizerUri": sub(
                                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                                "2015-03-31/functions/${%s.Arn}/invocations" % self.f.authorizer),
                            "authorizerResultTtlInSeconds": 0,
                        },
                    },
                },
                "x-amazon-apigateway-gateway-responses": gateway_responses(),
                "paths": paths,
            },
        }}
        plans = {"Partner": (self.s.partner_throttle, "each partner key on its own"),
                 "Staff": (self.s.staff_throttle, "staff keys, together"),
                 "Public": (self.s.public_throttle, "anonymous and access-token callers, "
                                                    "and unknown keys, together")}
        for name, (limits, who) in plans.items():
            props: dict[str, Any] = {
                "UsagePlanName": sub("${AWS::StackName}-" + name.lower()),
                "Description": f"{APP} {self.stage}: {who}",
                "ApiStages": [{"ApiId": ref("RestAPI"), "Stage": ref("RestAPI.Stage")}],
                "Throttle": {"RateLimit": limits.rate, "BurstLimit": limits.burst},
            }
            if name == "Partner":
                props["Quota"] = {"Limit": self.s.partner_daily_quota, "Period": "DAY"}
            self.add(f"{name}UsagePlan", "AWS::ApiGateway::UsagePlan", props)
        for name in ("Staff", "Public"):
            self.add(f"{name}UsageKey", "AWS::ApiGateway::ApiKey", {
                "Name": sub(usage_key_value(name.lower())),
                "Value": sub(usage_key_value(name.lower())),
                "Description": f"{APP} {self.stage}: the usage key the authorizer names for "
                               f"{plans[name][1]} (never sent by clients)",
                "Enabled": True})
            self.add(f"{name}UsagePlanKey", "AWS::ApiGateway::UsagePlanKey", {
                "KeyId": ref(f"{name}UsageKey"), "KeyType": "API_KEY",
                "UsagePlanId": ref(f"{name}UsagePlan")})

    def api_access_logs(self) -> None:
        """One JSON line per request, errors of the gateway's own included, with the request id
        and the caller's key id (named by the authorizer). API Gateway writes to CloudWatch Logs
        through the account's logging role, one per account and region: the stack sets it, and
        keeps the role when deleted, so another stage's stack that set it keeps logging."""
        self.add("ApiAccessLogGroup", "AWS::Logs::LogGroup",
                 {"RetentionInDays": self.s.log_retention_days})
        self.add("ApiGatewayLogsRole", "AWS::IAM::Role", {
            "Description": f"{APP} {self.stage}: API Gateway writes the access logs",
            "AssumeRolePolicyDocument": policy({
                "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole"}),
            "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                      "AmazonAPIGatewayPushToCloudWatchLogs")],
        }, DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
        self.add("ApiGatewayAccount", "AWS::ApiGateway::Account",
                 {"CloudWatchRoleArn": getatt("ApiGatewayLogsRole", "Arn")})

    # -- SPA and CloudFront -------------------------------------------------------------------

    def spa(self) -> None:
        self.add("SpaBucket", "AWS::S3::Bucket", {
            "PublicAccessBlockConfiguration": _public_access_block(),
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        })
        self.add("SpaBucketPolicy", "AWS::S3::BucketPolicy", {
            "Bucket": ref("SpaBucket"),
            "PolicyDocument": policy(
                {"Sid": "CloudFrontReadsTheSpa", "Effect": "Allow",
                 "Principal": {"Service": "cloudfront.amazonaws.com"},
                 "Action": "s3:GetObject", "Resource": sub("${SpaBucket.Arn}/*"),
                 "Condition": {"StringEquals": {"AWS:SourceArn": sub(
                     "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                     "${SpaDistribution}")}}},
                deny_insecure_transport("SpaBucket")),
        })
        self.add("SpaOriginAccessControl", "AWS::CloudFront::OriginAccessControl", {
            "OriginAccessControlConfig": {
                "Name": sub("${AWS::StackName}-spa"),
                "Description": f"{APP} {self.stage}: CloudFront reads the SPA bucket",
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always", "SigningProtocol": "sigv4"}})
        self.add("SpaRewriteFunction", "AWS::CloudFront::Function", {
            "Name": sub("${AWS::StackName}-spa-routes"),
            "AutoPublish": True,
            "FunctionConfig": {"Comment": "client-side routes serve index.html",
                               "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": SPA_REWRITE_JS})
        self.add("SpaDistribution", "AWS::CloudFront::Distribution", {"DistributionConfig": {
            "Enabled": True,
            "Comment": f"{APP} {self.stage}: the SPA at /, the API at /api",
            "DefaultRootObject": "index.html",
            "HttpVersion": "http2and3",
            "IPV6Enabled": True,
            "PriceClass": "PriceClass_100",
            "Origins": [
                {"Id": "spa", "DomainName": getatt("SpaBucket", "RegionalDomainName"),
                 "S3OriginConfig": {"OriginAccessIdentity": ""},
                 "OriginAccessControlId": getatt("SpaOriginAccessControl", "Id")},
                {"Id": "api",
                 "DomainName": sub("${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"),
                 "CustomOriginConfig": {"OriginProtocolPolicy": "https-only",
                                        "OriginSSLProtocols": ["TLSv1.2"]}},
            ],
            "DefaultCacheBehavior": {
                "TargetOriginId": "spa", "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"],
                "Compress": True, "CachePolicyId": CACHING_OPTIMIZED,
                "ResponseHeadersPolicyId": SECURITY_HEADERS,
                "FunctionAssociations": [{"EventType": "viewer-request",
                                          "FunctionARN": getatt("SpaRewriteFunction",
                                                                "FunctionARN")}]},
            "CacheBehaviors": [{
                # /api/... reaches the API Gateway stage "api" with the path unchanged.
                "PathPattern": f"/{API_STAGE}/*", "TargetOriginId": "api",
                "ViewerProtocolPolicy": "https-only",
                "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                "CachedMethods": ["GET", "HEAD"], "Compress": True,
                "CachePolicyId": CACHING_DISABLED,
                "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
                "FunctionAssociations": [{"EventType": "viewer-request",
                                          "FunctionARN": getatt("ViewerIpFunction",
                                                                "FunctionARN")}]}],
        }})

    # -- WAF ----------------------------------------------------------------------------------

    def waf(self) -> None:
        """Rate limits on the anonymous POSTs, per viewer and per connecting address. Local
        runs have none (nothing stands in for the WAF)."""
        self.add("ViewerIpFunction", "AWS::CloudFront::Function", {
            "Name": sub("${AWS::StackName}-viewer-ip"),
            "AutoPublish": True,
            "FunctionConfig": {"Comment": f"the viewer's address in {VIEWER_IP_HEADER}, for the WAF",
                               "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": VIEWER_IP_JS})
        paths = "|".join(p.lstrip("/") for p in ANONYMOUS_POSTS)
        anonymous = {"AndStatement": {"Statements": [
            {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint":
                                    "EXACTLY", "SearchString": "POST",
                                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
            {"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}},
                                     "RegexString": f"^/{API_STAGE}/({paths})/?$",
                                     "TextTransformations": [{"Priority": 0,
                                                              "Type": "URL_DECODE"}]}}]}}

        def rule(name: str, priority: int, limit: int, **key: Any) -> dict[str, Any]:
            return {"Name": name, "Priority": priority, "Action": {"Block": {}},
                    "VisibilityConfig": _visibility(name),
                    "Statement": {"RateBasedStatement": {
                        "Limit": limit, "EvaluationWindowSec": 300,
                        "ScopeDownStatement": anonymous, **key}}}

        self.add("ApiWebAcl", "AWS::WAFv2::WebACL", {
            "Name": sub("${AWS::StackName}-api"),
            "Description": f"{APP} {self.stage}: rate limits on the anonymous routes",
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": _visibility("api"),
            "Rules": [
                rule("anonymous-posts-per-viewer", 0, self.s.waf_viewer_limit,
                     AggregateKeyType="FORWARDED_IP",
                     ForwardedIPConfig={"HeaderName": VIEWER_IP_HEADER,
                                        "FallbackBehavior": "NO_MATCH"}),
                rule("anonymous-posts-per-address", 1, self.s.waf_source_limit,
                     AggregateKeyType="IP"),
            ]})
        self.add("ApiWebAclAssociation", "AWS::WAFv2::WebACLAssociation", {
            "WebACLArn": getatt("ApiWebAcl", "Arn"),
            "ResourceArn": {"Fn::Join": ["", [
                "arn:", ref("AWS::Partition"), ":apigateway:", ref("AWS::Region"),
                "::/restapis/", ref("RestAPI"), "/stages/", ref("RestAPI.Stage")]]}})

    # -- alarms -------------------------------------------------------------------------------

    def alarm(self, logical_id: str, description: str, threshold: float, **metric: Any) -> None:
        props = {
            "AlarmDescription": f"{APP} {self.stage}: {description} "
                                "(docs/operations.md, 'Alarms')",
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": threshold,
            "EvaluationPeriods": metric.pop("periods", 1),
            "DatapointsToAlarm": metric.pop("datapoints", 1),
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("AlarmTopic")],
            "OKActions": [ref("AlarmTopic")],
            **metric,
        }
        self.add(logical_id, "AWS::CloudWatch::Alarm", props)

    def alarms(self) -> None:
        self.add("AlarmTopic", "AWS::SNS::Topic", {"DisplayName": f"{APP} {self.stage} alarms"})
        self.add("AlarmEmailSubscription", "AWS::SNS::Subscription", {
            "TopicArn": ref("AlarmTopic"), "Protocol": "email", "Endpoint": ref("AlarmEmail")},
            Condition="HasAlarmEmail")
        dlq, queue = self.d.dead_letter_queue, self.d.upload_queue
        self.alarm("DeadLetterQueueAlarm",
                   "resume uploads failed every retry and wait in the dead-letter queue", 0,
                   Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                   Dimensions=[{"Name": "QueueName", "Value": getatt(dlq.logical_id,
                                                                     "QueueName")}],
                   Statistic="Maximum", Period=300)
        self.alarm("UploadQueueStalledAlarm",
                   "resume uploads wait in the upload queue for too long",
                   self.s.alarm_upload_age_s,
                   Namespace="AWS/SQS", MetricName="ApproximateAgeOfOldestMessage",
                   Dimensions=[{"Name": "QueueName", "Value": getatt(queue.logical_id,
                                                                     "QueueName")}],
                   Statistic="Maximum", Period=300, periods=2, datapoints=2)
        api_dims = [{"Name": "ApiName", "Value": self.api_name},
                    {"Name": "Stage", "Value": API_STAGE}]
        self.alarm("Api5xxRateAlarm",
                   f"over {self.s.alarm_5xx_rate:.0%} of API requests answered 5xx",
                   self.s.alarm_5xx_rate, periods=2, datapoints=2, Metrics=[
                       {"Id": "rate", "ReturnData": True, "Label": "5xx share",
                        "Expression": f"IF(requests >= {self.s.alarm_5xx_min_requests}, "
                                      "errors / requests, 0)"},
                       _metric("errors", "AWS/ApiGateway", "5XXError", api_dims, "Sum"),
                       _metric("requests", "AWS/ApiGateway", "Count", api_dims, "Sum")])
        fn_metrics = [_metric(f"f{i}", "AWS/Lambda", "Throttles",
                              [{"Name": "FunctionName", "Value": ref(name)}], "Sum")
                      for i, name in enumerate(("APIHandler", self.f.sqs_function,
                                                self.f.stream_function, self.f.authorizer,
                                                self.f.mail_function, "PurgeUnconfirmed"))]
        self.alarm("LambdaThrottlesAlarm",
                   "Lambda throttled invocations (account concurrency exhausted)", 0, Metrics=[
                       {"Id": "throttles", "ReturnData": True, "Label": "throttles",
                        "Expression": "SUM(METRICS())"}, *fn_metrics])
        table_dims = [{"Name": "TableName", "Value": ref(self.d.table.logical_id)}]
        self.alarm("TableThrottlesAlarm", "DynamoDB throttled reads or writes", 0, Metrics=[
            {"Id": "throttles", "ReturnData": True, "Label": "throttle events",
             "Expression": "reads + writes"},
            _metric("reads", "AWS/DynamoDB", "ReadThrottleEvents", table_dims, "Sum"),
            _metric("writes", "AWS/DynamoDB", "WriteThrottleEvents", table_dims, "Sum")])
        self.alarm("ResumeWorkerErrorsAlarm",
                   "resume worker invocations failed as a whole (timeout, crash)", 0,
                   Namespace="AWS/Lambda", MetricName="Errors",
                   Dimensions=[{"Name": "FunctionName", "Value": ref(self.f.sqs_function)}],
                   Statistic="Sum", Period=300)
        # IteratorAge is in milliseconds: the age of a batch's last record when Lambda read it.
        self.alarm("SearchIndexerIteratorAgeAlarm",
                   "the search indexer falls behind the professionals table's changes",
                   self.s.alarm_iterator_age_s * 1000,
                   Namespace="AWS/Lambda", MetricName="IteratorAge",
                   Dimensions=[{"Name": "FunctionName", "Value": ref(self.f.stream_function)}],
                   Statistic="Maximum", Period=300)
        self.alarm("MailDeadLetterQueueAlarm",
                   "mail that failed every delivery (SES down or refusing) waits in its "
                   "dead-letter queue", 0,
                   Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                   Dimensions=[{"Name": "QueueName", "Value": getatt(
                       self.d.mail_dead_letter_queue.logical_id, "QueueName")}],
                   Statistic="Maximum", Period=300)
        self.alarm("SearchIndexDeadLetterQueueAlarm",
                   "changes the search indexer gave up on wait in its dead-letter queue", 0,
                   Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
                   Dimensions=[{"Name": "QueueName", "Value": getatt(
                       self.d.index_dead_letter_queue.logical_id, "QueueName")}],
                   Statistic="Maximum", Period=300)

    def outputs_(self) -> None:
        out = {
            "SiteUrl": (sub("https://${SpaDistribution.DomainName}"), "the SPA"),
            "SiteApiUrl": (sub("https://${SpaDistribution.DomainName}/%s" % API_STAGE),
                           "the API root through CloudFront (same origin as the SPA)"),
            "ApiUrl": (sub("https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
                           + API_STAGE), "the API root on API Gateway"),
            "SpaBucketName": (ref("SpaBucket"), None),
            "DistributionId": (ref("SpaDistribution"), None),
            "TableName": (ref(self.d.table.logical_id), None),
            "ResumeBucketName": (ref(self.d.bucket.logical_id), None),
            "UploadQueueUrl": (ref(self.d.upload_queue.logical_id), None),
            "DeadLetterQueueUrl": (ref(self.d.dead_letter_queue.logical_id), None),
            "DeadLetterQueueArn": (getatt(self.d.dead_letter_queue.logical_id, "Arn"), None),
            "PartnerUsagePlanId": (ref("PartnerUsagePlan"), None),
            "PartnerUsageKeyPrefix": (sub(usage_key_value("partner-")),
                                      "value prefix of partner keys' API Gateway keys"),
            "SearchTableName": (ref(self.d.search_table.logical_id), None),
            "SearchIndexDeadLetterQueueUrl": (
                ref(self.d.index_dead_letter_queue.logical_id),
                "batches the search indexer gave up on (python -m infra search replay-dlq)"),
            "MailQueueUrl": (ref(self.d.mail_queue.logical_id), None),
            "MailDeadLetterQueueUrl": (ref(self.d.mail_dead_letter_queue.logical_id),
                                       "mail that failed every delivery (docs/operations.md, "
                                       "'Mail')"),
            "MailDeadLetterQueueArn": (getatt(self.d.mail_dead_letter_queue.logical_id, "Arn"),
                                       None),
            "ApiWebAclArn": (getatt("ApiWebAcl", "Arn"), None),
            "SigningSecretArn": (ref("SigningSecret"), None),
            "AlarmTopicArn": (ref("AlarmTopic"), None),
        }
        for name, (value, description) in out.items():
            self.outputs[name] = {"Value": value, **({"Description": description}
                                                      if description else {})}


def _metric(metric_id: str, namespace: str, name: str, dimensions: list[dict[str, Any]],
            stat: str) -> dict[str, Any]:
    return {"Id": metric_id, "ReturnData": False, "MetricStat": {
        "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
        "Period": 300, "Stat": stat}}


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
            "MetricName": f"{APP}-{name}"}


def _public_access_block() -> dict[str, bool]:
    return {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True}


# API Gateway's own errors, in the contract's envelope: response type -> (status, code, message).
# status None keeps API Gateway's; message None passes API Gateway's own message.
# API Gateway's access log line (JSON). key_id comes from the authorizer's context; usage_key_id
# is the API Gateway key the request was metered under.
ACCESS_LOG_FORMAT = {
    "request_id": "$context.requestId", "time": "$context.requestTime",
    "method": "$context.httpMethod", "path": "$context.path",
    "resource_path": "$context.resourcePath", "status": "$context.status",
    "bytes": "$context.responseLength", "ms": "$context.responseLatency",
    "integration_ms": "$context.integration.latency", "key_id": "$context.authorizer.key_id",
    "usage_key_id": "$context.identity.apiKeyId", "ip": "$context.identity.sourceIp",
    "error": "$context.error.responseType",
}

GATEWAY_ERRORS: dict[str, tuple[int | None, str, str | None]] = {
    "DEFAULT_4XX": (None, "bad_request", None),
    "DEFAULT_5XX": (None, "internal_error", None),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No route matches this path."),
    "RESOURCE_NOT_FOUND": (404, "not_found", "No route matches this path."),
    "THROTTLED": (429, "rate_limited", "Too many requests: slow down and retry later."),
    "QUOTA_EXCEEDED": (429, "rate_limited", "This API key has used up its daily quota."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request body is over 10 MB."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", None),
    "BAD_REQUEST_BODY": (400, "bad_request", None),
    "BAD_REQUEST_PARAMETERS": (400, "bad_request", None),
    "UNAUTHORIZED": (401, "unauthorized", None),
    "ACCESS_DENIED": (403, "forbidden", None),
    "EXPIRED_TOKEN": (403, "forbidden", None),
    "INVALID_SIGNATURE": (403, "forbidden", None),
    # The WAF's only rules are rate limits on the anonymous routes.
    "WAF_FILTERED": (429, "rate_limited", "Too many requests from this address: slow down and "
                                          "retry later."),
    # The authorizer named a partner key's usage key that is not registered (keys sync).
    "INVALID_API_KEY": (403, "forbidden", "This API key is not enabled on the API yet; ask the "
                                          "operators to register it."),
    "AUTHORIZER_FAILURE": (503, "unavailable", "Could not check the credentials; retry."),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "internal_error", None),
    "API_CONFIGURATION_ERROR": (500, "internal_error", None),
    "INTEGRATION_FAILURE": (500, "internal_error", None),
    "INTEGRATION_TIMEOUT": (503, "unavailable", "The request took too long; retry it."),
}


def gateway_responses() -> dict[str, Any]:
    out = {}
    for response_type, (status, code, message) in GATEWAY_ERRORS.items():
        text = json.dumps(message) if message else "$context.error.messageString"
        details = ('{"request_id":"$context.requestId"}'
                   if code in ("internal_error", "unavailable") else "{}")
        body = '{"error":{"code":"%s","message":%s,"details":%s}}' % (code, text, details)
        entry: dict[str, Any] = {"responseTemplates": {"application/json": body},
                                 # as the app's own responses: the id that finds the log lines
                                 "responseParameters": {
                                     "gatewayresponse.header.X-Request-Id": "context.requestId"}}
        if status is not None:
            entry["statusCode"] = status
        out[response_type] = entry
    return out


def write(stage: str, path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build(stage, **kwargs), indent=2, sort_keys=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.template", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.output:
        print(write(args.stage, Path(args.output)))
    else:
        print(json.dumps(build(args.stage), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
