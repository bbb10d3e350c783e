"""The one logger: Powertools for AWS Lambda's ``Logger``, JSON lines, each carrying the current
request's id and caller; and the one tracer (Powertools' ``Tracer``, X-Ray).

Every module logs through ``log`` (``log.info("message", field=value)``: fields become members
of the line). Log lines name ids and counts, never e-mails or phones; the caller is a role and a
key id, never the key.
"""
from __future__ import annotations

import logging
import os
import sys

from aws_lambda_powertools import Logger, Tracer

# Also the Chalice app's name, so Chalice's own ``app.log`` is this logger (app.py passes
# ``configure_logs=False``: Chalice must not add a handler of its own nor lower the level).
SERVICE = "professionals"

# The level comes from POWERTOOLS_LOG_LEVEL / LOG_LEVEL, INFO by default. On stderr, which Lambda
# sends to the function's log group as it does stdout: the operator commands (python -m infra)
# keep stdout for their output, and the metrics (EMF) are on stdout.
log = Logger(service=SERVICE, stream=sys.stderr, utc=True, use_rfc3339=True,
             location="%(module)s.%(funcName)s:%(lineno)d",  # which module, not only the function
             serialize_stacktrace=False)  # `exception` has the traceback; no second copy of it
# Lines are written once, by the logger's own handler, whatever handlers the root logger gets
# (Lambda's runtime installs one; the local workers add theirs).
logging.getLogger(SERVICE).propagate = False
# Other libraries' lines (botocore, PynamoDB) go through the root handlers: JSON too, with the
# request's keys.
for _handler in logging.getLogger().handlers:
    _handler.setFormatter(log.registered_formatter)

# Every function imports this module (app.py does, and every module logs), so every function
# traces: botocore is patched, and each AWS call (boto3's and PynamoDB's: DynamoDB, S3, SQS, SES,
# Secrets Manager) is an X-Ray subsegment of the invocation's segment, which Lambda opens when the
# function's tracing is Active (the template sets it). Off wherever Lambda is not running the
# code (no LAMBDA_TASK_ROOT: the local stack, the tests, the operator commands, the resume
# worker's extraction child) or with POWERTOOLS_TRACE_DISABLED=true: then nothing is patched and
# no X-Ray "context missing" error can be logged. botocore only: an http.client patch would
# trace each AWS call twice (tests/test_deploy_observability.py). None outside Lambda: there the
# X-Ray SDK, even disabled, builds an X-Ray client when imported (its sampler's), ~0.4 s added to
# the start of every local process, test worker and operator command.
tracer: Tracer | None = (Tracer(service=SERVICE, patch_modules=("botocore",))
                         if os.environ.get("LAMBDA_TASK_ROOT") else None)

# The request's keys live in a context variable (Powertools' thread-safe keys), not in the
# formatter's shared dict (``append_keys``): the local server serves each connection on a thread
# of its own, and one request's keys must never show on another's lines.


def start_request(request_id: str | None) -> None:
    """Forget the previous request's keys (Lambda reuses a process; a local thread serves many
    requests on a connection) and name this one. The caller is named by ``auth.identify``."""
    log.thread_safe_clear_keys()
    log.thread_safe_append_keys(request_id=request_id)


def set_caller(role: str | None = None, key_id: str | None = None) -> None:
    log.thread_safe_append_keys(role=role, key_id=key_id)


def caller() -> dict[str, str | None]:
    """The role and key id that ``auth.identify`` found for the current request (operators follow
    a key's use, e.g. during a rotation, by its id)."""
    keys = log.thread_safe_get_current_keys()
    return {"role": keys.get("role"), "key_id": keys.get("key_id")}
