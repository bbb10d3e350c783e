"""Data: the tables, the resume bucket and its policy, the queues, the signing secret."""
from __future__ import annotations

from typing import Any

from infra import resources as res
from infra.template.cfn import (deny_insecure_transport, getatt, maybe_sub, policy,
                                public_access_block, ref, sub)
from infra.template.settings import APP
from infra.template.stack import Stack

SIGNING_SECRET = "SigningSecret"  # the secret's logical id (its Ref is its ARN)


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


def data(t: Stack) -> None:
    # The professionals table (with its stream: StreamSpecification is in api_kwargs) and the
    # search index's table. The index can be rebuilt (python -m infra search reindex), but
    # that takes a while on a big table: it is kept like the data it indexes.
    for table in t.d.tables():
        props = {
            **table.api_kwargs(),
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "DeletionProtectionEnabled": t.s.protect_data,
        }
        if table.stream_view_type:  # CloudFormation has no StreamEnabled: a view type is on
            props["StreamSpecification"] = {"StreamViewType": table.stream_view_type}
        if table.ttl_attribute:
            props["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute,
                                                "Enabled": True}
        if table in (t.d.search_table, t.d.idempotency_table, t.d.history_table):
            # The index holds the resumes' words, the idempotency table kept responses, the
            # history the values changed:
            # encrypted with the AWS-managed KMS key (aws/dynamodb), which DynamoDB uses on
            # its callers' behalf (no kms: actions).
            props["SSESpecification"] = {"SSEEnabled": True}
        t.add(table.logical_id, "AWS::DynamoDB::Table", props, **t.retention())

    dlq, queue = t.d.dead_letter_queue, t.d.upload_queue
    for spec in (dlq, queue, t.d.index_dead_letter_queue, t.d.mail_dead_letter_queue,
                 t.d.mail_queue, t.d.import_dead_letter_queue, t.d.import_queue,
                 t.d.stats_dead_letter_queue, t.d.embed_dead_letter_queue, t.d.embed_queue):
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
        t.add(spec.logical_id, "AWS::SQS::Queue", props)

    bucket = t.d.bucket
    queue_policy = res.queue_policy(getatt(queue.logical_id, "Arn"), sub(t.bucket_arn))
    for statement in queue_policy["Statement"]:
        statement["Condition"]["StringEquals"] = {"aws:SourceAccount": ref("AWS::AccountId")}
    t.add("UploadQueuePolicy", "AWS::SQS::QueuePolicy", {
        "Queues": [ref(queue.logical_id)], "PolicyDocument": queue_policy})
    # Import jobs' files (imports/) notify a queue of their own: a job may run for minutes,
    # resumes must not wait behind it.
    import_policy = res.queue_policy(getatt(t.d.import_queue.logical_id, "Arn"), sub(t.bucket_arn))
    for statement in import_policy["Statement"]:
        statement["Sid"] = "AllowImportFileNotifications"
        statement["Condition"]["StringEquals"] = {"aws:SourceAccount": ref("AWS::AccountId")}
    t.add("ImportQueuePolicy", "AWS::SQS::QueuePolicy", {
        "Queues": [ref(t.d.import_queue.logical_id)], "PolicyDocument": import_policy})

    notifications = [
        {"Event": event, "Queue": getatt(n.queue, "Arn"),
         "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": n.prefix}]}}}
        for n in bucket.notifications for event in n.events]
    cors = []
    for rule in bucket.cors_rules:
        cfn = rule.cfn()
        cfn["AllowedOrigins"] = [maybe_sub(o) for o in rule.allowed_origins]
        cors.append(cfn)
    t.add(bucket.logical_id, "AWS::S3::Bucket", {
        "BucketName": sub(bucket.name),
        "PublicAccessBlockConfiguration": public_access_block(),
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": bucket.encryption}}]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "CorsConfiguration": {"CorsRules": cors},
        "LifecycleConfiguration": {"Rules": [
            {"Id": "expire-abandoned-uploads", "Status": "Enabled",
             "Prefix": res.UPLOAD_PREFIX, "ExpirationInDays": t.s.upload_expiry_days},
            # The import worker deletes a job's file when the job ends; this is the backstop.
            {"Id": "expire-abandoned-import-files", "Status": "Enabled",
             "Prefix": res.IMPORT_PREFIX, "ExpirationInDays": t.s.upload_expiry_days},
            # Errors files live as long as their job's record (its TTL: 30 days).
            {"Id": "expire-import-errors", "Status": "Enabled",
             "Prefix": res.IMPORT_ERRORS_PREFIX, "ExpirationInDays": t.s.import_errors_days},
            {"Id": "abort-incomplete-multipart-uploads", "Status": "Enabled",
             "AbortIncompleteMultipartUpload": {
                 "DaysAfterInitiation": t.s.upload_expiry_days}},
        ]},
        "NotificationConfiguration": {"QueueConfigurations": notifications},
    }, DependsOn=["UploadQueuePolicy", "ImportQueuePolicy"], **t.retention())
    t.add("ResumeBucketPolicy", "AWS::S3::BucketPolicy", {
        "Bucket": ref(bucket.logical_id),
        "PolicyDocument": policy(deny_insecure_transport(bucket.logical_id))})


def secret(t: Stack) -> None:
    """The HMAC key everything signed derives its keys from. Its value never reaches a
    template or an environment: the API and the mail sender read it at run time (cached for
    minutes), so rotating it needs no deploy (docs/operations.md, 'Rotating the signing
    secret')."""
    t.add(SIGNING_SECRET, "AWS::SecretsManager::Secret", {
        "Description": f"{APP} {t.stage}: HMAC key of access tokens, email tokens (mailed "
                       "links), email-address digests and list/search cursors; read at run "
                       "time by the API and send_mail functions only",
        "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
    }, **t.retention())
