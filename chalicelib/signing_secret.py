"""The signing secret, read at run time from AWS Secrets Manager (``SIGNING_SECRET_ARN``, its id
or ARN) with Powertools Parameters and cached; never taken from an environment variable.

Deployed, only the functions that sign or verify (the API and the mail sender) may read it.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from chalicelib import clients
from chalicelib.errors import Unavailable
from chalicelib.logs import log
from chalicelib.settings import DEV_SECRET, DEV_STAGES, get_settings

# A warm function re-reads the secret at most every 5 minutes: a rotated value reaches every
# function within that time, and a request pays no call to Secrets Manager in between.
SECRET_MAX_AGE_SECONDS = 300


class _NoSecretBodies(logging.Filter):
    """botocore logs every response body at DEBUG, GetSecretValue's (the secret) included."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(field in str(record.args) for field in ("SecretString", "SecretBinary"))


logging.getLogger("botocore.parsers").addFilter(_NoSecretBodies())

_provider: dict[str, Any] = {}  # the Powertools provider, and the client it was built on
_provider_lock = threading.Lock()


def value() -> str:
    """The signing secret; 503 ``unavailable`` when it cannot be had."""
    settings = get_settings()
    if not settings.signing_secret_arn:
        if settings.stage in DEV_STAGES:
            return DEV_SECRET
        log.error("signing secret not configured: SIGNING_SECRET_ARN is not set")
        raise Unavailable("The service is not available; please retry later.")
    try:
        secret = _secrets_provider().get(settings.signing_secret_arn,
                                         max_age=SECRET_MAX_AGE_SECONDS)
    except Exception as exc:  # noqa: BLE001  (any failure to read it is the same 503)
        # Neither the exception nor its text is logged, nor chained onto the 503: an error of
        # the secret store may quote what it was asked for or answered. Its class and AWS error
        # code are enough to act on.
        cause = exc.__context__ or exc  # Powertools wraps the SDK's error in GetParameterError
        response = getattr(cause, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
        log.warning("signing secret unavailable", error=type(cause).__name__, code=code)
        raise Unavailable("A service the API depends on is unavailable; please retry.") from None
    if not isinstance(secret, str) or not secret:
        log.error("signing secret unusable: not a non-empty SecretString")
        raise Unavailable("The service is not available; please retry later.")
    return secret


def _secrets_provider() -> Any:
    """One provider (and so one cache) per Secrets Manager client: tests swap the emulator."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    client = clients.secretsmanager()
    with _provider_lock:
        if _provider.get("client") is not client:
            _provider.update(client=client, provider=SecretsProvider(boto3_client=client))
        return _provider["provider"]
