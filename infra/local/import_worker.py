"""The local stand-in for the ``process_imports`` Lambda's SQS event source mapping.

Polls the imports queue (``IMPORT_QUEUE_URL``: S3's ``imports/`` notifications and the worker's
own continuation messages) with ``sqs_worker.Worker`` and hands each message, one at a time as
the deployed event source does (batch size 1), to the app's ``process_imports`` handler, called
as Lambda calls it. Outside Lambda the handler gives itself a 840-second budget per message
(chalicelib/imports/worker.py), the queue's visibility timeout covers it
(infra/resources.IMPORT_VISIBILITY_TIMEOUT), and a failed message comes back and ends in the
imports dead-letter queue, as in AWS.

Run by ``infra.local_stack``; alone: ``python -m infra.local.import_worker`` with the stack's env.
"""
from __future__ import annotations

import logging
import sys

from infra.local.sqs_worker import named_handler, serve
from infra.local.workers import Handler

IMPORT_FUNCTION = "process_imports"  # @app.on_sqs_message(name=...) in app.py

log = logging.getLogger("signup.import_worker")


def find_handler() -> Handler:
    return named_handler(IMPORT_FUNCTION, batch_size=1)  # one job's chunks at a time


def main() -> int:
    return serve("IMPORT_QUEUE_URL", log, batch_size=1, find=find_handler)


if __name__ == "__main__":
    sys.exit(main())
