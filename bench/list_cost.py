"""Cost of GET /professionals's engine (chalicelib.listing.list_professionals) as the table grows.

Fills a DynamoDB Local table (in memory) to 1,000 professionals and then to --size (default
100,000), spread over the sources direct/partner/internal (50/30/20 %), with BatchWriteItem
(25 items a call, several threads; items built by chalicelib.professionals.new_item, for a partner
caller where the source is partner, so ``partner``/``partner_key_id`` and the by_partner index's
keys are set; no guard items: listing does not read them). The partner records belong to 18
partners; the measured one owns 10 % of the first 1,000 and 1 % of the rest (1.1 % of 100,000),
and staff moved 5 % of its records to another source. At each size it measures a page of 25 as
staff: unfiltered, ?source=partner, and the second page of each through its cursor; and as the
measured partner (its own records, by_partner): the same four pages, and ?email= look-ups of
someone else's address (0 items) and of its own (1): DynamoDB requests by operation, items
returned, wall ms (median of --runs).

Budget: at most one request, a Query, per source a staff page covers (3 unfiltered, 1 filtered),
one Query per partner page or look-up, the same request counts at both sizes, and a page holds
only what it should (a partner's own records, the source asked for). Exit 1 if broken.

    .venv/bin/python bench/list_cost.py [--size 100000] [--threads 8] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import _common  # noqa: F401  (sets env, installs the request counter)  # isort: skip
from _common import COUNTER, format_table, headline, ops_text, use_table, write_summary

import boto3
from botocore.config import Config

from chalicelib.auth import PARTNER, STAFF, Caller
from chalicelib.listing import list_professionals
from chalicelib.professionals import new_item
from infra.dynamodb_local import DynamoDBLocal

SMALL = 1000
SOURCES = ["direct"] * 5 + ["partner"] * 3 + ["internal"] * 2
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
STAFF_CALLER = Caller(role=STAFF, name="ops", key_id="bench-staff")
MEASURED = Caller(role=PARTNER, name="bench-acme", key_id="bench-acme-key")
OTHER_PARTNERS = 17
MOVED_SHARE = 0.05  # of the measured partner's records, whose source staff changed
# label, caller, params (cursor filled in from the page-1 case named), Query budget
CASES = [
    ("unfiltered, page 1", STAFF_CALLER, {}, None, 3),
    ("unfiltered, page 2 (cursor)", STAFF_CALLER, {}, "unfiltered, page 1", 3),
    ("source=partner, page 1", STAFF_CALLER, {"source": "partner"}, None, 1),
    ("source=partner, page 2 (cursor)", STAFF_CALLER, {"source": "partner"},
     "source=partner, page 1", 1),
    ("partner: own, page 1", MEASURED, {}, None, 1),
    ("partner: own, page 2 (cursor)", MEASURED, {}, "partner: own, page 1", 1),
    ("partner: source=partner, page 1", MEASURED, {"source": "partner"}, None, 1),
    ("partner: source=partner, page 2 (cursor)", MEASURED, {"source": "partner"},
     "partner: source=partner, page 1", 1),
    # n = 6 is another partner's record, n = 5 the measured partner's (owner() below)
    ("partner: email of another's record", MEASURED, {"email": "listed-6@example.com"}, None, 1),
    ("partner: email of its own record", MEASURED, {"email": "listed-5@example.com"}, None, 1),
]
EXPECTED_ITEMS = {"partner: email of another's record": 0,
                  "partner: email of its own record": 1}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def owner(n: int) -> Caller:
    """Who created professional n: staff for direct/internal, else one of the partners; the
    measured partner has 10 % of the first 1,000 (pages 1 and 2 are full there too), 1 % after."""
    if SOURCES[n % len(SOURCES)] != "partner":
        return STAFF_CALLER
    if n % 100 == 5 or (n < SMALL and n % 10 == 5):
        return MEASURED
    name = f"bench-partner-{n % OTHER_PARTNERS}"
    return Caller(role=PARTNER, name=name, key_id=f"{name}-key")


def make_item(n: int, rng: random.Random) -> dict:
    """One professional's raw DynamoDB map, as professionals.new_item builds it for its creator
    (created at a random moment of a year)."""
    pid = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    created = iso(EPOCH + timedelta(milliseconds=rng.randrange(365 * 24 * 3600 * 1000)))
    source = SOURCES[n % len(SOURCES)]
    creator = owner(n)
    if creator == MEASURED and rng.random() < MOVED_SHARE:
        source = "internal"  # staff changed it: still the partner's record, not source=partner
    item = new_item({"full_name": f"Listed Person {n}", "email": f"listed-{n}@example.com",
                     "phone": f"+1{2000000000 + n}", "company_name": "Bench Co",
                     "job_title": "Engineer"}, source=source, caller=creator, professional_id=pid)
    item.created_at = item.updated_at = created
    item.list_key = f"{created}#{pid}"
    return item.serialize()


def fill(endpoint: str, table: str, start: int, stop: int, threads: int) -> float:
    """Write professionals number start..stop-1; returns seconds taken."""
    todo = list(range(start, stop))
    chunks = [todo[i:i + 25] for i in range(0, len(todo), 25)]
    done = Counter()
    lock = threading.Lock()
    local = threading.local()
    began = time.perf_counter()
    last_print = [began]

    def client():
        if not hasattr(local, "client"):
            local.client = boto3.client(
                "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                config=Config(retries={"max_attempts": 10, "mode": "standard"},
                              max_pool_connections=threads))
        return local.client

    def write(chunk: list[int]) -> None:
        rng = random.Random(chunk[0])
        request = {table: [{"PutRequest": {"Item": make_item(n, rng)}} for n in chunk]}
        for attempt in range(20):
            unprocessed = client().batch_write_item(RequestItems=request).get("UnprocessedItems")
            if not unprocessed:
                break
            request = unprocessed
            time.sleep(min(1.0, 0.05 * 2 ** attempt))
        else:
            raise RuntimeError("BatchWriteItem kept returning unprocessed items")
        with lock:
            done["items"] += len(chunk)
            now = time.perf_counter()
            if now - last_print[0] >= 5 or done["items"] == len(todo):
                last_print[0] = now
                rate = done["items"] / (now - began)
                print(f"  filled {start + done['items']:>7}/{stop} ({rate:,.0f} items/s)",
                      file=sys.stderr, flush=True)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(write, chunks))
    return time.perf_counter() - began


def measure(size: int, runs: int) -> list[dict]:
    """Each case ``runs`` times; request counts must be equal across runs (else reported)."""
    cursors: dict[str, str | None] = {}
    out = []
    for label, caller, params, cursor_from, covered in CASES:
        params = dict(params)
        if cursor_from:
            if not cursors.get(cursor_from):
                out.append({"size": size, "label": label, "skipped": True})
                continue
            params["cursor"] = cursors[cursor_from]
        timings, store, counts_seen, returned, read = [], [], [], set(), set()
        foreign = set()
        for _ in range(runs):
            COUNTER.reset()
            began = time.perf_counter()
            page = list_professionals(params, caller)
            timings.append((time.perf_counter() - began) * 1000)
            store.append(COUNTER.wait_seconds * 1000)
            counts_seen.append(COUNTER.snapshot())
            returned.add(len(page["items"]))
            read.add(COUNTER.items_read)
            # a partner sees only its own records; a source filter only that source
            foreign |= {i["email"] for i in page["items"]
                        if (caller.role == PARTNER and owner(
                            int(i["email"].split("-")[1].split("@")[0])) != caller)
                        or i["source"] != params.get("source", i["source"])}
        cursors[label] = page["next_cursor"]
        counts = max(counts_seen, key=lambda c: sum(c.values()))
        out.append({"size": size, "label": label, "counts": counts,
                    "total": sum(counts.values()), "stable": all(c == counts for c in counts_seen),
                    "items": "/".join(map(str, sorted(returned))), "ms": statistics.median(timings),
                    "read": "/".join(map(str, sorted(read))),
                    "store_ms": statistics.median(store),
                    "covered": covered, "next": page["next_cursor"] is not None,
                    "foreign": sorted(foreign), "returned": returned})
    return out


def summary_rows(results: list[dict], problems: list[str]) -> list[dict]:
    """Each page at the large size against the same page at 1,000."""
    def text(r: dict) -> str:
        return (f"{r['total']} request{'s' if r['total'] != 1 else ''}, {r['read']} items read, "
                f"{r['ms']:.1f} ms")

    measured = {(r["size"], r["label"]): r for r in results if not r.get("skipped")}
    large = max(r["size"] for r in results)
    rows = []
    for label, _, _, _, covered in CASES:
        small_r, large_r = measured.get((SMALL, label)), measured.get((large, label))
        if not small_r or not large_r or large == SMALL:
            continue
        broken = [p for p in problems if label in p]
        rows.append(headline(
            f"list {label}, at {large:,} items", text(large_r), f"at {SMALL:,}: "
            + text(small_r), f"{large_r['ms'] / small_r['ms']:.2f}x time",
            f"<= {covered} Query, same at both sizes: " + ("BROKEN" if broken else "ok"),
            size=large, requests=large_r["total"], ms=large_r["ms"], small_ms=small_r["ms"]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000,
                        help="the large table size (default 100000; the small one is 1000)")
    parser.add_argument("--threads", type=int, default=8, help="fill threads (default 8)")
    parser.add_argument("--runs", type=int, default=5, help="runs per case, median (default 5)")
    args = parser.parse_args()
    sizes = [SMALL] + ([args.size] if args.size > SMALL else [])
    table = f"bench-list-{uuid.uuid4().hex[:8]}"
    results: list[dict] = []
    fills: list[tuple[int, float]] = []
    load_before = os.getloadavg()[0]

    with DynamoDBLocal() as ddb:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.endpoint_url
        print(f"DynamoDB Local at {ddb.endpoint_url} (in memory), table {table}", file=sys.stderr)
        use_table(table)
        # The first call in the process (binds the models): what does it send?
        COUNTER.reset()
        list_professionals({}, STAFF_CALLER)
        cold = COUNTER.snapshot()
        filled = 0
        for size in sizes:
            print(f"filling to {size:,} with {args.threads} threads ...", file=sys.stderr)
            seconds = fill(ddb.endpoint_url, table, filled, size, args.threads)
            fills.append((size - filled, seconds))
            filled = size
            measure(size, 3)  # unmeasured: warms the emulator's JIT and caches for this size
            results += measure(size, args.runs)

    headers = ["table size", "page", "requests by operation", "total", "Query budget",
               "items", "items read", "next_cursor", "median ms", "in store ms"]
    rows = []
    for r in results:
        if r.get("skipped"):
            rows.append([r["size"], r["label"], "(no cursor from page 1)", "-", "-", "-", "-",
                         "-", "-", "-"])
            continue
        ops = ops_text(r["counts"]) + ("" if r["stable"] else " (varied across runs: max)")
        rows.append([r["size"], r["label"], ops, r["total"], r["covered"], r["items"], r["read"],
                     "yes" if r["next"] else "no", round(r["ms"], 1), round(r["store_ms"], 1)])
    print()
    print(f"list_professionals cost on DynamoDB Local (limit 25, {args.runs} runs per case; "
          f"load average {load_before:.1f} at start)")
    print("(items read = Count summed over the Query responses, after a filter; in store ms = "
          "median time "
          "waiting on the emulator; a warm-up round precedes each size)")
    print(format_table(headers, rows))
    print(f"first call in the process (empty table): {ops_text(cold)}")
    print("fill: " + "; ".join(f"{n:,} items in {s:.1f} s ({n / s:,.0f}/s, {args.threads} threads)"
                               for n, s in fills))
    if args.size != 100_000:
        print(f"NOTE: large size set to {args.size:,} with --size (default 100,000)")

    problems = []
    for r in results:
        if r.get("skipped"):
            problems.append(f"{r['size']} {r['label']}: no cursor")
            continue
        if r["counts"].get("Query", 0) > r["covered"] or r["total"] > r["covered"]:
            problems.append(f"{r['size']} {r['label']}: {ops_text(r['counts'])} > "
                            f"{r['covered']} Query")
        if r["foreign"]:
            problems.append(f"{r['size']} {r['label']}: records it must not show "
                            f"{r['foreign'][:3]}")
        expected = EXPECTED_ITEMS.get(r["label"])
        if expected is not None and r["returned"] != {expected}:
            problems.append(f"{r['size']} {r['label']}: {r['items']} items, not {expected}")
    by_label: dict[str, set] = {}
    for r in results:
        if not r.get("skipped"):
            by_label.setdefault(r["label"], set()).add(tuple(sorted(r["counts"].items())))
    for label, variants in by_label.items():
        if len(variants) > 1:
            problems.append(f"{label}: request counts differ between sizes {sorted(variants)}")
    if len(sizes) < 2:
        problems.append("only one size measured")
    write_summary(summary_rows(results, problems),
                  " and ".join(f"{s:,}" for s in sizes) + f" items, {args.runs} runs per page")
    print("\nBUDGETS " + ("OK: <= 1 Query per source a staff page covers, 1 per partner page "
                          "or look-up, only what each page should show, equal request counts at "
                          + " and ".join(f"{s:,}" for s in sizes)
                          if not problems else "BROKEN: " + "; ".join(problems)))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
