"""The local stand-in for the ``embed_resumes`` Lambda's SQS event source mapping.

Polls the embed queue (``EMBED_QUEUE_URL``: ``{"id"}`` messages the search indexer sends when a
ready resume changes or a professional is gone) with ``sqs_worker.Worker`` and hands each batch
to the app's ``embed_resumes`` handler, called as Lambda calls it; failed messages (the vector
store down) come back after the queue's visibility timeout and end in the embed dead-letter
queue, as in AWS.

Its own process, as the deployed embedder is its own function: the model (~200 MB, loaded once,
on the first message) and its seconds of numpy work never hold up the upload, mail or import
workers.

Run by ``infra.local_stack``; alone: ``python -m infra.local.embed_worker`` with the stack's env.
"""
from __future__ import annotations

import logging
import sys

from infra.local.sqs_worker import named_handler, serve

EMBED_FUNCTION = "embed_resumes"  # @app.on_sqs_message(name=...) in app.py

log = logging.getLogger("signup.embed_worker")


def main() -> int:
    return serve("EMBED_QUEUE_URL", log, find=lambda: named_handler(EMBED_FUNCTION))


if __name__ == "__main__":
    sys.exit(main())
