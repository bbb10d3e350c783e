"""Cold-start import cost of the Chalice app: ``python -X importtime -c "import app"``.

Runs the import in a fresh subprocess (cwd = project root, STAGE=test): once unmeasured (so
.pyc files exist), then --runs times; reports the median total import time of ``app``, the top
10 imports by cumulative time (from the median run), and checks that none of pdfplumber,
pdfminer or magic is imported (the resume processor's heavy dependencies must stay out of the
API's cold start). Exit 1 if one is imported or the import fails.

    .venv/bin/python bench/import_time.py [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import format_table  # noqa: E402

FORBIDDEN = ("pdfplumber", "pdfminer", "magic")
ALSO_REPORTED = ("pypdfium2", "pylibmagic", "PIL", "boto3", "moto")


def run_once() -> list[tuple[int, int, int, str]]:
    """(self us, cumulative us, depth, module) for every import line, in order."""
    env = dict(os.environ, STAGE="test")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the warm-up run write .pyc files
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"`import app` failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((int(self_us), int(cumulative), depth, name.strip()))
    return rows


def top_name(module: str) -> str:
    return module.split(".", 1)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs, median (default 3)")
    args = parser.parse_args()
    run_once()  # warm: bytecode caches written, files in the page cache
    runs = []
    for _ in range(args.runs):
        rows = run_once()
        app_rows = [r for r in rows if r[3] == "app" and r[2] == 0]
        runs.append((app_rows[-1][1] if app_rows else sum(r[1] for r in rows if r[2] == 0), rows))
    runs.sort(key=lambda run: run[0])
    total_us, rows = runs[len(runs) // 2]
    modules = [r[3] for r in rows]

    top = sorted(rows, key=lambda r: r[1], reverse=True)[:10]
    print(f"import app (python -X importtime, STAGE=test; median of {args.runs} runs "
          f"after one warm-up; load average {os.getloadavg()[0]:.1f})")
    print(format_table(["module (indent = depth)", "cumulative ms", "self ms"],
                       [["  " * d + m, round(c / 1000, 1), round(s / 1000, 1)]
                        for s, c, d, m in top]))
    print(f"total import time of app: {total_us / 1000:.1f} ms "
          f"(runs: {', '.join(f'{t / 1000:.1f}' for t, _ in sorted(runs))} ms); "
          f"{len(modules)} modules imported")
    present = {name: sorted(m for m in modules if top_name(m) == name) for name in ALSO_REPORTED}
    print("also imported: " + ", ".join(
        f"{name} {'yes (' + str(len(ms)) + ' modules)' if ms else 'no'}"
        for name, ms in present.items()))
    bad = {name: sorted(m for m in modules if top_name(m) == name) for name in FORBIDDEN}
    bad = {name: ms for name, ms in bad.items() if ms}
    if bad:
        print("\nBUDGETS BROKEN: imported at cold start: "
              + "; ".join(f"{name} ({', '.join(ms[:5])})" for name, ms in bad.items()))
        return 1
    print(f"\nBUDGETS OK: none of {', '.join(FORBIDDEN)} imported by `import app`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
