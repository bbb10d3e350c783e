"""What an Idempotency-Key (chalicelib/idempotency.py, contract 7.3) costs in DynamoDB requests
per POST, through the app.

Drives app.py with chalice.test.Client (as the tests do, tests/conftest.py) against DynamoDB Local
(in memory; the tables of infra.resources.create_app_tables), with a partner key:
  POST /professionals     without a key; with a new key; the same request again (a replay); the
                          same key with another body (422 idempotency_key_reused); each --runs
                          times with new people and keys, after an unmeasured warm-up round
  POST /professionals/bulk  1,000 new rows (bulk_cost.new_rows), each on fresh tables: without
                          a key; with a key; that request again (a replay)
Requests by operation (auth's GetItem of the API key included), those naming the idempotency
table, and the difference against the same route without a key; the kept record of the bulk
response: its size as DynamoDB counts an item, against the 400 KB item limit.

Budgets: a new key adds at most 2 requests, both on the idempotency table (a conditional PutItem
before, an UpdateItem after); a replay and a reused key make 1 idempotency request and write
nothing else; a bulk of 1,000 with a key stays within bulk_cost.py's budget for 1,000 new rows
(section 3) + 3, and adds at most 3 to the same bulk without a key; the kept bulk record is at
most a quarter of the item limit. Exit 1 if broken.

    .venv/bin/python bench/idempotency_cost.py [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter

import _common  # noqa: F401  (sets env, installs the request counter)  # isort: skip
from _common import COUNTER, format_table, headline, ops_text, use_table, write_summary

# Quiet the app's request lines (stderr) before app.py creates its logger.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from bulk_cost import BUDGETS, new_rows  # noqa: E402  (section 3's budget and rows)
from chalice.test import Client  # noqa: E402

from chalicelib import auth, clients  # noqa: E402
from chalicelib.settings import get_settings  # noqa: E402
from infra.dynamodb_local import DynamoDBLocal  # noqa: E402
from infra.gateway import EnvelopeGateway  # noqa: E402

# A stage .chalice/config.json does not name: chalice.test.Client then sets only the common
# variables for each request, not the test stage's TABLE_NAME, so each scenario gets tables of
# its own (deleting and re-creating one name slows DynamoDB Local down, bulk after bulk).
STAGE = "bench"
PARTNER_NAME = "bench-acme"
ROWS = 1000
ITEM_LIMIT = 400 * 1024
KEPT_BUDGET = ITEM_LIMIT // 4
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class TableCounter:
    """Requests of one client by the table they name (every idempotency call names one)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def on_send(self, request=None, event_name: str = "", **kwargs):  # noqa: ANN001, ANN003
        try:
            table = json.loads(request.body or b"{}").get("TableName", "?")
        except ValueError:
            table = "?"
        if table == get_settings().idempotency_table_name:
            self.counts[event_name.rsplit(".", 1)[-1]] += 1
        return None


IDEMPOTENCY = TableCounter()


def fresh_tables(name: str) -> str:
    """New tables (professionals, search, idempotency) and a partner key on them, returned."""
    use_table(name)
    key, _ = auth.create_key("partner", PARTNER_NAME)
    return key


def person(tag: str) -> dict[str, str]:
    return {"full_name": f"Kept {tag}", "email": f"kept-{tag}@example.com",
            "company_name": "Bench Co", "job_title": "Engineer"}


def send(client: Client, api_key: str, path: str, body: object, key: str | None) -> dict:
    """One POST, counted: status, replayed, requests by operation, idempotency requests, ms."""
    headers = {"Content-Type": "application/json", "X-Api-Key": api_key}
    if key is not None:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode()
    COUNTER.reset()
    IDEMPOTENCY.counts.clear()
    began = time.perf_counter()
    response = client.http.post(path, headers=headers, body=data)
    ms = (time.perf_counter() - began) * 1000
    store_ms = COUNTER.wait_seconds * 1000
    counts = COUNTER.snapshot()
    idem = Counter(IDEMPOTENCY.counts)
    other_writes = sum(n for op, n in (counts - idem).items() if op in WRITES)
    parsed = json.loads(response.body) if response.body else None
    return {"status": response.status_code, "body": parsed, "bytes": len(response.body or b""),
            "replayed": response.headers.get("Idempotent-Replayed") == "true",
            "counts": counts, "total": sum(counts.values()), "idem": idem,
            "idem_total": sum(idem.values()), "other_writes": other_writes, "ms": ms,
            "store_ms": store_ms}


def single_round(client: Client, api_key: str, tag: str) -> dict[str, dict]:
    key = f"bench-{tag}"
    first = person(f"{tag}-keyed")
    return {
        "no key": send(client, api_key, "/professionals", person(f"{tag}-plain"), None),
        "new key": send(client, api_key, "/professionals", first, key),
        "replay": send(client, api_key, "/professionals", first, key),
        "reused key, other body": send(client, api_key, "/professionals",
                                       {**first, "job_title": "Analyst"}, key),
    }


SINGLE_EXPECT = {  # case: (status, replayed, error code)
    "no key": (201, False, None), "new key": (201, False, None),
    "replay": (201, True, None), "reused key, other body": (422, False, "idempotency_key_reused"),
}


def kept_record_bytes() -> tuple[int, int]:
    """(size of the one kept record as DynamoDB counts an item, its data's JSON uncompressed):
    attribute names plus values; a number is about one byte per two digits, plus one."""
    import base64
    import zlib
    items = clients.dynamodb().scan(
        TableName=get_settings().idempotency_table_name)["Items"]
    assert len(items) == 1, f"{len(items)} kept records, expected 1"
    item = items[0]
    size = sum(len(name.encode()) + value_bytes(value) for name, value in item.items())
    data = json.loads(item["data"]["S"])
    return size, len(zlib.decompress(base64.b64decode(data["z"])))


def value_bytes(value: dict) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = raw.lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_bytes(v) for k, v in raw.items())
    if kind == "L":
        return 3 + sum(1 + value_bytes(v) for v in raw)
    return 1  # BOOL, NULL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5,
                        help="rounds of the single-POST cases, median ms (default 5)")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:6]
    load_before = os.getloadavg()[0]
    from app import app

    with DynamoDBLocal() as ddb, Client(app, stage_name=STAGE) as client:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.endpoint_url
        print(f"DynamoDB Local at {ddb.endpoint_url} (in memory)", file=sys.stderr)
        client.http._local_gateway = EnvelopeGateway(app, client.http._config)
        clients.dynamodb().meta.events.register("before-send.dynamodb", IDEMPOTENCY.on_send,
                                                unique_id="bench-idempotency-table")
        api_key = fresh_tables(f"bench-idem-single-{run}")
        single_round(client, api_key, f"{run}-warm")  # unmeasured: JIT, connections, imports
        send(client, api_key, "/professionals/bulk", new_rows(f"w{run}", 0, ROWS), "warm")
        rounds = [single_round(client, api_key, f"{run}-{i}") for i in range(args.runs)]

        print(f"bulk of {ROWS:,} rows, without and with a key ...", file=sys.stderr)
        rows = new_rows(f"i{run}", 0, ROWS)  # fresh tables each: the same rows both times
        bulk = {}
        api_key = fresh_tables(f"bench-idem-bulk-{run}")
        bulk["no key"] = send(client, api_key, "/professionals/bulk", rows, None)
        api_key = fresh_tables(f"bench-idem-bulk-key-{run}")
        bulk["new key"] = send(client, api_key, "/professionals/bulk", rows, f"bulk-{run}")
        bulk["replay"] = send(client, api_key, "/professionals/bulk", rows, f"bulk-{run}")
        kept_bytes, kept_json = kept_record_bytes()

    problems: list[str] = []
    single: dict[str, dict] = {}
    for case, (status, replayed, code) in SINGLE_EXPECT.items():
        results = [r[case] for r in rounds]
        counts = [r["counts"] for r in results]
        worst = max(results, key=lambda r: r["total"])
        single[case] = {**worst, "stable": all(c == counts[0] for c in counts),
                        "ms": statistics.median(r["ms"] for r in results),
                        "store_ms": statistics.median(r["store_ms"] for r in results)}
        for r in results:
            got_code = (r["body"] or {}).get("error", {}).get("code") if r["status"] >= 400 \
                else None
            if (r["status"], r["replayed"], got_code) != (status, replayed, code):
                problems.append(f"POST /professionals {case}: {r['status']} "
                                f"replayed={r['replayed']} {got_code}")
                break
    for case, status, replayed in (("no key", 207, False), ("new key", 207, False),
                                   ("replay", 207, True)):
        r = bulk[case]
        created = (r["body"] or {}).get("summary", {}).get("created")
        if (r["status"], r["replayed"], created) != (status, replayed, ROWS):
            problems.append(f"bulk {case}: {r['status']} replayed={r['replayed']} "
                            f"created={created}")

    def over(r: dict, base: dict) -> str:
        extra = r["total"] - base["total"]
        added = ops_text(r["counts"] - base["counts"])
        return f"{extra:+d}" + (f" ({added})" if extra > 0 else "")

    # budgets: a new key adds <= 2, all on the idempotency table; replays and reuses make one
    # idempotency request and write nothing else
    verdicts: dict[str, str] = {}
    for route, results in (("POST /professionals", single), ("POST /professionals/bulk", bulk)):
        base, keyed = results["no key"], results["new key"]
        extra = keyed["total"] - base["total"]
        ok = extra <= 2 and keyed["idem_total"] <= 2 and extra == keyed["idem_total"]
        verdicts[(route, "new key")] = f"<= +2, idempotency only: {'ok' if ok else 'BROKEN'}"
        if not ok:
            problems.append(f"{route} new key: {extra:+d} requests over no key, "
                            f"{keyed['idem_total']} on the idempotency table")
        for case in ("replay", "reused key, other body"):
            r = results.get(case)
            if r is None:
                continue
            ok = r["idem_total"] <= 1 and r["other_writes"] == 0
            verdicts[(route, case)] = f"1 idempotency request, no write: {'ok' if ok else 'BROKEN'}"
            if not ok:
                problems.append(f"{route} {case}: {r['idem_total']} idempotency requests, "
                                f"{r['other_writes']} other writes")
    section3 = BUDGETS["a"]
    keyed_bulk, plain_bulk = bulk["new key"], bulk["no key"]
    bulk_ok = keyed_bulk["total"] <= section3 + 3 and \
        keyed_bulk["total"] - plain_bulk["total"] <= 3
    verdicts[("POST /professionals/bulk", "new key")] += (
        f"; <= {section3} + 3 = {section3 + 3}: {'ok' if bulk_ok else 'BROKEN'}")
    if not bulk_ok:
        problems.append(f"bulk with a key: {keyed_bulk['total']} requests (no key: "
                        f"{plain_bulk['total']}), budget {section3} + 3")
    kept_ok = kept_bytes <= KEPT_BUDGET
    if not kept_ok:
        problems.append(f"kept bulk record {kept_bytes:,} bytes > {KEPT_BUDGET:,}")

    headers = ["route", "case", "status", "replayed", "requests by operation", "total",
               "idempotency table", "over no key", "median ms", "in store ms",
               "budget"]
    table = []
    for route, results in (("POST /professionals", single),
                           (f"POST /professionals/bulk ({ROWS:,} rows)", bulk)):
        base = results["no key"]
        for case, r in results.items():
            ops = ops_text(r["counts"]) + ("" if r.get("stable", True) else " (varied: max)")
            table.append([route, case, r["status"], "yes" if r["replayed"] else "no", ops,
                          r["total"], ops_text(r["idem"]), over(r, base), round(r["ms"], 1),
                          round(r["store_ms"], 1),
                          verdicts.get((route.split(" (")[0], case), "-")])
    print()
    print(f"Idempotency-Key cost through the app (chalice.test.Client, partner key) on DynamoDB "
          f"Local; load average {load_before:.1f} at start")
    print(f"(requests include the API key's GetItem; single POSTs: {args.runs} rounds with new "
          "people and keys, median ms; bulk: once each, fresh tables; in store ms = time waiting "
          "on the emulator)")
    print("(bulk wall times grow from one bulk to the next on one DynamoDB Local while the "
          "table's stream is on: compare requests, not those ms)")
    print(format_table(headers, table))
    print(f"kept record of the {ROWS:,}-row bulk response: {kept_bytes:,} bytes as DynamoDB "
          f"counts it ({kept_bytes / ITEM_LIMIT:.1%} of the 400 KB item limit; budget "
          f"<= {KEPT_BUDGET // 1024} KB); the kept JSON uncompressed: {kept_json:,} bytes; "
          f"the response body: {keyed_bulk['bytes']:,} bytes")

    s_base, s_key = single["no key"], single["new key"]
    summary = [
        headline("Idempotency-Key, POST /professionals: requests added by a new key",
                 f"{s_key['total'] - s_base['total']:+d} ({ops_text(s_key['idem'])})",
                 f"no key: {s_base['total']} ({ops_text(s_base['counts'])})", "-",
                 verdicts[("POST /professionals", "new key")],
                 requests=s_key["total"], no_key_requests=s_base["total"]),
        headline("Idempotency-Key, POST /professionals: a replay",
                 f"{single['replay']['total']} requests ({ops_text(single['replay']['counts'])})",
                 f"first request: {s_key['total']}", "-",
                 verdicts[("POST /professionals", "replay")],
                 requests=single["replay"]["total"]),
        headline(f"Idempotency-Key, bulk {ROWS:,} new rows: requests",
                 f"{keyed_bulk['total']} ({over(keyed_bulk, plain_bulk)})",
                 f"no key: {plain_bulk['total']}; replay: {bulk['replay']['total']}", "-",
                 f"<= {section3} + 3: {'ok' if bulk_ok else 'BROKEN'}",
                 requests=keyed_bulk["total"], no_key_requests=plain_bulk["total"],
                 replay_requests=bulk["replay"]["total"]),
        headline(f"Idempotency-Key, kept {ROWS:,}-row bulk response: item size",
                 f"{kept_bytes:,} bytes", f"400 KB item limit; JSON {kept_json:,} bytes",
                 f"{kept_bytes / ITEM_LIMIT:.1%} of the limit",
                 f"<= {KEPT_BUDGET // 1024} KB: {'ok' if kept_ok else 'BROKEN'}",
                 bytes=kept_bytes, json_bytes=kept_json),
    ]
    write_summary(summary, f"{args.runs} rounds of single POSTs, {ROWS:,}-row bulk")
    print("\nBUDGETS " + ("OK: a new key +2 requests at most, replays and reused keys 1 "
                          f"idempotency request and no write, bulk with a key <= {section3} + 3, "
                          f"kept bulk record <= {KEPT_BUDGET // 1024} KB"
                          if not problems else "BROKEN: " + "; ".join(problems)))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
