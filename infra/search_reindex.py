"""Rebuild the search index from the professionals table: ``python -m infra search reindex``.

The index is a projection; this is how it is rebuilt (a new stage, a change of the analyzer, a
repair after the dead-letter queue was lost). It scans the table a page at a time and indexes
each professional as the table holds it now, with the same code the stream indexer runs, so it
can run while the stream indexer works: both write only through the version guard, and a
professional already indexed at its current version and content is left alone.

Resumable: after each page the scan's position is saved in the index table (``META#reindex``);
a second run goes on from there (``--restart`` starts over). At the end, documents of
professionals that are no longer in the table are removed, and the position is cleared.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from chalicelib import db
from chalicelib.models import ProfessionalItem, TableItem, professional_pk
from chalicelib.search import index, indexer
from infra.checkpoint import Checkpoint

CHECKPOINT = Checkpoint("reindex")
PAGE = 200
THREADS = 4  # DynamoDB writes and S3 reads overlap; the CPU work is small


def reindex(*, restart: bool = False, say: Callable[[str], None] = print,
            stop_after_pages: int | None = None) -> Counter:
    """Index every professional; returns what happened to them (indexed, unchanged, ...)."""
    table = db.bind()
    client = db.connection().client
    start = None if restart else CHECKPOINT.load()
    if start:
        say(f"resuming the reindex where it stopped ({start.get('done', 0)} professionals done)")
    done = start.get("done", 0) if start else 0
    total = client.describe_table(TableName=table)["Table"].get("ItemCount", 0)
    outcome: Counter = Counter()
    began, pages = time.monotonic(), 0
    kwargs: dict[str, Any] = {"TableName": table, "Limit": PAGE, "ConsistentRead": True}
    if start:
        kwargs["ExclusiveStartKey"] = start["key"]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        while True:
            page = client.scan(**kwargs)
            people = [item for item in (TableItem.from_raw_data(raw) for raw in page["Items"])
                      if isinstance(item, ProfessionalItem)]
            outcome.update(pool.map(indexer.index_current, people))
            done += len(people)
            pages += 1
            last = page.get("LastEvaluatedKey")
            if not last:
                break
            kwargs["ExclusiveStartKey"] = last
            CHECKPOINT.save({"key": last, "done": done})
            rate = (sum(outcome.values()) or 1) / max(time.monotonic() - began, 1e-6)
            say(f"  {done} professionals (table ~{total} items), {rate:.0f}/s: "
                f"{dict(outcome)}")
            if stop_after_pages and pages >= stop_after_pages:
                return outcome  # (tests: an interrupted run)
    outcome.update(prune())
    CHECKPOINT.clear()
    seconds = time.monotonic() - began
    say(f"reindexed {done} professionals in {seconds:.1f} s: {dict(outcome)}")
    return outcome


def prune() -> Counter:
    """Remove the entries of documents whose professional is no longer in the table."""
    outcome: Counter = Counter()
    ids = [item["id"] for item in index.scan_items()
           if item["sk"] == index.DOC_SK and not item.get("gone") and "id" in item]
    for start in range(0, len(ids), db.BATCH_GET_MAX):
        chunk = ids[start:start + db.BATCH_GET_MAX]
        alive = db.batch_get(professional_pk(i) for i in chunk)
        for professional_id in chunk:
            if professional_pk(professional_id) not in alive:
                outcome[indexer.remove(professional_id, 0)] += 1
    return outcome


def main(argv: list[str]) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m infra search reindex", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restart", action="store_true", help="start over, not where it stopped")
    args = parser.parse_args(argv)
    reindex(restart=args.restart, say=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
