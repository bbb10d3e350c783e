"""The local stack (``make run``, ``python -m infra.local_stack``), by what each part does.

- ``config``: paths, host, stage, the error the stack stops with;
- ``output``: the prefixed lines every component prints;
- ``processes``: the children (own process group, output pumped, SIGTERM with the parent);
- ``ports``, ``datadir``: the listening port, the data folder (lock, state, keys, signing secret);
- ``emulators``: moto server or LocalStack for S3, SQS, SES and Secrets Manager, readiness waits;
- ``provision``: the stage's resources and environment, ``seed``: keys and demo data;
- ``stack``: the orchestration (start, supervise, stop, banner), ``cli``: the command line;
- ``workers``: what the workers share: the app's own handlers, called as Lambda calls them;
- ``sqs_worker``, ``stream_worker``: the stand-ins for Lambda's event source mappings (the upload
  queue -> the resume handler; the professionals table's stream -> the search indexer);
  ``mail_worker``, ``import_worker``, ``embed_worker``: the other queues' (mail, import jobs,
  resume vectors), each its own process.

Every module imports only the standard library at the top: ``python -m infra.local_stack moto``
and the workers start without loading what they do not use.
"""
