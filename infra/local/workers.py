"""What the event-source workers share: the app's own handlers (``app.event_sources``), called
as Lambda calls them; their logging; running until SIGTERM."""
from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from typing import Any, Callable

from infra.local.config import PROJECT_ROOT


@dataclass
class Handler:
    """What a worker hands its batches to: ``call(records) -> failed item identifiers``."""

    name: str
    call: Callable[..., list[str]]  # (records[, extra event fields]) -> failed identifiers
    batch_size: int
    function_name: str = ""  # the Lambda function's name, for what the worker reports
    # ``call`` takes the event's other fields as a second argument (``lambda_caller``'s does)
    takes_event_fields: bool = False


def app_event_sources(kind: Callable[[Any], bool]) -> list[Any]:
    """The app's event sources of one kind (say, those with a ``queue``); none without app.py."""
    if not (PROJECT_ROOT / "app.py").is_file():
        return []
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    app = importlib.import_module("app").app
    return [s for s in getattr(app, "event_sources", [])
            if hasattr(s, "handler_string") and kind(s)]


def lambda_caller(source: Any) -> Callable[..., list[str]]:
    """``records -> failed item identifiers``, calling the source's function as Lambda does:
    ``handler({"Records": records, **extra}, context)`` answering ``{"batchItemFailures":
    [...]}`` (``extra``: what else the event carries, e.g. a stream's ``shardId``)."""
    module_name, _, function_name = source.handler_string.rpartition(".")
    function = getattr(importlib.import_module(module_name), function_name)

    def call(records: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> list[str]:
        from chalice.local import LambdaContext
        context = LambdaContext(function_name=source.name, memory_size=1024)
        result = function({"Records": records, **(extra or {})}, context)
        failures = (result or {}).get("batchItemFailures", []) if isinstance(result, dict) else []
        return [f["itemIdentifier"] for f in failures]

    return call


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("botocore", "boto3", "pynamodb", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def run_until_sigterm(run: Callable[[], None], stop: Callable[[], None],
                      log: logging.Logger) -> int:
    """``run()`` until SIGTERM, which calls ``stop()`` and interrupts whatever it waits on."""
    def on_sigterm(signum: int, frame: Any) -> None:
        stop()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        run()
    except KeyboardInterrupt:
        pass
    log.info("stopped")
    return 0
