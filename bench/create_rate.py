"""Creates per second through the local stack's HTTP API: 1 client, then 8 concurrent clients.

Starts its own local stack (``python -m infra.local_stack``: DynamoDB Local + moto server, or
LocalStack with --emulator localstack) on a free port, with its own data folder, table and staff
key and no demo data, and POSTs /api/professionals as staff (a unique email and US phone per
request). Each client is a thread with its own requests.Session, all released at
once; wall time runs from the release to the last response. An unmeasured warm-up round comes
first (each API process binds its clients on its first request; the emulator's JVM is cold).

Budget: every create answers 201. Exit 1 otherwise (the first bodies are printed).

    .venv/bin/python bench/create_rate.py [--creates 100] [--single-creates 200] [--clients 8]
        [--emulator moto|localstack] [--workers N]
"""
from __future__ import annotations

import argparse
import math
import os
import secrets
import statistics
import sys
import threading
import time
from collections import Counter

import _common  # noqa: F401  (sets env)  # isort: skip
from _common import Stack, format_table, headline, write_summary

import requests


def phone(n: int) -> str:
    """+1 628 2xx xxxx (San Francisco): valid US numbers, a million of them."""
    digits = f"{2000000 + n:07d}"
    return f"+1 628 {digits[:3]} {digits[3:]}"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def run_clients(stack: Stack, clients: int, creates: int, first: int, tag: str) -> dict:
    """``clients`` threads, ``creates`` POSTs each, numbered from ``first`` (unique values)."""
    api, key = stack.api, stack.staff_key
    release = threading.Barrier(clients + 1)
    latencies: list[float] = []
    errors: list[tuple[object, str]] = []
    ends: list[float] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        mine, failed = [], []
        with requests.Session() as session:
            session.headers["X-Api-Key"] = key
            release.wait()
            for i in range(creates):
                n = first + c * creates + i
                body = {"full_name": f"Rate {tag} {n}", "email": f"rate-{tag}-{n}@example.com",
                        "phone": phone(n), "company_name": "Bench Co", "job_title": "Engineer"}
                began = time.perf_counter()
                try:
                    response = session.post(f"{api}/professionals", json=body, timeout=60)
                    status, text = response.status_code, response.text
                except requests.RequestException as exc:
                    status, text = "no response", repr(exc)
                mine.append(time.perf_counter() - began)
                if status != 201:
                    failed.append((status, text[:500]))
            ended = time.perf_counter()
        with lock:
            ends.append(ended)
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    for thread in threads:
        thread.start()
    release.wait()
    began = time.perf_counter()
    spread: list[int] = []  # the fullest sample of connections per API process
    while any(thread.is_alive() for thread in threads):
        spread = max(spread, stack.connections_per_process(), key=sum)
        time.sleep(0.5)
    wall = max(ends) - began
    return {"clients": clients, "creates": clients * creates, "wall": wall, "spread": spread,
            "rate": clients * creates / wall, "p50": statistics.median(latencies) * 1000,
            "p95": percentile(latencies, 0.95) * 1000, "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=100,
                        help="creates per client in the concurrent run (default 100)")
    parser.add_argument("--single-creates", type=int,
                        help="creates in the 1-client run (default 2 x --creates)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="unmeasured creates per client before measuring (default 5)")
    parser.add_argument("--emulator", choices=["moto", "localstack"], default="moto",
                        help="S3/SQS emulator of the stack (default moto); DynamoDB Local always")
    parser.add_argument("--workers", type=int,
                        help="LOCAL_API_WORKERS for the stack (default: the environment's, "
                             "else the server's default, 4)")
    args = parser.parse_args()
    single = args.single_creates or 2 * args.creates
    tag = secrets.token_hex(3)
    workers = args.workers or os.environ.get("LOCAL_API_WORKERS")
    extra = {"LOCAL_API_WORKERS": str(workers)} if workers else {}
    load_before = os.getloadavg()[0]

    with Stack(args.emulator, **extra) as stack:
        processes = len(stack.api_pids()) or None
        setting = extra.get("LOCAL_API_WORKERS", "unset (server default 4)")
        print(f"warm-up: {args.clients} clients x {args.warmup} creates ...", file=sys.stderr)
        warm = run_clients(stack, args.clients, args.warmup, 0, tag)
        first = warm["creates"]
        results = []
        for clients, creates in ((1, single), (args.clients, args.creates)):
            print(f"{clients} client(s) x {creates} creates ...", file=sys.stderr, flush=True)
            results.append(run_clients(stack, clients, creates, first, tag))
            first += clients * creates
        ready_seconds = stack.ready_seconds
    load_after = os.getloadavg()[0]

    one, many = results
    speedup = many["rate"] / one["rate"]
    print()
    print(f"POST /api/professionals as staff against the local stack ({args.emulator}: DynamoDB "
          f"Local + {args.emulator} server; ready in {ready_seconds:.1f} s)")
    print(f"API processes: {processes if processes is not None else '?'} "
          f"(LOCAL_API_WORKERS={setting}); load average {load_before:.1f} at start, "
          f"{load_after:.1f} at end; warm-up: {warm['creates']} creates, "
          f"{len(warm['errors'])} errors (not counted)")
    print(format_table(["clients", "creates", "wall s", "creates/s", "p50 ms", "p95 ms",
                        "errors", "connections per API process"],
                       [[r["clients"], r["creates"], round(r["wall"], 2), round(r["rate"], 1),
                         round(r["p50"], 1), round(r["p95"], 1), len(r["errors"]),
                         "/".join(map(str, r["spread"])) or "?"] for r in results]))
    print(f"speed-up {many['clients']} clients vs 1: {speedup:.2f}x creates/s")
    print("connections per API process: the fullest sample during the run (each process serves "
          "one request at a time and accepts only while idle; the server closes the connection "
          "after each API response)")

    errors = one["errors"] + many["errors"]
    for (status, body), count in Counter(errors).most_common(5):
        print(f"  {count} x {status}: {body}")
    write_summary([
        headline(f"creates/s, 1 client x {one['creates']} (HTTP, local stack)",
                 f"{one['rate']:.1f}/s (p50 {one['p50']:.0f} ms, p95 {one['p95']:.0f} ms)",
                 "-", "-",
                 f"errors {len(one['errors'])}: {'ok' if not one['errors'] else 'BROKEN'}",
                 rate=one["rate"], p50_ms=one["p50"], p95_ms=one["p95"]),
        headline(f"creates/s, {many['clients']} clients x {args.creates} "
                 f"({processes} API processes)",
                 f"{many['rate']:.1f}/s (p50 {many['p50']:.0f} ms, p95 {many['p95']:.0f} ms)",
                 f"1 client: {one['rate']:.1f}/s; connections per API process "
                 + "/".join(map(str, many["spread"])),
                 f"{speedup:.2f}x (vs 1 client)",
                 f"errors {len(many['errors'])}: {'ok' if not many['errors'] else 'BROKEN'}",
                 rate=many["rate"], p50_ms=many["p50"], p95_ms=many["p95"], speedup=speedup,
                 connections_per_process=many["spread"]),
    ], f"1 client x {single}, {args.clients} clients x {args.creates}, after a warm-up of "
       f"{args.clients} x {args.warmup}; {args.emulator}, {processes} API processes")
    if errors:
        print(f"\nBUDGETS BROKEN: {len(errors)} creates did not answer 201")
        return 1
    print("\nBUDGETS OK: every create answered 201")
    return 0


if __name__ == "__main__":
    sys.exit(main())
