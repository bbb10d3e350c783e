"""The stack's outputs: the URLs, and the names operators and the deploy script need."""
from __future__ import annotations

from infra.template.api import usage_key_value
from infra.template.cfn import getatt, ref, sub
from infra.template.data import SIGNING_SECRET
from infra.template.settings import API_STAGE
from infra.template.stack import Stack


def outputs(t: Stack) -> None:
    out = {
        "SiteUrl": (sub("https://${SpaDistribution.DomainName}"), "the SPA"),
        "SiteApiUrl": (sub("https://${SpaDistribution.DomainName}/%s" % API_STAGE),
                       "the API root through CloudFront (same origin as the SPA)"),
        "ApiUrl": (sub("https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
                       + API_STAGE), "the API root on API Gateway"),
        "SpaBucketName": (ref("SpaBucket"), None),
        "DistributionId": (ref("SpaDistribution"), None),
        "TableName": (ref(t.d.table.logical_id), None),
        "ResumeBucketName": (ref(t.d.bucket.logical_id), None),
        "UploadQueueUrl": (ref(t.d.upload_queue.logical_id), None),
        "DeadLetterQueueUrl": (ref(t.d.dead_letter_queue.logical_id), None),
        "DeadLetterQueueArn": (getatt(t.d.dead_letter_queue.logical_id, "Arn"), None),
        "PartnerUsagePlanId": (ref("PartnerUsagePlan"), None),
        "PartnerUsageKeyPrefix": (sub(usage_key_value("partner-")),
                                  "value prefix of partner keys' API Gateway keys"),
        "SearchTableName": (ref(t.d.search_table.logical_id), None),
        "SearchIndexDeadLetterQueueUrl": (
            ref(t.d.index_dead_letter_queue.logical_id),
            "batches the search indexer gave up on (python -m infra search replay-dlq)"),
        "MailQueueUrl": (ref(t.d.mail_queue.logical_id), None),
        "MailDeadLetterQueueUrl": (ref(t.d.mail_dead_letter_queue.logical_id),
                                   "mail that failed every delivery (docs/operations.md, "
                                   "'Mail')"),
        "MailDeadLetterQueueArn": (getatt(t.d.mail_dead_letter_queue.logical_id, "Arn"),
                                   None),
        "EmbedQueueUrl": (ref(t.d.embed_queue.logical_id), None),
        "EmbedDeadLetterQueueUrl": (ref(t.d.embed_dead_letter_queue.logical_id),
                                    "professionals whose resume vectors failed every try "
                                    "(infra/deploy.sh dlq STAGE show embed)"),
        "EmbedDeadLetterQueueArn": (getatt(t.d.embed_dead_letter_queue.logical_id, "Arn"),
                                    None),
        "EmbedderLayerArn": (ref("EmbedderLayer"), "the embedder runtime layer's version"),
        "ApiWebAclArn": (getatt("ApiWebAcl", "Arn"), None),
        "SigningSecretArn": (ref(SIGNING_SECRET), "the signing secret (docs/operations.md, "
                                                  "'Rotating the signing secret')"),
        "AlarmTopicArn": (ref("AlarmTopic"), None),
    }
    for name, (value, description) in out.items():
        t.outputs[name] = {"Value": value,
                           **({"Description": description} if description else {})}
