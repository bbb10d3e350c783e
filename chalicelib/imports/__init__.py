"""Import jobs (contract 8.5): a CSV or XLSX file uploaded to S3, applied in the background.

``jobs``: the job record in its own table, its status machine and its checkpoints;
``api``: what the four routes do (create with a presigned POST, read, list, the errors file);
``reader``: the file's rows as a stream (CSV, XLSX), with the bulk route's header rules;
``worker``: the SQS handler's work, chunks of 1,000 rows through ``chalicelib.bulk``.
"""
