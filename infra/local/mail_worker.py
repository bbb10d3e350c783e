"""The local stand-in for the ``send_mail`` Lambda's SQS event source mapping.

Polls the mail queue (``MAIL_QUEUE_URL``) with ``sqs_worker.Worker`` and hands each batch to the
app's ``send_mail`` handler, called as Lambda calls it; failed messages come back after the
queue's visibility timeout and end in the mail dead-letter queue, as in AWS. After each batch it
prints one line per new mail the SES emulator accepted (recipient, subject, link:
``infra.local.mailbox``), so the developer can follow the links from the terminal too, and one
line per mail the per-address limit suppressed (caught from the sender's own log line, which
names the event, never the address: the worker knows the address from the batch it handed over).

Run by ``infra.local_stack``; alone: ``python -m infra.local.mail_worker`` with the stack's env.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from infra.local import mailbox
from infra.local.sqs_worker import Worker, named_handler
from infra.local.workers import Handler, region, run_until_sigterm, setup_logging

MAIL_FUNCTION = "send_mail"  # @app.on_sqs_message(name=...) in app.py
APP_LOGGER = "professionals"  # chalicelib.logs.SERVICE: the sender's Powertools logger
SUPPRESSED = "mail suppressed"  # how chalicelib.mail_delivery's line for a suppressed mail starts

log = logging.getLogger("signup.mail_worker")


def find_handler() -> Handler:
    return named_handler(MAIL_FUNCTION)


class _Suppressions(logging.Handler):
    """The event ids of the sender's "mail suppressed" lines while a batch runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.event_ids: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(SUPPRESSED):
            self.event_ids.append(getattr(record, "event_id", None) or "")


class MailWorker(Worker):
    def __init__(self, queue_url: str, **kwargs) -> None:
        super().__init__(queue_url, find=self._find, **kwargs)
        self.announced: set[str] = {m.id for m in mailbox.outbox() or []}
        self.batch: dict[str, dict[str, Any]] = {}  # event id -> event, of the batch in hand

    def _find(self) -> Handler:
        handler = find_handler()

        def call(records: list[dict[str, Any]]) -> list[str]:
            self.batch = {e["event_id"]: e for e in map(_event, records) if e.get("event_id")}
            return handler.call(records)

        return Handler(handler.name, call, handler.batch_size, handler.function_name)

    def poll_once(self, wait_seconds: int | None = None) -> int:
        caught, app_log = _Suppressions(), logging.getLogger(APP_LOGGER)
        app_log.addHandler(caught)
        try:
            count = super().poll_once() if wait_seconds is None else super().poll_once(wait_seconds)
        finally:
            app_log.removeHandler(caught)
        if count:
            self.announce()
            for event_id in caught.event_ids:
                event = self.batch.get(event_id, {})
                log.info(mailbox.suppressed_line(event.get("email") or "?",
                                                 event.get("kind") or "?", event_id))
        return count

    def announce(self) -> None:
        for mail in mailbox.outbox() or []:
            if mail.id not in self.announced:
                self.announced.add(mail.id)
                log.info(mailbox.line(mail))


def _event(record: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(record["body"])
    except (KeyError, TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def main() -> int:
    setup_logging()
    queue_url = os.environ.get("MAIL_QUEUE_URL")
    if not queue_url:
        print("MAIL_QUEUE_URL is not set", file=sys.stderr)
        return 2
    worker = MailWorker(queue_url, region=region())
    log.info("sent mail: %s/_local/mail", os.environ.get("APP_URL", ""))

    def stop() -> None:
        worker.stopping = True

    return run_until_sigterm(worker.run, stop, log)


if __name__ == "__main__":
    sys.exit(main())
