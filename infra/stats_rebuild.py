"""``python -m infra stats rebuild --from DATE [--to DATE]``: the daily counters that the table
itself can tell, recomputed for days before the counters existed (or after an outage of their
consumer).

From one Scan of the professionals table: sign-ups by ``source`` on their ``created_at`` day,
and resumes ``ready`` / ``rejected`` (by reason) on their ``processed_at`` day, the same days
the stream consumer counts them on (chalicelib/stats/events.py). Those fields are SET, not
ADDed, so a second run writes the same figures. What the table does not keep is left as it is:
mails, bulk rows and erasures (a deleted record leaves no trace), sign-ups of records deleted
since, and resume attempts replaced by a newer one (docs/operations.md).
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import date
from typing import Any, Callable

from chalicelib.stats import counters

REBUILT = (*counters.SIGNUPS.values(), counters.RESUMES_READY,
           *(counters.rejected(r) for r in counters.REASONS))


def add_command(commands: Any) -> None:
    stats = commands.add_parser("stats", help="the daily counters: rebuild")
    actions = stats.add_subparsers(dest="action", required=True)
    command = actions.add_parser(
        "rebuild", help="recompute sign-ups and resumes per day from the table (safe to rerun)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("--from", dest="first", type=date.fromisoformat, required=True,
                         help="first UTC day, YYYY-MM-DD")
    command.add_argument("--to", dest="last", type=date.fromisoformat,
                         help="last UTC day, YYYY-MM-DD (default: today)")


def run(args: argparse.Namespace) -> int:
    last = args.last or date.fromisoformat(counters.today())
    if args.first > last:
        print("--from must be on or before --to")
        return 2
    days = rebuild(args.first, last, say=lambda line: print(line, flush=True))
    print(f"{len(days)} day(s) rebuilt in {counters.table_name()}")
    return 0


def count_days(first: date, last: date) -> dict[str, Counter[str]]:
    """Every day from ``first`` to ``last``, with what the table says about it."""
    from chalicelib import clients
    from chalicelib.settings import get_settings
    from chalicelib.stats.events import FINAL
    wanted = {d.isoformat(): Counter() for d in counters.days_between(first, last)}
    kwargs: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "FilterExpression": "begins_with(pk, :pro)",
        "ProjectionExpression": "#source, created_at, resume",
        "ExpressionAttributeNames": {"#source": "source"},
        "ExpressionAttributeValues": {":pro": {"S": "PRO#"}},
    }
    paginator = clients.dynamodb().get_paginator("scan")
    for page in paginator.paginate(**kwargs):
        for item in page.get("Items", []):
            created = item.get("created_at", {}).get("S", "")[:10]
            source = item.get("source", {}).get("S")
            if created in wanted and source in counters.SIGNUPS:
                wanted[created][counters.SIGNUPS[source]] += 1
            resume = json.loads(item["resume"]["S"]) if item.get("resume", {}).get("S") else None
            if resume and resume.get("status") in FINAL:
                processed = str(resume.get("processed_at") or "")[:10]
                if processed in wanted:
                    wanted[processed][counters.RESUMES_READY if resume["status"] == "ready"
                                      else counters.rejected(resume.get("reason") or "unknown")] += 1
    return wanted


def rebuild(first: date, last: date, say: Callable[[str], None] = lambda _: None
            ) -> dict[str, Counter[str]]:
    days = count_days(first, last)
    for day, found in days.items():
        counters.set_fields(day, {**{name: 0 for name in REBUILT}, **found})
        if found:
            say(f"{day}: " + ", ".join(f"{k} {v}" for k, v in sorted(found.items())))
    return days
