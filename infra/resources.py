"""The AWS resources of one stage, defined once, as plain data.

``define(stage)`` describes them: the table (key schema and GSIs read from the PynamoDB models in
``chalicelib/models.py``), the private resume bucket (CORS for the browser's origin, an
``ObjectCreated`` notification of the upload queue for the ``uploads/`` prefix), the upload queue
and its dead-letter queue (redrive policy), the queue policy that lets S3 send to the queue, and
the mail queue and its dead-letter queue, the embed queue (resume vectors) and its dead-letter
queue.
``create(resources)`` makes them, idempotently, through boto3 against whatever endpoints boto3 is
given (``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_DYNAMODB`` / ``_S3`` / ``_SQS``, or AWS itself),
and returns the environment the app reads (``TABLE_NAME``, ``RESUME_BUCKET``,
``UPLOAD_QUEUE_NAME``, ``UPLOAD_QUEUE_URL``, ``UPLOAD_DLQ_URL``, ``MAIL_QUEUE_NAME``,
``MAIL_QUEUE_URL``, ``MAIL_DLQ_URL``...).

Every spec carries a CloudFormation logical id and its properties use the AWS API's field names,
which are CloudFormation's too (``KeySchema``, ``GlobalSecondaryIndexes``, ``RedrivePolicy``...),
so the deployment template can be generated from the same objects; the few places where
CloudFormation spells a field differently are converted by the ``*_cfn`` helpers below.

Command line: ``python -m infra.resources [--stage local] [--create]`` prints the definition
(JSON), or creates it and prints the environment.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "professionals"
UPLOAD_PREFIX = "uploads/"
IMPORT_PREFIX = "imports/"  # import jobs' files (chalicelib/imports): their own queue
IMPORT_ERRORS_PREFIX = "import-errors/"  # their errors files, kept as long as the job record
MAX_RECEIVE_COUNT = 5  # deliveries before a message goes to the dead-letter queue
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: time to look at what failed
# A message is invisible this long after a receive: longer than its handler may take, or it is
# delivered twice. AWS recommends >= 6x the consumer Lambda's timeout (the deployment template
# raises it to that). Locally it only has to cover one batch (5 records of up to ~25 s each), so
# failed records come back, and reach the dead-letter queue, sooner.
VISIBILITY_TIMEOUT = {"local": 180, "test": 180}
DEFAULT_VISIBILITY_TIMEOUT = 360
# The mail queue: a send takes well under a second, so a message that failed (SES throttled or
# down) is tried again this soon; deployed, the template raises it to 6x the sender's timeout.
MAIL_VISIBILITY_TIMEOUT = 30
# Deliveries of a mail before its DLQ: deployed (visibility 6 x 30 s) about an hour of SES
# outage; locally 10 minutes.
MAIL_MAX_RECEIVE_COUNT = 20
# The imports queue: an invocation holds a job for up to its time budget (locally 840 s, as
# chalicelib/imports/worker.py's LOCAL_BUDGET_SECONDS), so a message must stay invisible longer;
# deployed, the template raises it to 6x the import function's timeout.
IMPORT_VISIBILITY_TIMEOUT = 1000
# The embed queue (chalicelib/resume_vectors.py): a batch of 5 resumes of up to 128 passages
# each, ~30 s a full resume on one core, must end before its messages reappear; deployed, the
# template raises it to 6x the embedder's timeout.
EMBED_VISIBILITY_TIMEOUT = 180


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]]
    billing_mode: str = "PAY_PER_REQUEST"
    stream_view_type: str | None = None  # e.g. NEW_AND_OLD_IMAGES: the table has a stream
    ttl_attribute: str | None = None

    def api_kwargs(self) -> dict[str, Any]:
        """Arguments of DynamoDB CreateTable (also the CloudFormation properties)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": self.key_schema,
            "AttributeDefinitions": self.attribute_definitions,
            "BillingMode": self.billing_mode,
        }
        if self.global_secondary_indexes:
            kwargs["GlobalSecondaryIndexes"] = self.global_secondary_indexes
        if self.stream_view_type:
            kwargs["StreamSpecification"] = {"StreamEnabled": True,
                                             "StreamViewType": self.stream_view_type}
        return kwargs


@dataclass(frozen=True)
class CorsRule:
    allowed_origins: list[str]
    allowed_methods: list[str]
    allowed_headers: list[str] = field(default_factory=lambda: ["*"])
    expose_headers: list[str] = field(default_factory=lambda: ["ETag", "Location"])
    max_age_seconds: int = 3000

    def api(self) -> dict[str, Any]:
        return {"AllowedOrigins": self.allowed_origins, "AllowedMethods": self.allowed_methods,
                "AllowedHeaders": self.allowed_headers, "ExposeHeaders": self.expose_headers,
                "MaxAgeSeconds": self.max_age_seconds}

    def cfn(self) -> dict[str, Any]:  # CloudFormation spells two of the fields differently
        return {"AllowedOrigins": self.allowed_origins, "AllowedMethods": self.allowed_methods,
                "AllowedHeaders": self.allowed_headers, "ExposedHeaders": self.expose_headers,
                "MaxAge": self.max_age_seconds}


@dataclass(frozen=True)
class QueueNotification:
    """S3 notifies ``queue`` (a logical id) of ``events`` on keys under ``prefix``."""

    id: str
    queue: str
    events: list[str]
    prefix: str


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    cors_rules: list[CorsRule]
    notifications: list[QueueNotification]
    block_public_access: bool = True
    encryption: str = "AES256"


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    visibility_timeout: int
    message_retention_period: int = 4 * 24 * 3600
    dead_letter_queue: str | None = None  # logical id of the queue failed messages move to
    max_receive_count: int | None = None
    allow_s3_from: str | None = None  # logical id of a bucket allowed to send messages

    def attributes(self, dead_letter_arn: str | None = None) -> dict[str, str]:
        """SQS attributes (strings, as SetQueueAttributes wants them), without the policy."""
        attrs = {"VisibilityTimeout": str(self.visibility_timeout),
                 "MessageRetentionPeriod": str(self.message_retention_period)}
        if self.dead_letter_queue:
            if dead_letter_arn is None:
                raise ValueError(f"{self.logical_id} needs its dead-letter queue's ARN")
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_letter_arn,
                                                 "maxReceiveCount": self.max_receive_count})
        return attrs


@dataclass(frozen=True)
class StageResources:
    stage: str
    region: str
    table: TableSpec
    bucket: BucketSpec
    upload_queue: QueueSpec
    dead_letter_queue: QueueSpec
    search_table: TableSpec
    index_dead_letter_queue: QueueSpec  # the search indexer's on-failure destination
    mail_queue: QueueSpec  # mail events (chalicelib/mail.py) for the send_mail worker
    mail_dead_letter_queue: QueueSpec
    idempotency_table: TableSpec  # kept responses of POSTs with an Idempotency-Key
    imports_table: TableSpec  # import jobs (chalicelib/imports/jobs.py)
    import_queue: QueueSpec  # imports/ notifications and the import worker's continuations
    import_dead_letter_queue: QueueSpec
    stats_table: TableSpec  # daily counters (chalicelib/stats): GET /stats
    stats_dead_letter_queue: QueueSpec  # the counters' stream consumer's on-failure destination
    embed_queue: QueueSpec  # professionals whose resume vectors to sync (chalicelib/resume_vectors)
    embed_dead_letter_queue: QueueSpec
    history_table: TableSpec  # history entries (chalicelib/history), written by that consumer too

    def queues(self) -> list[QueueSpec]:
        """Dead-letter queue first: the upload queue's redrive policy names it."""
        return [self.dead_letter_queue, self.upload_queue, self.index_dead_letter_queue,
                self.mail_dead_letter_queue, self.mail_queue, self.import_dead_letter_queue,
                self.import_queue, self.stats_dead_letter_queue, self.embed_dead_letter_queue,
                self.embed_queue]

    def tables(self) -> list[TableSpec]:
        return [self.table, self.search_table, self.idempotency_table, self.imports_table,
                self.stats_table, self.history_table]

    def by_logical_id(self, logical_id: str) -> Any:
        for spec in (*self.tables(), self.bucket, *self.queues()):
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def table_spec(name: str) -> TableSpec:
    """The table as the PynamoDB models declare it (hash key, attributes, GSIs)."""
    from chalicelib.models import TableItem
    # The base model's schema includes the GSIs of every item type registered on it, so every
    # model must live in chalicelib/models.py (imported here).
    schema = TableItem._get_schema()
    indexes = [{"IndexName": gsi["index_name"],
                # HASH before RANGE, as CloudFormation and DynamoDB list them
                "KeySchema": sorted(gsi["key_schema"], key=lambda k: k["KeyType"] != "HASH"),
                "Projection": gsi["projection"]}
               for gsi in sorted(schema["global_secondary_indexes"], key=lambda g: g["index_name"])]
    return TableSpec(
        logical_id="ProfessionalsTable",
        name=name,
        key_schema=sorted(schema["key_schema"], key=lambda k: k["KeyType"] != "HASH"),
        attribute_definitions=sorted(schema["attribute_definitions"],
                                     key=lambda a: a["AttributeName"]),
        global_secondary_indexes=indexes,
        # The search indexer reads every change from the stream, with both images.
        stream_view_type="NEW_AND_OLD_IMAGES",
        # Used-link markers (LINK#) expire with their email token.
        ttl_attribute="expires_at",
    )


def search_table_spec(name: str) -> TableSpec:
    """The search index's own table (chalicelib/search/index.py): postings and documents."""
    return _pk_sk_table("SearchTable", name)


def _pk_sk_table(logical_id: str, name: str) -> TableSpec:
    """A table keyed by ``pk`` + ``sk`` (strings), no indexes, TTL ``expires_at``."""
    return TableSpec(
        logical_id=logical_id,
        name=name,
        key_schema=[{"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"}],
        attribute_definitions=[{"AttributeName": "pk", "AttributeType": "S"},
                               {"AttributeName": "sk", "AttributeType": "S"}],
        global_secondary_indexes=[],
        ttl_attribute="expires_at",
    )


def idempotency_table_spec(name: str) -> TableSpec:
    """Powertools' idempotency records (chalicelib/idempotency.py): key ``id``, TTL
    ``expiration`` (epoch seconds: DynamoDB deletes a record within a few days after it; Powertools
    also treats an expired record as absent)."""
    return TableSpec(
        logical_id="IdempotencyTable",
        name=name,
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        attribute_definitions=[{"AttributeName": "id", "AttributeType": "S"}],
        global_secondary_indexes=[],
        ttl_attribute="expiration",
    )


def imports_table_spec(name: str) -> TableSpec:
    """Import jobs (chalicelib/imports/jobs.py): key ``id``; ``by_owner`` lists a caller's jobs
    newest first (``owner``, ``list_key`` = created_at#id); TTL ``expires_at`` (30 days)."""
    return TableSpec(
        logical_id="ImportsTable",
        name=name,
        key_schema=[{"AttributeName": "id", "KeyType": "HASH"}],
        attribute_definitions=[{"AttributeName": "id", "AttributeType": "S"},
                               {"AttributeName": "list_key", "AttributeType": "S"},
                               {"AttributeName": "owner", "AttributeType": "S"}],
        global_secondary_indexes=[{
            "IndexName": "by_owner",
            "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"},
                          {"AttributeName": "list_key", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}],
        ttl_attribute="expires_at",
    )


def stats_table_spec(name: str) -> TableSpec:
    """Daily counters (chalicelib/stats/counters.py): ``pk`` "DAY" + ``sk`` the UTC date, so a
    range of days is one Query; ``ONCE#`` markers of what was counted, expiring (TTL
    ``expires_at``)."""
    return _pk_sk_table("StatsTable", name)


def history_table_spec(name: str) -> TableSpec:
    """History entries (chalicelib/history): ``pk`` the professional's id + ``sk``
    ``E#<at>#<sequence>`` (and a delete's marker under ``DEL#<id>``), so one person's history is one
    Query; each entry expires 2 years after its change (TTL ``expires_at``)."""
    return _pk_sk_table("HistoryTable", name)


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's environment variables in ``.chalice/config.json`` (global, then stage)."""
    try:
        config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    except OSError:
        return {}
    env = dict(config.get("environment_variables", {}))
    env.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return env


def define(stage: str, *, suffix: str | None = None, origins: Sequence[str] = (),
           table_name: str | None = None, bucket_name: str | None = None,
           region: str | None = None) -> StageResources:
    """The resources of ``stage``.

    Names come from the stage's variables in ``.chalice/config.json`` (``TABLE_NAME``,
    ``RESUME_BUCKET``, ``UPLOAD_QUEUE_NAME``; the dead-letter queue is the queue's name + ``-dlq``),
    which the deployed functions read too. ``suffix`` is appended to the bucket and queue names to
    make them unique (bucket names are global in AWS, and two LocalStacks on one machine share
    their S3 storage). ``origins`` are the browser origins that may POST uploads to the bucket.
    """
    configured = stage_environment(stage)
    tail = f"-{suffix}" if suffix else ""
    table_name = table_name or configured.get("TABLE_NAME") or f"{APP_NAME}-{stage}"
    bucket_name = bucket_name or (configured.get("RESUME_BUCKET")
                                  or f"{APP_NAME}-resumes-{stage}") + tail
    queue_name = (configured.get("UPLOAD_QUEUE_NAME") or f"{APP_NAME}-uploads-{stage}") + tail
    search_table_name = configured.get("SEARCH_TABLE_NAME") or f"{table_name}-search"
    idempotency_table_name = (configured.get("IDEMPOTENCY_TABLE_NAME")
                              or f"{table_name}-idempotency")
    imports_table_name = configured.get("IMPORTS_TABLE_NAME") or f"{table_name}-imports"
    stats_table_name = configured.get("STATS_TABLE_NAME") or f"{table_name}-stats"
    history_table_name = configured.get("HISTORY_TABLE_NAME") or f"{table_name}-history"
    import_queue_name = (configured.get("IMPORT_QUEUE_NAME")
                         or f"{APP_NAME}-imports-{stage}") + tail
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") \
        or "us-east-1"
    upload_queue = QueueSpec(
        logical_id="UploadQueue",
        name=queue_name,
        visibility_timeout=VISIBILITY_TIMEOUT.get(stage, DEFAULT_VISIBILITY_TIMEOUT),
        message_retention_period=DLQ_RETENTION_SECONDS,  # a stopped worker loses nothing for 14 days
        dead_letter_queue="UploadDeadLetterQueue",
        max_receive_count=MAX_RECEIVE_COUNT,
        allow_s3_from="ResumeBucket",
    )
    dead_letter_queue = QueueSpec(
        logical_id="UploadDeadLetterQueue",
        name=f"{queue_name}-dlq",
        visibility_timeout=VISIBILITY_TIMEOUT.get(stage, DEFAULT_VISIBILITY_TIMEOUT),
        message_retention_period=DLQ_RETENTION_SECONDS,
    )
    cors = [CorsRule(allowed_origins=list(origins), allowed_methods=["POST", "GET", "HEAD"])] \
        if origins else []
    bucket = BucketSpec(
        logical_id="ResumeBucket",
        name=bucket_name,
        cors_rules=cors,
        notifications=[QueueNotification(id="resume-uploads", queue=upload_queue.logical_id,
                                          events=["s3:ObjectCreated:*"], prefix=UPLOAD_PREFIX),
                       QueueNotification(id="import-files", queue="ImportQueue",
                                          events=["s3:ObjectCreated:*"], prefix=IMPORT_PREFIX)],
    )
    import_queue = QueueSpec(
        logical_id="ImportQueue",
        name=import_queue_name,
        visibility_timeout=IMPORT_VISIBILITY_TIMEOUT,
        message_retention_period=DLQ_RETENTION_SECONDS,
        dead_letter_queue="ImportDeadLetterQueue",
        max_receive_count=MAX_RECEIVE_COUNT,
        allow_s3_from="ResumeBucket",
    )
    import_dead_letter_queue = QueueSpec(
        logical_id="ImportDeadLetterQueue",
        name=f"{import_queue_name}-dlq",
        visibility_timeout=IMPORT_VISIBILITY_TIMEOUT,
        message_retention_period=DLQ_RETENTION_SECONDS,
    )
    index_dead_letter_queue = QueueSpec(
        logical_id="SearchIndexDeadLetterQueue",
        name=f"{search_table_name}-dlq" + tail,
        visibility_timeout=VISIBILITY_TIMEOUT.get(stage, DEFAULT_VISIBILITY_TIMEOUT),
        message_retention_period=DLQ_RETENTION_SECONDS,
    )
    mail_queue_name = (configured.get("MAIL_QUEUE_NAME") or f"{APP_NAME}-mail-{stage}") + tail
    embed_queue_name = (configured.get("EMBED_QUEUE_NAME") or f"{APP_NAME}-embed-{stage}") + tail
    embed_queue = QueueSpec(
        logical_id="EmbedQueue",
        name=embed_queue_name,
        visibility_timeout=EMBED_VISIBILITY_TIMEOUT,
        message_retention_period=DLQ_RETENTION_SECONDS,
        dead_letter_queue="EmbedDeadLetterQueue",
        max_receive_count=MAX_RECEIVE_COUNT,
    )
    embed_dead_letter_queue = QueueSpec(
        logical_id="EmbedDeadLetterQueue",
        name=f"{embed_queue_name}-dlq",
        visibility_timeout=EMBED_VISIBILITY_TIMEOUT,
        message_retention_period=DLQ_RETENTION_SECONDS,
    )
    mail_queue = QueueSpec(
        logical_id="MailQueue",
        name=mail_queue_name,
        visibility_timeout=MAIL_VISIBILITY_TIMEOUT,
        message_retention_period=DLQ_RETENTION_SECONDS,
        dead_letter_queue="MailDeadLetterQueue",
        max_receive_count=MAIL_MAX_RECEIVE_COUNT,
    )
    mail_dead_letter_queue = QueueSpec(
        logical_id="MailDeadLetterQueue",
        name=f"{mail_queue_name}-dlq",
        visibility_timeout=MAIL_VISIBILITY_TIMEOUT,
        message_retention_period=DLQ_RETENTION_SECONDS,
    )
    return StageResources(stage=stage, region=region, table=table_spec(table_name), bucket=bucket,
                          upload_queue=upload_queue, dead_letter_queue=dead_letter_queue,
                          search_table=search_table_spec(search_table_name),
                          mail_queue=mail_queue, mail_dead_letter_queue=mail_dead_letter_queue,
                          index_dead_letter_queue=index_dead_letter_queue,
                          idempotency_table=idempotency_table_spec(idempotency_table_name),
                          imports_table=imports_table_spec(imports_table_name),
                          import_queue=import_queue,
                          import_dead_letter_queue=import_dead_letter_queue,
                          stats_table=stats_table_spec(stats_table_name),
                          history_table=history_table_spec(history_table_name),
                          embed_queue=embed_queue, embed_dead_letter_queue=embed_dead_letter_queue,
                          stats_dead_letter_queue=QueueSpec(
                              logical_id="StatsDeadLetterQueue",
                              name=f"{stats_table_name}-dlq" + tail,
                              visibility_timeout=VISIBILITY_TIMEOUT.get(
                                  stage, DEFAULT_VISIBILITY_TIMEOUT),
                              message_retention_period=DLQ_RETENTION_SECONDS))


def queue_policy(queue_arn: str, bucket_arn: str) -> dict[str, Any]:
    """Lets S3 send the bucket's notifications to the queue, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowResumeBucketNotifications",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnLike": {"aws:SourceArn": bucket_arn}},
        }],
    }


# --- creating them -------------------------------------------------------------------------

class ResourceError(RuntimeError):
    """A resource could not be created or does not match its definition."""


def _clients(region: str, session: Any = None) -> tuple[Any, Any, Any]:
    import boto3
    from botocore.config import Config
    session = session or boto3.session.Session()
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5,
                    read_timeout=30)
    return (session.client("dynamodb", region_name=region, config=config),
            session.client("s3", region_name=region, config=config),
            session.client("sqs", region_name=region, config=config))


def create(resources: StageResources, *, session: Any = None,
           log: Any = None) -> dict[str, str]:
    """Create (or bring up to date) every resource; safe to run again. Returns the app's env."""
    from concurrent.futures import ThreadPoolExecutor
    say = log or (lambda message: None)
    ddb, s3, sqs = _clients(resources.region, session)
    queue_urls, queue_arns = {}, {}
    bucket_arn = f"arn:aws:s3:::{resources.bucket.name}"
    # DynamoDB is one service, S3 and SQS (often one emulator) another: create them side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        tables = [pool.submit(_create_table, ddb, spec, say) for spec in resources.tables()]
        for spec in resources.queues():
            url, arn = _create_queue(sqs, spec, queue_arns, bucket_arn, say)
            queue_urls[spec.logical_id], queue_arns[spec.logical_id] = url, arn
        _create_bucket(s3, resources.bucket, resources.region, queue_arns, say)
        for table in tables:
            table.result()
    return {
        "TABLE_NAME": resources.table.name,
        "SEARCH_TABLE_NAME": resources.search_table.name,
        "IDEMPOTENCY_TABLE_NAME": resources.idempotency_table.name,
        "PROFESSIONALS_STREAM_ARN": ddb.describe_table(
            TableName=resources.table.name)["Table"].get("LatestStreamArn", ""),
        "SEARCH_DLQ_URL": queue_urls[resources.index_dead_letter_queue.logical_id],
        "RESUME_BUCKET": resources.bucket.name,
        "UPLOAD_QUEUE_NAME": resources.upload_queue.name,
        "UPLOAD_QUEUE_URL": queue_urls[resources.upload_queue.logical_id],
        "UPLOAD_DLQ_URL": queue_urls[resources.dead_letter_queue.logical_id],
        "MAIL_QUEUE_NAME": resources.mail_queue.name,
        "MAIL_QUEUE_URL": queue_urls[resources.mail_queue.logical_id],
        "MAIL_DLQ_URL": queue_urls[resources.mail_dead_letter_queue.logical_id],
        "IMPORTS_TABLE_NAME": resources.imports_table.name,
        "IMPORT_QUEUE_NAME": resources.import_queue.name,
        "IMPORT_QUEUE_URL": queue_urls[resources.import_queue.logical_id],
        "IMPORT_DLQ_URL": queue_urls[resources.import_dead_letter_queue.logical_id],
        "STATS_TABLE_NAME": resources.stats_table.name,
        "STATS_DLQ_URL": queue_urls[resources.stats_dead_letter_queue.logical_id],
        "HISTORY_TABLE_NAME": resources.history_table.name,
        "EMBED_QUEUE_NAME": resources.embed_queue.name,
        "EMBED_QUEUE_URL": queue_urls[resources.embed_queue.logical_id],
        "EMBED_DLQ_URL": queue_urls[resources.embed_dead_letter_queue.logical_id],
    }


def create_app_tables(say: Any = None) -> None:
    """The app's six tables as configured (TABLE_NAME and the names derived from it), through
    the app's own DynamoDB client: what tests, benchmarks and ``python -m infra create-table``
    need. A stage gets them, with its queues and bucket, from ``create`` or the template."""
    from chalicelib import clients
    from chalicelib.imports.jobs import table_name as imports_table_name
    from chalicelib.settings import get_settings
    from chalicelib.history.actors import table_name as history_table_name
    from chalicelib.stats.counters import table_name as stats_table_name
    settings = get_settings()
    for spec in (table_spec(settings.table_name), search_table_spec(settings.search_table_name),
                 idempotency_table_spec(settings.idempotency_table_name),
                 imports_table_spec(imports_table_name()), stats_table_spec(stats_table_name()),
                 history_table_spec(history_table_name())):
        _create_table(clients.dynamodb(), spec, say or (lambda message: None))


def _create_table(ddb: Any, spec: TableSpec, say: Any) -> None:
    try:
        table = ddb.describe_table(TableName=spec.name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        try:
            ddb.create_table(**spec.api_kwargs())
            say(f"table {spec.name} created")
        except ddb.exceptions.ResourceInUseException:
            pass  # created meanwhile by someone else
        ddb.get_waiter("table_exists").wait(TableName=spec.name,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        _enable_ttl(ddb, spec)
        return
    have = {gsi["IndexName"] for gsi in table.get("GlobalSecondaryIndexes", [])}
    want = {gsi["IndexName"] for gsi in spec.global_secondary_indexes}
    if want - have:
        raise ResourceError(f"table {spec.name} exists without the indexes {sorted(want - have)}; "
                            "delete it (or use another TABLE_NAME) so it can be created anew")
    if spec.stream_view_type and not table.get("StreamSpecification", {}).get("StreamEnabled"):
        ddb.update_table(TableName=spec.name, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": spec.stream_view_type})
        say(f"table {spec.name}: stream enabled")
    _enable_ttl(ddb, spec)
    say(f"table {spec.name} exists")


def _enable_ttl(ddb: Any, spec: TableSpec) -> None:
    if not spec.ttl_attribute:
        return
    status = ddb.describe_time_to_live(TableName=spec.name).get("TimeToLiveDescription", {})
    if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return
    ddb.update_time_to_live(TableName=spec.name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": spec.ttl_attribute})


def _create_queue(sqs: Any, spec: QueueSpec, arns: dict[str, str], bucket_arn: str,
                  say: Any) -> tuple[str, str]:
    dead_letter_arn = arns.get(spec.dead_letter_queue) if spec.dead_letter_queue else None
    attributes = spec.attributes(dead_letter_arn)
    try:
        url = sqs.get_queue_url(QueueName=spec.name)["QueueUrl"]
        existed = True
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=spec.name, Attributes=attributes)["QueueUrl"]
        existed = False
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if spec.allow_s3_from:
        attributes["Policy"] = json.dumps(queue_policy(arn, bucket_arn))
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)  # converge an existing queue
    say(f"queue {spec.name} {'exists' if existed else 'created'}")
    return url, arn


def _create_bucket(s3: Any, spec: BucketSpec, region: str, queue_arns: dict[str, str],
                   say: Any) -> None:
    try:
        s3.head_bucket(Bucket=spec.name)
        say(f"bucket {spec.name} exists")
    except s3.exceptions.ClientError:
        kwargs: dict[str, Any] = {"Bucket": spec.name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(**kwargs)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        say(f"bucket {spec.name} created")
    if spec.block_public_access:
        s3.put_public_access_block(Bucket=spec.name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    if spec.encryption:
        s3.put_bucket_encryption(Bucket=spec.name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": spec.encryption}}]})
    if spec.cors_rules:
        s3.put_bucket_cors(Bucket=spec.name,
                           CORSConfiguration={"CORSRules": [r.api() for r in spec.cors_rules]})
    wanted = [{"Id": n.id, "QueueArn": queue_arns[n.queue], "Events": n.events,
               "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": n.prefix}]}}}
              for n in spec.notifications]
    current = s3.get_bucket_notification_configuration(Bucket=spec.name).get(
        "QueueConfigurations", [])
    if _normalise_notifications(current) != _normalise_notifications(wanted):
        # (moto and S3 send an s3:TestEvent to the queue on every change: the worker skips it)
        s3.put_bucket_notification_configuration(
            Bucket=spec.name, NotificationConfiguration={"QueueConfigurations": wanted})


def _normalise_notifications(configs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for c in configs:
        rules = tuple(sorted((r["Name"].lower(), r["Value"])
                             for r in c.get("Filter", {}).get("Key", {}).get("FilterRules", [])))
        out.append((c.get("QueueArn"), tuple(sorted(c.get("Events", []))), rules))
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.resources", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default=os.environ.get("STAGE", "local"))
    parser.add_argument("--suffix", help="appended to the bucket and queue names")
    parser.add_argument("--origin", action="append", default=[],
                        help="a browser origin allowed to upload (repeatable)")
    parser.add_argument("--create", action="store_true",
                        help="create them against the configured endpoints; print the env")
    args = parser.parse_args(argv)
    resources = define(args.stage, suffix=args.suffix, origins=args.origin,
                       table_name=os.environ.get("TABLE_NAME"))
    if not args.create:
        print(json.dumps(resources.to_dict(), indent=2))
        return 0
    env = create(resources, log=lambda m: print(m, file=sys.stderr))
    for name, value in env.items():
        print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
