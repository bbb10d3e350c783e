"""The functions: hand-written least-privilege roles, sizes, log groups, environments, and the
overrides of the event sources Chalice generates."""
from __future__ import annotations

from typing import Any

from infra import resources as res
from infra.template import cognito, vectors
from infra.template.api import usage_key_value
from infra.template.cfn import allow, getatt, leading_keys, policy, ref, sub
from infra.template.data import SIGNING_SECRET
from infra.template.settings import APP
from infra.template.stack import Stack

LAMBDA_RUNTIME = "python3.12"
SQS_LAMBDA_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
# What Lambda's event source mapping does with the function's role to read a DynamoDB stream.
STREAM_READ_ACTIONS = ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                       "dynamodb:GetShardIterator"]
# The search indexer's calls on the search table (chalicelib/search/indexer.py): a batch's DOC
# items read together, DOC items and postings written in batches (tests/test_deploy_iam.py).
# (The conditional single-item path is reindex's, run by an operator, not by this function.)
SEARCH_INDEXER_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"]


XRAY_WRITE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]

# The hourly purge: I/O only (a Query, then a DELETE's few writes per sign-up); an hour's due
# sign-ups fit in minutes, and a run cut short leaves the rest to the next hour.
PURGE_MEMORY_MB, PURGE_TIMEOUT_S = 256, 300
# The counters' stream consumer: a batch is one UpdateItem per day it touches.
STATS_MEMORY_MB, STATS_TIMEOUT_S = 256, 60
# Only so that Lambda names the shard in the event (chalicelib/stats/consumer.py): the window's
# state is unused. ParallelizationFactor must stay 1 (the per-shard sequence guard).
STATS_TUMBLING_WINDOW_S = 60


def env(t: Stack, **extra: Any) -> dict[str, Any]:
    """What every function reads: names, never a secret (the signing secret's value is read at
    run time from Secrets Manager, by the two functions that sign or verify: ``signer_env``)."""
    return {
        "STAGE": t.stage,
        "TABLE_NAME": ref(t.d.table.logical_id),
        "RESUME_BUCKET": sub(t.d.bucket.name),
        "UPLOAD_QUEUE_NAME": getatt(t.d.upload_queue.logical_id, "QueueName"),
        "METRICS_NAMESPACE": t.metrics_namespace,
        "SEARCH_TABLE_NAME": ref(t.d.search_table.logical_id),
        "MAIL_QUEUE_NAME": getatt(t.d.mail_queue.logical_id, "QueueName"),
        "MAIL_QUEUE_URL": ref(t.d.mail_queue.logical_id),
        "IDEMPOTENCY_TABLE_NAME": ref(t.d.idempotency_table.logical_id),
        "STATS_TABLE_NAME": ref(t.d.stats_table.logical_id),
        "HISTORY_TABLE_NAME": ref(t.d.history_table.logical_id),
        **extra,
    }


def signer_env(t: Stack, **extra: Any) -> dict[str, Any]:
    """The environment of a function that signs or verifies (access and email tokens, address
    digests, list and search cursors): the secret's ARN, with which it reads the value."""
    return env(t, SIGNING_SECRET_ARN=ref(SIGNING_SECRET), **extra)


def read_signing_secret() -> dict[str, Any]:
    """The one grant on the secret, to the API and the mail sender only: a function that runs
    untrusted input elsewhere (the resume worker's PDF parser) cannot forge a token."""
    return allow("ReadSigningSecret", ["secretsmanager:GetSecretValue"], [ref(SIGNING_SECRET)])


def function(t: Stack, logical_id: str, role: str, policy_doc: dict[str, Any], memory: int,
             timeout: int, env: dict[str, Any], **extra: Any) -> None:
    log_group = f"{logical_id}LogGroup"
    t.add(log_group, "AWS::Logs::LogGroup", {"RetentionInDays": t.s.log_retention_days})
    policy_doc["Statement"].insert(0, allow(
        "WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
        [getatt(log_group, "Arn")]))
    policy_doc["Statement"].insert(1, write_traces())
    t.add(role, "AWS::IAM::Role", {
        "Description": f"{APP} {t.stage}: {logical_id} (least privilege, hand-written)",
        "AssumeRolePolicyDocument": policy({
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}),
        "Policies": [{"PolicyName": f"{logical_id}Access", "PolicyDocument": policy_doc}],
    })
    # Merged into Chalice's AWS::Serverless::Function of the same logical id.
    t.resources[logical_id] = {"Properties": {
        "Runtime": LAMBDA_RUNTIME,
        "Role": getatt(role, "Arn"),
        "MemorySize": memory,
        "Timeout": timeout,
        "Environment": {"Variables": env},
        "LoggingConfig": {"LogGroup": ref(log_group), "LogFormat": "Text"},
        # X-Ray: Lambda opens each invocation's segment; Powertools' Tracer (chalicelib/logs.py)
        # adds a subsegment per AWS call.
        "Tracing": "Active",
        **extra,
    }}


def write_traces() -> dict[str, Any]:
    """What Lambda's active tracing sends with the function's role (SAM's
    AWSXRayDaemonWriteAccess). X-Ray's write actions have no resource to name: ``*`` only."""
    return allow("WriteTraces", XRAY_WRITE_ACTIONS, ["*"])


def table_arns(t: Stack) -> tuple[Any, list[Any]]:
    table = t.d.table
    indexes = [sub("${%s.Arn}/index/%s" % (table.logical_id, gsi["IndexName"]))
               for gsi in table.global_secondary_indexes]
    return getatt(table.logical_id, "Arn"), indexes


def stream_arn(t: Stack) -> dict[str, Any]:
    return getatt(t.d.table.logical_id, "StreamArn")


def count_days(t: Stack, *, once: bool) -> list[dict[str, Any]]:
    """ADDs to the day items of the stats table (chalicelib/stats/counters.py); with ``once``,
    in a transaction with the ONCE# marker that keeps a redelivery from counting twice."""
    stats = getatt(t.d.stats_table.logical_id, "Arn")
    grants = [allow("AddToDailyCounters", ["dynamodb:UpdateItem"], [stats],
                    **leading_keys("DAY"))]
    if once:
        grants.append(allow("MarkCounted", ["dynamodb:PutItem"], [stats],
                            **leading_keys("ONCE#")))
    return grants


def objects(t: Stack, *prefixes: str) -> list[Any]:
    return [sub(f"{t.bucket_arn}/{p}*") for p in prefixes]


def functions(t: Stack) -> None:
    table, indexes = table_arns(t)
    imports_table = getatt(t.d.imports_table.logical_id, "Arn")
    search_table = getatt(t.d.search_table.logical_id, "Arn")
    index_dlq = getatt(t.d.index_dead_letter_queue.logical_id, "Arn")
    bucket = [sub(t.bucket_arn)]
    # HeadObject/GetObject of a missing key answers 403 rather than 404 without ListBucket;
    # the code treats a missing object (a race with a newer upload) as a normal outcome.
    list_bucket = allow("SeeMissingObjectsAs404", ["s3:ListBucket"], bucket)

    function(t, "APIHandler", "ApiHandlerRole", policy(
        allow("ReadTable", ["dynamodb:GetItem", "dynamodb:BatchGetItem"], [table]),
        allow("QueryLookupIndexes", ["dynamodb:Query"], indexes),
        # Professionals and their e-mail/phone guards, in transactions, and the marker of a
        # used mailed link (LINK#, put in the session's transaction: a link opens once);
        # never API keys.
        allow("WriteProfessionalsAndGuards", ["dynamodb:PutItem", "dynamodb:DeleteItem"],
              [table], **leading_keys("PRO#", "EMAIL#", "PHONE#")),
        allow("MarkUsedLinks", ["dynamodb:PutItem"], [table], **leading_keys("LINK#")),
        # The browser's presigned POST is signed with this role: it puts uploads/ objects.
        allow("SignUploads", ["s3:PutObject"], objects(t, res.UPLOAD_PREFIX)),
        # resume_text reads text/; the presigned download GETs resumes/.
        allow("ReadResumes", ["s3:GetObject"], objects(t, "resumes/", "text/")),
        allow("DeleteResumeFiles", ["s3:DeleteObject"],
              objects(t, res.UPLOAD_PREFIX, "resumes/", "text/")),
        # GET /professionals?q= reads the index (postings, then documents).
        allow("ReadSearchIndex", ["dynamodb:Query", "dynamodb:BatchGetItem"], [search_table]),
        # Idempotency-Key: Powertools' conditional put (a failed one returns the kept record:
        # no GetItem), the update that keeps the response, the delete of a 5xx's record and
        # erasure's; only the "post#" records, not the mail worker's.
        allow("KeepIdempotentResponses", ["dynamodb:PutItem", "dynamodb:UpdateItem",
                                          "dynamodb:DeleteItem"],
              [getatt(t.d.idempotency_table.logical_id, "Arn")], **leading_keys("post#")),
        # chalicelib.mail: sign-ups, access links and email changes queue their mail.
        allow("QueueMail", ["sqs:SendMessage"], [getatt(t.d.mail_queue.logical_id, "Arn")]),
        list_bucket,
        read_signing_secret(),  # access tokens, email tokens, cursors
        *vectors.read_grants(),  # mode=semantic|hybrid and /similar (contract 8.4)
        # Import jobs (chalicelib/imports/api.py): made, read, listed by owner; their files
        # uploaded by presigned POST, their errors files read by presigned GET.
        allow("KeepImportJobs", ["dynamodb:PutItem", "dynamodb:GetItem"], [imports_table]),
        allow("ListImportJobs", ["dynamodb:Query"], [sub("${%s.Arn}/index/by_owner"
                                                         % t.d.imports_table.logical_id)]),
        allow("SignImportUploads", ["s3:PutObject"], objects(t, res.IMPORT_PREFIX)),
        allow("SignImportErrorsDownloads", ["s3:GetObject"],
              objects(t, res.IMPORT_ERRORS_PREFIX)),
        # GET /stats (one Query of the day items); POST /professionals/bulk counts its rows.
        allow("ReadDailyCounters", ["dynamodb:Query"],
              [getatt(t.d.stats_table.logical_id, "Arn")]),
        *count_days(t, once=False),
        # GET /professionals/{id}/history (one Query a page); a DELETE's marker naming who
        # deleted, put in the delete's own transaction (chalicelib/history/actors.py).
        allow("ReadHistory", ["dynamodb:Query"], [history_table(t)]),
        mark_deletes(t),
    ), t.s.api_memory_mb, t.s.api_timeout_s, signer_env(
        t, IMPORTS_TABLE_NAME=ref(t.d.imports_table.logical_id),
        **cognito.function_env(),  # staff users' access tokens (no IAM: public keys)
        **vectors.function_env(t)))  # semantic search, similar: QueryVectors, GetVectors

    import_function(t, table, list_bucket)

    function(t, t.f.sqs_function, "ResumeWorkerRole", policy(
        allow("ConsumeUploadQueue", SQS_LAMBDA_ACTIONS,
              [getatt(t.d.upload_queue.logical_id, "Arn")]),
        allow("ReadWriteProfessionals", ["dynamodb:GetItem", "dynamodb:PutItem"], [table],
              **leading_keys("PRO#")),
        # HeadObject, GetObject and the source of CopyObject.
        allow("ReadUploads", ["s3:GetObject"], objects(t, res.UPLOAD_PREFIX)),
        # The extracted text, and the CopyObject target of an accepted PDF.
        allow("WriteResumes", ["s3:PutObject"], objects(t, "resumes/", "text/")),
        allow("DeleteResumeFiles", ["s3:DeleteObject"],
              objects(t, res.UPLOAD_PREFIX, "resumes/", "text/")),
        list_bucket,
    ), t.s.worker_memory_mb, t.s.worker_timeout_s, env(t), Events={
        t.f.sqs_event: {"Properties": {
            # Chalice writes this ARN as a Fn::Sub of the queue name; the merge is deep, so
            # an override must use the same intrinsic (a GetAtt would end up beside the Sub).
            "Queue": sub("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                         + t.d.upload_queue.name),
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": t.s.worker_max_concurrency},
        }}})

    mail_function(t, table, indexes)

    # chalicelib.purge, hourly (@app.schedule): unconfirmed sign-ups erased as a DELETE would.
    unconfirmed = [i for i in indexes if "/index/by_unconfirmed" in i["Fn::Sub"]]
    function(t, "PurgeUnconfirmed", "PurgeRole", policy(
        allow("FindUnconfirmed", ["dynamodb:Query"], unconfirmed),
        allow("ReadProfessionals", ["dynamodb:GetItem"], [table]),
        allow("EraseProfessionalsAndGuards", ["dynamodb:DeleteItem"], [table],
              **leading_keys("PRO#", "EMAIL#", "PHONE#")),
        mark_deletes(t),
        allow("DeleteResumeFiles", ["s3:DeleteObject"],
              objects(t, res.UPLOAD_PREFIX, "resumes/", "text/")),
    ), PURGE_MEMORY_MB, PURGE_TIMEOUT_S, env(t))

    # The search indexer never touches the professionals table: the stream's images carry
    # everything it indexes, and the resume's words come from text/.
    function(t, t.f.stream_function, "SearchIndexerRole", policy(
        # Lambda's event source mapping reads the stream with this role (SAM's
        # DynamoDBStreamReadPolicy: ListStreams on the table's streams, the rest on this one).
        allow("ReadProfessionalsStream", STREAM_READ_ACTIONS, [stream_arn(t)]),
        allow("ListProfessionalsStreams", ["dynamodb:ListStreams"],
              [sub("${%s.Arn}/stream/*" % t.d.table.logical_id)]),
        allow("ReadWriteSearchIndex", SEARCH_INDEXER_ACTIONS, [search_table]),
        # ADDs to the index's shared items: the regions of the phones and the resumes' count
        # (META), the typo vocabulary's deletions (V#), the stems' document frequencies (F#);
        # never a posting or a document.
        allow("AddToSharedLists", ["dynamodb:UpdateItem"], [search_table],
              **leading_keys("META", "V#", "F#")),
        allow("ReadResumeText", ["s3:GetObject"], objects(t, "text/")),
        # Lambda sends a batch that failed every retry to the on-failure queue as this role.
        allow("SendFailedBatchesToDeadLetterQueue", ["sqs:SendMessage"], [index_dlq]),
        # Whose resume vectors to sync (chalicelib/embed_queue.py): to embed_resumes.
        allow("QueueEmbeddings", ["sqs:SendMessage"],
              [getatt(t.d.embed_queue.logical_id, "Arn")]),
        list_bucket,
    ), t.s.indexer_memory_mb, t.s.indexer_timeout_s, env(
        t, EMBED_QUEUE_URL=ref(t.d.embed_queue.logical_id)), Events={
        t.f.stream_event: {"Properties": {
            # Chalice writes the ARN app.py saw at import time (a placeholder): replaced
            # whole, as it is a plain string.
            "Stream": stream_arn(t),
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": t.s.indexer_max_retries,
            "MaximumRecordAgeInSeconds": t.s.indexer_max_record_age_s,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": index_dlq}},
        }}})

    stats_function(t)

    function(t, t.f.authorizer, "KeyAuthorizerRole", policy(
        allow("ReadApiKeys", ["dynamodb:GetItem"], [table], **leading_keys("KEY#")),
    ), t.s.authorizer_memory_mb, t.s.authorizer_timeout_s, env(
        t,
        **cognito.function_env(),  # a verified staff user is metered on the staff plan
        USAGE_KEY_PUBLIC=sub(usage_key_value("public")),
        USAGE_KEY_STAFF=sub(usage_key_value("staff")),
        USAGE_KEY_PARTNER_PREFIX=sub(usage_key_value("partner-")),
    ))
    t.add(f"{t.f.authorizer}InvokePermission", "AWS::Lambda::Permission", {
        "FunctionName": getatt(t.f.authorizer, "Arn"),
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": sub("arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                         "${AWS::AccountId}:${RestAPI}/authorizers/*"),
    })


def history_table(t: Stack) -> Any:
    return getatt(t.d.history_table.logical_id, "Arn")


def mark_deletes(t: Stack) -> dict[str, Any]:
    """A delete's marker in the history table (``DEL#`` keys only: the API and the purge say
    who deleted, they cannot write an entry)."""
    return allow("MarkDeletes", ["dynamodb:PutItem"], [history_table(t)],
                 **leading_keys("DEL#"))


def stats_function(t: Stack) -> None:
    """count_stats: the stream's second consumer (its own mapping, its own place in the
    stream); it writes the stats table's day items and the history table's entries (the
    history's consumer runs in this function: a stream serves two readers per shard at once),
    and reads only a deleted person's history items (to drop their values)."""
    dlq = getatt(t.d.stats_dead_letter_queue.logical_id, "Arn")
    function(t, t.f.stats_function, "StatsCounterRole", policy(
        allow("ReadProfessionalsStream", STREAM_READ_ACTIONS, [stream_arn(t)]),
        allow("ListProfessionalsStreams", ["dynamodb:ListStreams"],
              [sub("${%s.Arn}/stream/*" % t.d.table.logical_id)]),
        *count_days(t, once=False),
        allow("RecordHistory", ["dynamodb:PutItem", "dynamodb:Query",
                                "dynamodb:BatchWriteItem", "dynamodb:GetItem"],
              [history_table(t)]),
        allow("SendFailedBatchesToDeadLetterQueue", ["sqs:SendMessage"], [dlq]),
    ), STATS_MEMORY_MB, STATS_TIMEOUT_S, env(t), Events={
        t.f.stats_event: {"Properties": {
            "Stream": stream_arn(t),
            "TumblingWindowInSeconds": STATS_TUMBLING_WINDOW_S,
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": t.s.indexer_max_retries,
            "MaximumRecordAgeInSeconds": t.s.indexer_max_record_age_s,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": dlq}},
        }}})


def import_function(t: Stack, table: Any, list_bucket: dict[str, Any]) -> None:
    """process_imports: a job's file read, its chunks applied as bulk applies rows (the API's
    bulk subset on the professionals table), its progress kept in the job's item."""
    queue = getatt(t.d.import_queue.logical_id, "Arn")
    function(t, t.f.import_function, "ImportWorkerRole", policy(
        allow("ConsumeImportQueue", SQS_LAMBDA_ACTIONS, [queue]),
        allow("ContinueJobsLater", ["sqs:SendMessage"], [queue]),  # a continuation message
        allow("AdvanceImportJobs", ["dynamodb:GetItem", "dynamodb:UpdateItem"],
              [getatt(t.d.imports_table.logical_id, "Arn")]),
        # bulk.bulk_upsert: guards and professionals read in batches, written in transactions.
        allow("ReadTable", ["dynamodb:BatchGetItem"], [table]),
        allow("WriteProfessionalsAndGuards", ["dynamodb:PutItem", "dynamodb:DeleteItem"],
              [table], **leading_keys("PRO#", "EMAIL#", "PHONE#")),
        # A moved verified address is told (chalicelib.mail.address_changed).
        allow("QueueMail", ["sqs:SendMessage"], [getatt(t.d.mail_queue.logical_id, "Arn")]),
        allow("ReadImportFiles", ["s3:GetObject"], objects(t, res.IMPORT_PREFIX)),
        # Each chunk's part (read back on a retry and to assemble), then the errors file.
        allow("WriteImportErrors", ["s3:PutObject", "s3:GetObject"],
              objects(t, res.IMPORT_ERRORS_PREFIX)),
        allow("DeleteImportFiles", ["s3:DeleteObject"],
              objects(t, res.IMPORT_PREFIX, res.IMPORT_ERRORS_PREFIX)),
        *count_days(t, once=True),  # each chunk's rows, once
        list_bucket,
    ), t.s.import_memory_mb, t.s.import_timeout_s, env(
        t, IMPORTS_TABLE_NAME=ref(t.d.imports_table.logical_id),
        IMPORT_QUEUE_NAME=getatt(t.d.import_queue.logical_id, "QueueName"),
        IMPORT_QUEUE_URL=ref(t.d.import_queue.logical_id),
    ), Events={t.f.import_event: {"Properties": {
        "Queue": sub("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                     + t.d.import_queue.name),
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": t.s.import_max_concurrency},
    }}})


def mail_function(t: Stack, table: Any, indexes: list[Any]) -> None:
    """send_mail: reads who gets the mail, remembers sent events, sends from MailFrom."""
    email_index = [arn for arn in indexes if "/index/by_email" in arn["Fn::Sub"]]
    identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"
    function(t, t.f.mail_function, "MailSenderRole", policy(
        allow("ConsumeMailQueue", SQS_LAMBDA_ACTIONS,
              [getatt(t.d.mail_queue.logical_id, "Arn")]),
        allow("ReadProfessionals", ["dynamodb:GetItem"], [table], **leading_keys("PRO#")),
        allow("FindByEmail", ["dynamodb:Query"], email_index),
        # Powertools' records of sent events (key prefix "mail#"), not the kept responses.
        allow("RememberSentMail", ["dynamodb:PutItem", "dynamodb:GetItem",
                                   "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
              [getatt(t.d.idempotency_table.logical_id, "Arn")], **leading_keys("mail#")),
        # The per-address mail limit (chalicelib/mail_limit.py): an item per recipient
        # ("mailcap#" + the address's SHA-256) read, then put or deleted on the condition that
        # it is the version read; expired by the table's TTL.
        allow("CountMailPerAddress", ["dynamodb:GetItem", "dynamodb:PutItem",
                                      "dynamodb:DeleteItem"],
              [getatt(t.d.idempotency_table.logical_id, "Arn")], **leading_keys("mailcap#")),
        # SES authorises SendEmail on the sender's identity: the address, or its domain
        # when the domain is what was verified.
        allow("SendFromMailFrom", ["ses:SendEmail"], [
            sub(identity + "${MailFrom}"),
            {"Fn::Join": ["", [sub(identity), {"Fn::Select": [1, {"Fn::Split": [
                "@", ref("MailFrom")]}]}]]}]),
        read_signing_secret(),  # the links' email tokens and address digests
        *count_days(t, once=True),  # each event's mail sent or suppressed, once
    ), t.s.mail_memory_mb, t.s.mail_timeout_s, signer_env(
        t,
        MAIL_FROM=ref("MailFrom"),
        # Links open the SPA. (Only this function may name the distribution: the API's
        # functions are what the distribution depends on.)
        APP_URL=sub("https://${SpaDistribution.DomainName}"),
    ), Events={t.f.mail_event: {"Properties": {
        "Queue": sub("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                     + t.d.mail_queue.name),
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": t.s.mail_max_concurrency},
    }}})
