"""Cost of POST /professionals/bulk's engine (chalicelib.bulk.bulk_upsert) on DynamoDB Local.

Scenarios, each on a fresh table in an emulator of its own:
  (a) 1,000 new rows, unique email + phone
  (b) 1,000 rows: 200 update professionals pre-seeded by one bulk call (matched by email,
      changed job_title), 800 new
  (c) 1,000 new rows, 5% with a bad email
  baseline: the rows of (a) sent one at a time (one bulk_upsert call per row)

Counts every DynamoDB HTTP request (retries included) by operation. Budgets: (a) <= 55
requests, (b) <= 60. Exit 1 if a budget is broken.

    .venv/bin/python bench/bulk_cost.py [--rows 1000] [--skip-baseline]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import uuid

import _common  # noqa: F401  (sets env, installs the request counter)  # isort: skip
from _common import COUNTER, format_table, headline, ops_text, use_table, write_summary

import phonenumbers

from chalicelib.auth import Caller
from chalicelib.bulk import bulk_upsert
from infra.dynamodb_local import DynamoDBLocal

BUDGETS = {"a": 55, "b": 60}
STAFF = Caller(role="staff", name="ops")


def phone(n: int) -> str:
    number = f"+1415555{n:04d}"
    assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    return number


def new_rows(tag: str, start: int, count: int) -> list[dict[str, str]]:
    return [{"full_name": f"Bench {tag} {i}", "email": f"bench-{tag}-{i}@example.com",
             "phone": phone(i), "company_name": "Bench Co", "job_title": "Engineer"}
            for i in range(start, start + count)]


def measure(label: str, rows: list, *, calls: list[list] | None = None) -> dict:
    """Run bulk_upsert over ``rows`` (or over each list in ``calls``) and count requests."""
    COUNTER.reset()
    summary = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    started = time.perf_counter()
    for chunk in calls if calls is not None else [rows]:
        result = bulk_upsert(chunk, STAFF)
        for key, n in result["summary"].items():
            summary[key] += n
    elapsed = time.perf_counter() - started
    counts = COUNTER.snapshot()
    return {"label": label, "rows": len(rows), "summary": summary, "counts": counts,
            "total": sum(counts.values()), "seconds": elapsed, "store": COUNTER.wait_seconds}


def summary_rows(results: dict[str, dict]) -> list[dict]:
    """Requests per row of each scenario and (a)'s wall time, against the baseline's."""
    base = results.get("base")
    base_per_row = base["total"] / base["rows"] if base else None
    rows = []
    for key, what in (("a", "all new"), ("b", "20% updates"), ("c", "5% invalid")):
        r = results[key]
        per_row = r["total"] / r["rows"]
        budget = BUDGETS.get(key)
        rows.append(headline(
            f"bulk {r['rows']:,} rows, {what}: DynamoDB requests/row",
            f"{per_row:.3f} ({r['total']} requests)",
            f"one row per call: {base_per_row:.3f}" if base else "baseline skipped",
            f"{base_per_row / per_row:.0f}x fewer" if base else "-",
            f"<= {budget} requests: {'ok' if r['total'] <= budget else 'BROKEN'}"
            if budget else "-",
            requests=r["total"], rows=r["rows"], baseline_requests=base and base["total"]))
    a = results["a"]
    rows.append(headline(
        f"bulk {a['rows']:,} rows, all new: wall time (DynamoDB Local)", f"{a['seconds']:.2f} s",
        f"one row per call: {base['seconds']:.2f} s" if base else "baseline skipped",
        f"{base['seconds'] / a['seconds']:.1f}x faster" if base else "-",
        seconds=a["seconds"], baseline_seconds=base and base["seconds"]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="rows per scenario (default 1000)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="skip the one-row-at-a-time baseline")
    parser.add_argument("--no-warmup", action="store_true",
                        help="skip the unmeasured warm-up batch (the emulator's JVM is cold)")
    args = parser.parse_args()
    n = args.rows
    n_update = n // 5
    run = uuid.uuid4().hex[:8]
    results: dict[str, dict] = {}

    @contextlib.contextmanager
    def emulator(table: str):
        """Each scenario in an emulator of its own: DynamoDB Local charges every write to a
        table with a stream for the stream records tables created before it wrote (see
        docs/decisions.md, Import jobs), so fresh tables in one emulator get slower and slower.
        The JVM is warmed up on the measured table itself (its first transactions are ~2x
        slower), with rows the scenario does not use."""
        with DynamoDBLocal() as ddb:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.endpoint_url
            print(f"DynamoDB Local at {ddb.endpoint_url} (in memory): {table}", file=sys.stderr)
            use_table(table)
            if not args.no_warmup:
                warm = [{"full_name": f"Warm {i}", "email": f"bench-warm-{i}@example.com"}
                        for i in range(n)]  # no phones: the scenarios' own phones stay free
                bulk_upsert(warm, STAFF)
                bulk_upsert([{**row, "job_title": "x"} for row in warm], STAFF)
            yield

    # (a) all new
    rows_a = new_rows("a", 0, n)
    with emulator(f"bench-bulk-{run}-a"):
        results["a"] = measure(f"(a) {n} new", rows_a)

    # (b) 200 updates by email + 800 new, after pre-seeding 200 with one bulk call
    with emulator(f"bench-bulk-{run}-b"):
        seed = new_rows("b", 0, n_update)
        results["b-seed"] = measure(f"(b) pre-seed {n_update} new", seed)
        updates = [{"email": r["email"], "job_title": "Senior Engineer"} for r in seed]
        fresh = new_rows("b", n_update, n - n_update)
        rows_b: list[dict[str, str]] = []
        for i in range(n):  # every 5th row updates a seeded professional
            rows_b.append(updates.pop(0) if i % 5 == 0 and updates else fresh.pop(0))
        rows_b += updates + fresh
        results["b"] = measure(f"(b) {n_update} upd + {n - n_update} new", rows_b)

    # (c) 5% bad email
    with emulator(f"bench-bulk-{run}-c"):
        rows_c = new_rows("c", 0, n)
        for i in range(0, n, 20):
            rows_c[i]["email"] = f"not-an-email-{i}"
        results["c"] = measure(f"(c) {n} new, 5% bad email", rows_c)

    # baseline: same data as (a), one row per call
    if not args.skip_baseline:
        with emulator(f"bench-bulk-{run}-z"):
            print(f"baseline: {n} single-row calls ...", file=sys.stderr)
            results["base"] = measure(f"baseline: (a) one row per call", rows_a,
                                      calls=[[r] for r in rows_a])

    base = results.get("base")
    headers = ["scenario", "rows", "created", "updated", "unchanged", "failed",
               "requests by operation", "total", "req/row", "wall s", "in store s",
               "baseline/this"]
    table = []
    for key in ("a", "b-seed", "b", "c", "base"):
        r = results.get(key)
        if r is None:
            continue
        s = r["summary"]
        ratio = f"{base['seconds'] / r['seconds']:.1f}x" if base and key == "a" else "-"
        table.append([r["label"], r["rows"], s["created"], s["updated"], s["unchanged"],
                      s["failed"], ops_text(r["counts"]), r["total"],
                      round(r["total"] / r["rows"], 3), round(r["seconds"], 3),
                      round(r["store"], 3), ratio])
    print()
    print("bulk_upsert cost on DynamoDB Local (each scenario on a fresh table, own emulator; "
          "requests = HTTP requests incl. retries;")
    print("'in store s' = summed time from sending each request to its response; "
          "the rest of 'wall s' is Python)")
    print(format_table(headers, table))
    if base:
        a = results["a"]
        print(f"\nbaseline/bulk for (a): time {base['seconds'] / a['seconds']:.1f}x, "
              f"requests {base['total'] / a['total']:.1f}x")

    verdicts = []
    ok = True
    for key, budget in BUDGETS.items():
        total = results[key]["total"]
        holds = total <= budget
        ok &= holds
        verdicts.append(f"({key}) {total} <= {budget}: {'HOLDS' if holds else 'BROKEN'}")
    write_summary(summary_rows(results), f"{n:,} rows per scenario, one-row-per-call baseline "
                  + ("skipped" if args.skip_baseline else f"of {n:,} calls"))
    print("\nBUDGETS " + ("OK" if ok else "BROKEN") + ": " + "; ".join(verdicts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
