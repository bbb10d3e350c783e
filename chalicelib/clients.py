"""boto3 clients, created lazily and once each, so importing the app contacts nothing.

Endpoints follow the standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables, which
is how the local stack points them at emulators.
"""
from __future__ import annotations

import functools
import os
from typing import Any


# botocore's own variable is named after the service id ("Secrets Manager": SECRETS_MANAGER);
# the spelling of the client's name (SECRETSMANAGER, as for S3 or SQS) is read as well.
_SERVICE_IDS = {"secretsmanager": "SECRETS_MANAGER", "cognito-idp": "COGNITO_IDENTITY_PROVIDER"}


def endpoint_url(service: str) -> str | None:
    """The endpoint the environment names for ``service``, or None for AWS's own."""
    for name in (service.upper(), _SERVICE_IDS.get(service)):
        if name and os.environ.get(f"AWS_ENDPOINT_URL_{name}"):
            return os.environ[f"AWS_ENDPOINT_URL_{name}"]
    return os.environ.get("AWS_ENDPOINT_URL") or None


def _client(service: str, region: str) -> Any:
    # Keyed by endpoint too: tests move between moto and DynamoDB Local in one process.
    return _cached(service, region, endpoint_url(service))


# The signing secret is read while a request waits (at a cold start): an unreachable Secrets
# Manager must turn into a prompt 503, not a minute of connect timeouts and backoff.
_BRIEF = {"secretsmanager": {"connect_timeout": 2, "read_timeout": 5,
                             "retries": {"mode": "standard", "max_attempts": 2}},
          # A staff user's first request (per container) asks Cognito who they are: the same.
          "cognito-idp": {"connect_timeout": 2, "read_timeout": 5,
                          "retries": {"mode": "standard", "max_attempts": 2}},
          # A semantic search queries the vector store while the request waits: the same.
          "s3vectors": {"connect_timeout": 2, "read_timeout": 5,
                        "retries": {"mode": "standard", "max_attempts": 2}}}


@functools.lru_cache(maxsize=None)
def _cached(service: str, region: str, endpoint: str | None) -> Any:
    import boto3
    from botocore.config import Config

    # s3v4: otherwise boto3 signs presigned POST fields with SigV2. Emulators on 127.0.0.1 need
    # path-style URLs (no bucket.127.0.0.1 host names).
    emulated = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    options = {"retries": {"mode": "standard", "max_attempts": 5}, **_BRIEF.get(service, {})}
    if service == "dynamodb":
        # The search indexer writes tens of thousands of postings a minute, built by
        # search.index.to_raw; botocore's client-side check of each one cost a quarter of the
        # indexer's CPU (bench/index_rate.py). DynamoDB validates every request itself.
        options["parameter_validation"] = False
    config = Config(signature_version="s3v4",
                    s3={"addressing_style": "path" if emulated else "auto"}, **options)
    return boto3.session.Session().client(service, region_name=region, config=config,
                                          endpoint_url=endpoint)


def s3() -> Any:
    from chalicelib.settings import get_settings
    return _client("s3", get_settings().region)


def dynamodb() -> Any:
    """The search index's client (the professionals table goes through PynamoDB, chalicelib.db)."""
    from chalicelib.settings import get_settings
    return _client("dynamodb", get_settings().region)


def sqs() -> Any:
    from chalicelib.settings import get_settings
    return _client("sqs", get_settings().region)


def ses() -> Any:
    """SES v1: the one SES API that moto, LocalStack and AWS all answer."""
    from chalicelib.settings import get_settings
    return _client("ses", get_settings().region)


def secretsmanager() -> Any:
    """The signing secret's store (chalicelib.signing reads it through Powertools Parameters)."""
    from chalicelib.settings import get_settings
    return _client("secretsmanager", get_settings().region)


def cognito_idp() -> Any:
    """The staff user pool's API (COGNITO_ENDPOINT when the pool is an emulator's)."""
    from chalicelib.settings import get_settings
    settings = get_settings()
    return _cached("cognito-idp", settings.cognito_region,
                   settings.cognito_endpoint or endpoint_url("cognito-idp"))


def s3vectors() -> Any:
    """The resume passages' vector store (chalicelib.vectors)."""
    from chalicelib.settings import get_settings
    return _client("s3vectors", get_settings().region)


def reset() -> None:
    """Forget clients (tests swap the emulator under them)."""
    _cached.cache_clear()
