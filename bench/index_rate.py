"""How fast the search indexer turns stream records into index items on DynamoDB Local, and
what limits it (contract 7.1's freshness: a 1,000-row bulk searchable within 15 s).

The stream indexer's own entry point (``indexer.apply_changes``) is fed batches of profile-only
professionals as a bulk import creates them (``--batch`` professionals a batch: a stream batch
of 100 records holds ~50 professionals beside their email guards). Reported per professional:
index items written, DynamoDB requests, wall ms, the indexer's CPU ms (this process) and
DynamoDB Local's CPU ms (its JVM, from /proc). Beside it, in the same run: DynamoDB Local's own
write rate for plain 25-item BatchWriteItem calls (the cap: the indexer cannot beat items x
that), and the indexer with botocore's client-side parameter validation on (the client as it
was before it was turned off in chalicelib/clients.py).

    .venv/bin/python bench/index_rate.py [--professionals 1000] [--batch 50]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

import _common  # noqa: F401  (sets env, installs the request counter)  # isort: skip
from _common import (COUNTER, format_table, headline, process_cpu_seconds, use_table,
                     write_summary)

from infra.dynamodb_local import DynamoDBLocal
from infra.local.processes import DDB_JVM_ARGS


def changes(count: int, tag: str) -> list:
    """Professionals as the bulk test creates them (name, email, title), as stream changes."""
    from chalicelib.search import indexer
    out = []
    for n in range(count):
        pid = str(uuid.uuid4())
        image = {"id": pid, "version": 1, "kind": "professional", "source": "internal",
                 "list_key": f"2026-12-07T12:00:00.{n:06d}+00:00#{pid}",
                 "full_name": f"Bulk {tag} Person{n:04d}", "email": f"{tag}-{n}@example.com",
                 "job_title": "Welder" if n % 2 else "Painter"}
        out.append(indexer.Change(id=pid, version=1, image=image))
    return out


def measure(label: str, jvm: int, professionals: int, batch: int) -> dict:
    from chalicelib.search import indexer
    batches = [changes(batch, f"{label[:2]}{k:04d}{uuid.uuid4().hex[:4]}")
               for k in range(professionals // batch)]
    COUNTER.reset()
    wall, cpu, java = time.perf_counter(), time.process_time(), process_cpu_seconds(jvm)
    items = 0
    for changeset in batches:
        items += sum(len(indexer.plan(c, None).puts) + 2 for c in changeset)  # + pending, final DOC
        indexer.apply_changes(changeset)
    wall, cpu, java = time.perf_counter() - wall, time.process_time() - cpu, process_cpu_seconds(jvm) - java
    n = len(batches) * batch
    return {"label": label, "n": n, "items": items / n, "requests": COUNTER.total() / n,
            "wall_ms": 1000 * wall / n, "py_ms": 1000 * cpu / n, "java_ms": 1000 * java / n,
            "rate": n / wall}


def raw_rate(jvm: int, items: int) -> dict:
    """DynamoDB Local's own rate for BatchWriteItem of posting-sized items, 8 threads."""
    from chalicelib.search import index
    shared = {"lk": "2026-12-07T12:00:00.000000+00:00#" + str(uuid.uuid4()), "src": "internal",
              "pf": '{"full_name":["bulk","person0001"],"email":["person","example","com"]}',
              "rn": 0, "w": " person0001"}
    puts = {(f"P#raw{uuid.uuid4().hex[:6]}", f"8#{uuid.uuid4()}"): {"id": str(uuid.uuid4()),
                                                                   **shared}
            for _ in range(items)}
    wall, java = time.perf_counter(), process_cpu_seconds(jvm)
    index.write_postings(puts, [], parallel_requests=True)
    wall, java = time.perf_counter() - wall, process_cpu_seconds(jvm) - java
    return {"items_per_s": items / wall, "java_us": 1e6 * java / items}


def validating_client():
    import boto3
    from botocore.config import Config

    from chalicelib import clients
    return boto3.session.Session().client(
        "dynamodb", region_name="us-east-1", endpoint_url=clients.endpoint_url("dynamodb"),
        config=Config(retries={"mode": "standard", "max_attempts": 5}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--professionals", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    with DynamoDBLocal(jvm_args=DDB_JVM_ARGS) as ddb:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.endpoint_url
        use_table(f"index-rate-{uuid.uuid4().hex[:6]}")
        from chalicelib.search import index
        measure("warm-up", ddb.pid, 3 * args.batch, args.batch)
        cap = raw_rate(ddb.pid, 10_000)
        now = measure("indexer", ddb.pid, args.professionals, args.batch)
        as_is = index._client
        index._client = lambda client=validating_client(): client
        try:
            before = measure("indexer, validating client", ddb.pid, args.professionals,
                             args.batch)
        finally:
            index._client = as_is
    load = os.getloadavg()
    rows = [[r["label"], r["n"], round(r["items"], 1), round(r["requests"], 2),
             round(r["wall_ms"], 2), round(r["rate"], 1), round(r["py_ms"], 2),
             round(r["java_ms"], 2)] for r in (now, before)]
    print(f"Search indexer on DynamoDB Local, batches of {args.batch} professionals "
          f"(load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f})")
    print(format_table(["run", "professionals", "items/prof", "requests/prof", "wall ms/prof",
                        "prof/s", "indexer CPU ms/prof", "DynamoDB Local CPU ms/prof"], rows))
    floor = now["items"] / cap["items_per_s"]
    print(f"\nDynamoDB Local alone: {cap['items_per_s']:.0f} items/s for 25-item BatchWriteItem "
          f"from 8 threads ({cap['java_us']:.0f} us of its CPU an item); at "
          f"{now['items']:.1f} items a professional that caps the indexer at "
          f"{1 / floor:.0f} professionals/s: the indexer runs at "
          f"{now['rate'] * floor:.0%} of that cap.")
    thousand = 1000 / now["rate"]
    print(f"1,000 professionals: {thousand:.1f} s of indexing at this rate "
          f"(freshness budget 15 s, from the bulk's answer).")
    write_summary([
        headline("search indexer: professionals/s (DynamoDB Local)", f"{now['rate']:.0f}/s",
                 f"validating client: {before['rate']:.0f}/s",
                 f"{before['py_ms'] / now['py_ms']:.2f}x less indexer CPU"),
        headline("search indexer: share of DynamoDB Local's write cap",
                 f"{now['rate'] * floor:.0%}",
                 f"cap {1 / floor:.0f} prof/s ({cap['items_per_s']:.0f} items/s, "
                 f"{now['items']:.1f} items/prof)"),
    ], f"{args.professionals} professionals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
