"""The whole system on this machine: ``make run`` (``python -m infra.local_stack``).

Starts DynamoDB Local (in memory, with the professionals table's stream) and an S3 + SQS emulator
(moto server by default, ``EMULATOR=localstack`` for LocalStack in host mode), creates the stage's
resources from ``infra.resources``, stores the two local API keys, seeds 10 demo professionals,
then starts the API + SPA server (one origin, ``http://127.0.0.1:$PORT``: SPA at ``/``, API at
``/api``), the resume worker (the upload queue -> the app's SQS handler) and the stream worker
(the table's stream -> the app's search indexer). Each component's output is prefixed (``[ddb]``,
``[s3sqs]``, ``[api]``, ``[worker]``, ``[stream]``); Ctrl-C or SIGTERM stops every process it
started. ``AWS_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL_DYNAMODB`` / ``_S3`` / ``_SQS`` point it at
emulators you run yourself, and it starts none for those services; the stream is read from
``AWS_ENDPOINT_URL_DYNAMODB_STREAMS`` if given, else from the DynamoDB endpoint. S3 Vectors
(resume passages) is served by the stack's moto server, with QueryVectors added
(``infra/local/s3vectors_query.py``), whatever the emulator, unless
``AWS_ENDPOINT_URL_S3VECTORS`` names another.

Settings (environment, or the flags of the same name): PORT (8000; 0 = any free port), EMULATOR
(moto | localstack), LOCAL_DATA_DIR (.local), DYNAMODB_PORT and S3_SQS_PORT (free ports unless
given), TABLE_NAME, LOCAL_STAFF_KEY, LOCAL_PARTNER_KEY (else generated once and kept in the data
folder), SEED_DEMO_DATA (1).

``python -m infra.local_stack env`` prints the running stack's environment (endpoints, tables,
bucket, queues, stream) as ``export`` lines, for the operator CLI or the AWS CLI.

The parts live in ``infra/local/`` (see its ``__init__``); this module is the entry point.
"""
from __future__ import annotations

import sys

from infra.local import cli
from infra.local.config import EXIT_BUSY, StackError
from infra.local.datadir import DataDir
from infra.local.ports import bind_listener
from infra.local.seed import DEMO_PROFESSIONALS

__all__ = ["DEMO_PROFESSIONALS", "EXIT_BUSY", "DataDir", "StackError", "bind_listener", "main"]


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, description=__doc__)


if __name__ == "__main__":
    sys.exit(main())
