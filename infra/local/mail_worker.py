"""The local stand-in for the ``send_mail`` Lambda's SQS event source mapping.

Polls the mail queue (``MAIL_QUEUE_URL``) with ``sqs_worker.Worker`` and hands each batch to the
app's ``send_mail`` handler, called as Lambda calls it; failed messages come back after the
queue's visibility timeout and end in the mail dead-letter queue, as in AWS. After each batch it
prints one line per new mail the SES emulator accepted (recipient, subject, link:
``infra.local.mailbox``), so the developer can follow the links from the terminal too.

Run by ``infra.local_stack``; alone: ``python -m infra.local.mail_worker`` with the stack's env.
"""
from __future__ import annotations

import logging
import os
import sys

from infra.local import mailbox
from infra.local.sqs_worker import MAX_BATCH, Worker
from infra.local.workers import (Handler, app_event_sources, lambda_caller, region,
                                 run_until_sigterm, setup_logging)

MAIL_FUNCTION = "send_mail"  # @app.on_sqs_message(name=...) in app.py

log = logging.getLogger("signup.mail_worker")


def find_handler() -> Handler:
    sources = app_event_sources(lambda s: getattr(s, "name", None) == MAIL_FUNCTION)
    if not sources:
        raise RuntimeError(f"app.py has no @app.on_sqs_message(name={MAIL_FUNCTION!r})")
    source = sources[0]
    return Handler(f"{source.handler_string} (@app.on_sqs_message)", lambda_caller(source),
                   min(MAX_BATCH, int(getattr(source, "batch_size", MAX_BATCH) or MAX_BATCH)))


class MailWorker(Worker):
    def __init__(self, queue_url: str, **kwargs) -> None:
        super().__init__(queue_url, find=find_handler, **kwargs)
        self.announced: set[str] = {m.id for m in mailbox.outbox() or []}

    def poll_once(self, wait_seconds: int | None = None) -> int:
        count = super().poll_once() if wait_seconds is None else super().poll_once(wait_seconds)
        if count:
            self.announce()
        return count

    def announce(self) -> None:
        for mail in mailbox.outbox() or []:
            if mail.id not in self.announced:
                self.announced.add(mail.id)
                log.info(mailbox.line(mail))


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
