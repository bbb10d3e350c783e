"""What differs between deployed stages (sizes, limits, retention), and the names every part of
the template shares."""
from __future__ import annotations

from dataclasses import dataclass

from infra import resources as res

PROJECT_ROOT = res.PROJECT_ROOT
APP = res.APP_NAME
API_STAGE = "api"  # the API Gateway stage: /api/... on CloudFront maps onto it unchanged


@dataclass(frozen=True)
class Throttle:
    rate: float  # steady requests per second
    burst: int


@dataclass(frozen=True)
class WafLimit:
    """A WAF rate rule's limits, requests per 5 minutes per client address."""

    per_viewer: int  # the viewer's address, which CloudFront passes on in X-Viewer-Ip
    per_address: int  # the connecting address (a CloudFront edge, or a direct caller)


@dataclass(frozen=True)
class DeploySettings:
    """What differs between deployed stages (the resources' names come from ``define``)."""

    # 512 MB before resume intelligence; +256 for the embedding model a semantic query runs
    # in-process (the embedder runtime layer: ~200 MB resident once loaded, ~300 MB while
    # loading). Lambda gives CPU in proportion, which the query's ~10-20 ms of numpy uses.
    api_memory_mb: int = 768
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
    # The import worker (chalicelib/imports): one job message at a time, chunks of 1,000 rows
    # through bulk's planner for up to Lambda's 15 minutes, then a continuation message. Memory
    # for openpyxl's shared strings and bulk's snapshots; CPU comes with it. Two jobs at a time
    # keep the table's write rate for the API's own requests.
    import_memory_mb: int = 1024
    import_timeout_s: int = 900
    import_max_concurrency: int = 2
    import_errors_days: int = 30  # errors files, as long as the job record's TTL
    # embed_resumes (chalicelib/resume_vectors.py): batches of up to 5 resumes of up to 128
    # passages each; a passage takes 100-220 ms on one core, so a full batch ~70-140 s at
    # 1,769 MB (one vCPU) and ~15% more at 1,536 MB. 300 s leaves twice that; the queue stays
    # invisible 6x as long. Memory: the model (~200 MB, ~340 MB peak while loading) and a
    # batch's activations; CPU is what it buys. Two batches at a time: the API's semantic
    # queries share S3 Vectors' write and query rates with it, and a backlog only delays.
    embed_memory_mb: int = 1536
    embed_timeout_s: int = 300
    embed_max_concurrency: int = 2
    # The WAF's rate rules (infra/template/waf.py), requests per 5 minutes (its window), on
    # every route, for requests without an X-Api-Key (keyed ones are the usage plans').
    # Anonymous and person-token callers: the heaviest legitimate use is one person following a
    # resume upload, whose page polls the record every second for 90 s, then every 5 s (about
    # 135 requests in 5 minutes with the sign-up and a few edits); 300 per viewer leaves room for
    # two of them behind one address (a household's NAT) and holds anyone else to 1 request/s.
    # (What each request may do is bounded by the API itself: 5 mails per address an hour, 10
    # resume uploads per professional a day.) Per connecting address 3,000 (10/s): CloudFront's
    # edges carry many viewers each, and a direct caller of the execute-api URL, counted here
    # whatever X-Viewer-Ip it sends, is held under the public usage plan's 25/s (everyone's).
    waf_anonymous: WafLimit = WafLimit(per_viewer=300, per_address=3000)
    # Staff-token-shaped requests (a Cognito JWT): an office of staff shares one address; a busy
    # staff member (lists, search as they type, records) makes about one request every 3 s,
    # 100 in 5 minutes: 3,000 per viewer is an office of ~30. Twice that per connecting address
    # (an edge carries several offices). A forged token of that shape gets only 401s from the
    # API, which verifies it, so this higher limit opens nothing to an abuser.
    waf_staff_token: WafLimit = WafLimit(per_viewer=3000, per_address=6000)


STAGE_SETTINGS: dict[str, DeploySettings] = {
    "prod": DeploySettings(log_retention_days=90, protect_data=True),
}


def settings_for(stage: str) -> DeploySettings:
    return STAGE_SETTINGS.get(stage, DeploySettings())
