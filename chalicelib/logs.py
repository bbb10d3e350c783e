"""Structured JSON logs, one object a line, each carrying the current request id.

Log lines name ids and counts, never e-mails or phones.
"""
from __future__ import annotations

import contextvars
import json
import logging
import sys

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# Who the current request's credential belongs to: role and key id (never the key itself).
_caller: contextvars.ContextVar[dict[str, str | None]] = contextvars.ContextVar(
    "caller", default={"role": None, "key_id": None})


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


def set_caller(role: str | None = None, key_id: str | None = None) -> None:
    _caller.set({"role": role, "key_id": key_id})


def caller() -> dict[str, str | None]:
    """The role and key id that ``auth.identify`` found for the current request, for its log
    line (operators follow a key's use, e.g. during a rotation, by its id)."""
    return _caller.get()


def event(logger: logging.Logger, message: str, **fields: object) -> None:
    logger.info(message, extra={"fields": fields})
