"""Structured JSON logs, one object a line, each carrying the current request id.

Log lines name ids and counts, never e-mails or phones.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "request_id": _request_id.get(), "time": self.formatTime(record)}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(*loggers: logging.Logger) -> None:
    """JSON on the root logger and on the given ones (Chalice gives its app logger a handler).

    Lambda installs its own root handler; every handler's format is replaced rather than added to.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stdout))
    for logger in (root, *loggers):
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())
    root.setLevel(logging.INFO)


def set_request_id(request_id: str | None) -> None:
    _request_id.set(request_id)


def request_id() -> str | None:
    return _request_id.get()


def event(logger: logging.Logger, message: str, **fields: object) -> None:
    logger.info(message, extra={"fields": fields})
