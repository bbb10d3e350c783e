"""How soon every row of a finished import job is searchable (contract 8.5: a job of up to
20,000 rows within 60 s of its end, larger ones at the indexer's measured rate).

Per size in ``--rows``: a DynamoDB Local of its own (stream on) with S3 and SQS on an in-process
moto server, and the search indexer's stream worker running beside it in its own process, as
the local stack runs it (``python -m infra.local.stream_worker``: batches of 100 records, the
app's ``index_search``). The job runs as ``bench/import_jobs.py`` runs it (the queue driven in
this process, app.py's ``process_imports``); from the job's end, the last row's DOC item is
looked at every 0.25 s (one BatchGetItem): the stream is handled in order and a batch is
applied whole, so when the last row is indexed every earlier one is. Then every row's DOC item
is checked (not timed). Reported: the job's wall s, seconds from its end to every row indexed,
the indexer's rate over the whole run (professionals/s), and the stream worker's batches
(count, median and p90 seconds each, from its log). What it leaves out: the counters' stream
worker and the API (the stack runs them beside the indexer on the same emulator).

    .venv/bin/python bench/job_searchable.py [--rows 10000] [--invocation-seconds 180]
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median, quantiles

import _common  # noqa: F401  (sets env, installs the request counter)  # isort: skip
from _common import format_table, headline, process_cpu_seconds, write_summary

import import_jobs
from import_jobs import emulator, moto_server, run_job, tables

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 60.0  # 8.5: every row of a finished job of up to 20,000 rows searchable
BUDGET_ROWS = 20_000
HANDLED = re.compile(r"(\d+) records .*handled in (\d+) ms")


def start_indexer(log_path: Path) -> subprocess.Popen:
    """The search indexer's stream worker, in its own process, reading from TRIM_HORIZON."""
    from chalicelib import clients
    from chalicelib.settings import get_settings
    arn = clients.dynamodb().describe_table(
        TableName=get_settings().table_name)["Table"]["LatestStreamArn"]
    env = {**os.environ, "PROFESSIONALS_STREAM_ARN": arn, "STREAM_HANDLER": "index_search",
           "PYTHONPATH": str(ROOT), "EMBED_QUEUE_URL": ""}
    env.pop("STREAM_CHECKPOINT_FILE", None)
    return subprocess.Popen([sys.executable, "-m", "infra.local.stream_worker"], cwd=ROOT,
                            env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)


def owners(tag: str, rows: int) -> list[str]:
    """The professional ids of the job's rows, in file order (their email guards)."""
    from chalicelib import db
    from chalicelib.models import guard_pk
    pks = [guard_pk("email", f"import-{tag}-{i}@example.com") for i in range(rows)]
    found = db.batch_get(pks)
    return [found[pk].owner_id for pk in pks if pk in found]


def indexed(ids: list[str]) -> int:
    """How many of these professionals have a finished DOC item (not pending)."""
    from chalicelib.search import index
    docs = index.read_documents(ids, ("dg",))
    return sum(1 for i in ids if i in docs and docs[i].get("dg") not in (None, "pending"))


def measure(rows: int, invocation_seconds: float) -> dict:
    with emulator() as ddb:
        print(f"job of {rows:,} rows, indexer beside it: DynamoDB Local at {ddb.endpoint_url}",
              file=sys.stderr, flush=True)
        tables(f"bench-search-job-{uuid.uuid4().hex[:6]}")
        log_path = Path(tempfile.mkstemp(prefix="bench-indexer-", suffix=".log")[1])
        worker = start_indexer(log_path)
        try:
            began = time.perf_counter()
            job = run_job(rows, invocation_seconds, ddb.pid)
            ended, java = time.perf_counter(), process_cpu_seconds(ddb.pid)
            tag = job["tag"]
            last = owners(tag, rows)[-1:]
            while indexed(last) < 1 and time.perf_counter() - ended < 900:
                time.sleep(0.25)
            searchable = time.perf_counter() - ended
            java = process_cpu_seconds(ddb.pid) - java
            ids = owners(tag, rows)
            every = indexed(ids)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
    batches = [(int(m.group(1)), int(m.group(2)) / 1000) for m in
               map(HANDLED.search, log_path.read_text(errors="replace").splitlines()) if m]
    log_path.unlink(missing_ok=True)
    seconds = [s for _, s in batches]
    return {"rows": rows, "job_s": job["wall"], "status": job["status"],
            "searchable_s": searchable, "java_share": java / searchable, "indexed": every,
            "ids": len(ids),
            "rate": rows / (ended - began + searchable), "batches": len(batches),
            "records": sum(n for n, _ in batches),
            "batch_p50": median(seconds) if seconds else float("nan"),
            "batch_p90": quantiles(seconds, n=10)[-1] if len(seconds) > 1 else float("nan"),
            "handler_s": sum(seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000", help="job sizes, comma-separated")
    parser.add_argument("--invocation-seconds", type=float, default=180)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, import_jobs._exit_on_sigterm)
    import_jobs.STAFF = import_jobs._staff()
    results = []
    with moto_server():
        for rows in (int(s) for s in args.rows.split(",") if s):
            results.append(measure(rows, args.invocation_seconds))
    load = os.getloadavg()
    print(f"Import job end -> every row searchable, indexer's stream worker beside the job "
          f"(load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f})")
    print(format_table(
        ["job", "status", "job wall s", "end -> all indexed s", "DynamoDB Local CPU after end",
         "rows indexed", "prof/s overall",
         "batches", "records", "batch s p50", "batch s p90", "handler s"],
        [[f"{r['rows']:,} rows", r["status"], round(r["job_s"], 1), round(r["searchable_s"], 1),
          f"{r['java_share']:.0%}", f"{r['indexed']:,}/{r['ids']:,}", round(r["rate"], 1),
          r["batches"], r["records"],
          round(r["batch_p50"], 3), round(r["batch_p90"], 3), round(r["handler_s"], 1)]
         for r in results]))
    ok = True
    for r in results:
        if r["rows"] > BUDGET_ROWS:
            continue
        holds = r["searchable_s"] <= BUDGET_SECONDS and r["indexed"] == r["rows"]
        ok &= holds
        print(f"{r['rows']:,} rows searchable {r['searchable_s']:.1f} s after the job's end "
              f"(<= {BUDGET_SECONDS:.0f} s): {'holds' if holds else 'BROKEN'}")
    print("BUDGETS " + ("OK" if ok else "BROKEN"))
    write_summary([headline(f"import job {r['rows']:,} rows: end -> every row searchable",
                            f"{r['searchable_s']:.1f} s", f"indexer {r['rate']:.0f} prof/s",
                            "-", f"<= {BUDGET_SECONDS:.0f} s: "
                            + ("ok" if r["searchable_s"] <= BUDGET_SECONDS else "BROKEN"))
                   for r in results], ", ".join(f"{r['rows']:,}" for r in results) + " rows")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
