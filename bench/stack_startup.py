"""Start-up time and memory of ``make run``: the local stack from launch to healthy, and what its
processes hold once idle.

Each run starts a fresh stack as ``make run`` does once everything is installed
(``python -m infra.local_stack``: DynamoDB Local, moto server or LocalStack, the API in
``LOCAL_API_WORKERS`` processes, the resume and stream workers, the 10 demo professionals), on a
free port with its own data folder (bench/_common.Stack), and stops it with SIGTERM.

  - seconds to healthy: from launching the stack to ``GET /api/health`` answering 200, seen from
    outside (polled every 0.2 s), beside the stack's own count (``ready_seconds`` in its state
    file: its start to its health check passing);
  - memory, ``--settle`` seconds after healthy: every process of the stack's process tree, grouped
    by the component that started it, as PSS (proportional set size: a page shared by N
    processes counts 1/N in each, so the forked API workers' shared pages count once) and as the
    sum of RSS (shared pages counted in every process), from /proc/<pid>/smaps_rollup.

Medians over --runs for each emulator; LocalStack only if installed (``make localstack``).
No budget.

    .venv/bin/python bench/stack_startup.py [--runs 3] [--emulators moto,localstack] [--settle 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import _common  # noqa: F401  (sets env)  # isort: skip
from _common import Stack, format_table, headline, write_summary

from tests.e2e.stack import LOCALSTACK_STAMP

MB = 1024 * 1024


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # gone meanwhile
            pass
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += children(current)
    return pids


def memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in bytes of one process; (0, 0) if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0, 0
    fields = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in lines if ":" in line
              and line.split()[-1] == "kB"}
    return fields.get("Pss", 0), fields.get("Rss", 0)


def measure(stack: Stack) -> dict[str, dict[str, float]]:
    """Memory by component: the stack's own process, then each child it started (its tree)."""
    top = stack.running.proc.pid
    named = stack.state.get("children", {})
    groups: dict[str, list[int]] = {name: tree(pid) for name, pid in named.items()}
    inside = {pid for pids in groups.values() for pid in pids}
    groups = {"stack (supervisor)": [p for p in tree(top) if p not in inside], **groups}
    result = {}
    for name, pids in groups.items():
        pss, rss = map(sum, zip(*(memory(p) for p in pids))) if pids else (0, 0)
        result[name] = {"processes": len(pids), "pss": pss / MB, "rss": rss / MB}
    return result


def run_once(emulator: str, settle: float) -> dict:
    with Stack(emulator, seed=True) as stack:
        time.sleep(settle)
        return {"outside": stack.ready_seconds, "inside": float(stack.state["ready_seconds"]),
                "memory": measure(stack), "api_processes": len(stack.api_pids())}


def summarise(emulator: str, runs: list[dict]) -> dict:
    components = runs[0]["memory"].keys()
    return {
        "emulator": emulator, "runs": runs,
        "outside": statistics.median(r["outside"] for r in runs),
        "inside": statistics.median(r["inside"] for r in runs),
        "pss": statistics.median(sum(c["pss"] for c in r["memory"].values()) for r in runs),
        "rss": statistics.median(sum(c["rss"] for c in r["memory"].values()) for r in runs),
        "components": {name: {key: statistics.median(r["memory"][name][key] for r in runs)
                              for key in ("processes", "pss", "rss")} for name in components},
        "api_processes": runs[0]["api_processes"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="starts per emulator (default 3)")
    parser.add_argument("--emulators", default="moto,localstack",
                        help="comma-separated: moto, localstack (default both; LocalStack only "
                             "if installed)")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between healthy and the memory reading (default 3)")
    args = parser.parse_args()
    load = os.getloadavg()
    wanted = [e.strip() for e in args.emulators.split(",") if e.strip()]
    results, missing = [], []
    for emulator in wanted:
        if emulator == "localstack" and not LOCALSTACK_STAMP.exists():
            missing.append(emulator)
            continue
        runs = []
        for n in range(args.runs):
            print(f"{emulator}: start {n + 1} of {args.runs} ...", file=sys.stderr, flush=True)
            runs.append(run_once(emulator, args.settle))
        results.append(summarise(emulator, runs))

    print(f"make run (python -m infra.local_stack, demo data seeded): start-up and idle memory; "
          f"load average {load[0]:.1f} at start")
    print(format_table(
        ["emulator", "run", "healthy s (outside)", "stack's own s", "PSS MB", "RSS sum MB"],
        [[r["emulator"], n + 1, round(run["outside"], 2), round(run["inside"], 2),
          round(sum(c["pss"] for c in run["memory"].values()), 1),
          round(sum(c["rss"] for c in run["memory"].values()), 1)]
         for r in results for n, run in enumerate(r["runs"])]))
    for r in results:
        print(f"\n{r['emulator']}: memory by component, {args.settle:g} s after healthy "
              f"(medians of {len(r['runs'])} runs; {r['api_processes']} API processes)")
        print(format_table(["component", "processes", "PSS MB", "RSS sum MB"],
                           [[name, int(c["processes"]), round(c["pss"], 1), round(c["rss"], 1)]
                            for name, c in r["components"].items()]
                           + [["total", int(sum(c["processes"]
                                                for c in r["components"].values())),
                               round(r["pss"], 1), round(r["rss"], 1)]]))
    for emulator in missing:
        print(f"\n{emulator}: not measured, not installed (`make localstack`)")

    rows = []
    for r in results:
        times = [run["outside"] for run in r["runs"]]
        rows.append(headline(
            f"make run: seconds to healthy ({r['emulator']})", f"{r['outside']:.1f} s",
            f"min {min(times):.1f}, max {max(times):.1f} s; the stack's own count "
            f"{r['inside']:.1f} s", budget="-", seconds=r["outside"], stack_seconds=r["inside"]))
        heaviest = max(r["components"].items(), key=lambda item: item[1]["pss"])
        rows.append(headline(
            f"make run: memory when idle ({r['emulator']}, PSS)", f"{r['pss']:.0f} MB",
            f"RSS summed {r['rss']:.0f} MB; largest: {heaviest[0]} {heaviest[1]['pss']:.0f} MB",
            budget="-", pss_mb=r["pss"], rss_mb=r["rss"],
            components={k: v["pss"] for k, v in r["components"].items()}))
    write_summary(rows, f"{args.runs} starts each of {', '.join(wanted)}"
                  + (f" ({', '.join(missing)} not installed)" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
