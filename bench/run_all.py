"""Run every benchmark; progress goes to stderr as it happens, the tables are printed last.

    .venv/bin/python bench/run_all.py [--size 100000] [--skip-baseline]

Exit status: 0 when every script exits 0 (every budget holds), else 1.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000,
                        help="large table size for list_cost.py (default 100000)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="bulk_cost.py without the one-row-at-a-time baseline")
    args = parser.parse_args()
    scripts = [
        ("bulk_cost.py", ["--skip-baseline"] if args.skip_baseline else []),
        ("list_cost.py", ["--size", str(args.size)]),
        ("import_time.py", []),
        ("resume_speed.py", []),
    ]
    outputs = []
    for name, extra in scripts:
        print(f"== running bench/{name} {' '.join(extra)}".rstrip(), file=sys.stderr, flush=True)
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, str(HERE / name), *extra], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # stderr streams through
        outputs.append((name, proc.returncode, time.perf_counter() - began, proc.stdout))
    for name, code, seconds, stdout in outputs:
        print(f"\n===== bench/{name} (exit {code}, {seconds:.0f} s) =====")
        print(stdout.strip("\n"))
    failed = [name for name, code, _, _ in outputs if code != 0]
    print("\nALL BUDGETS " + ("HOLD" if not failed else "NOT MET in: " + ", ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
