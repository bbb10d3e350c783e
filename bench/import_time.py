"""Cold-start import cost of the API module and of the resume handler's cold path.

Each step runs in a fresh subprocess (cwd = project root, STAGE=test) under
``python -X importtime``: once unmeasured (so .pyc files exist), then --runs times; medians.

  - ``import app``: every Lambda cold start, the API's and the resume handler's alike (the SQS
    handler lives in the same app module). Also: the 10 largest cumulative imports, and the
    check that none of pdfplumber, pdfminer or magic is imported (the resume processor's heavy
    dependencies must stay out of the API's cold start).
  - ``import chalicelib.resume_processor`` (the resume handler's module) alone, and its share
    inside ``import app``.
  - ``resume_processor._magic()``'s first call: imports pylibmagic and python-magic, opens
    libmagic and loads its database; paid by the first SQS record of each worker instance.
  - the extraction child (chalicelib/pdftext.py, one process per resume): its imports of
    pdfplumber and pdfminer.pdfdocument, and the process's wall time for start + those imports,
    beside a bare ``python -c pass``.

Exit 1 if ``import app`` pulls in a forbidden module or a step fails.

    .venv/bin/python bench/import_time.py [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from _common import ROOT, format_table, headline, write_summary

FORBIDDEN = ("pdfplumber", "pdfminer", "magic")
ALSO_REPORTED = ("pypdfium2", "pylibmagic", "PIL", "boto3", "moto")
MAGIC_CODE = ("import time, chalicelib.resume_processor as r\n"
              "t = time.perf_counter(); r._magic(); print(time.perf_counter() - t)")
CHILD_CODE = "import pdfplumber; import pdfminer.pdfdocument"  # what pdftext.extract imports


def run(code: str, importtime: bool = True) -> tuple[list[tuple[int, int, int, str]], str, float]:
    """(self us, cumulative us, depth, module) per import line, stdout, wall seconds."""
    env = dict(os.environ, STAGE="test")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the warm-up run write .pyc files
    flags = ["-X", "importtime"] if importtime else []
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, *flags, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"{code!r} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line[len("import time:"):].split("|", 2)
        depth = (len(name) - len(name.lstrip(" "))) // 2
        rows.append((int(self_us), int(cumulative), depth, name.strip()))
    return rows, proc.stdout, wall


def top_name(module: str) -> str:
    return module.split(".", 1)[0]


def cumulative_ms(rows: list[tuple[int, int, int, str]], *tops: str) -> float:
    """Time of the outermost imports of these packages (depth 0: what the code itself ran)."""
    return sum(c for _, c, d, m in rows if d == 0 and top_name(m) in tops) / 1000


def measure_once() -> dict:
    app_rows, _, _ = run("import app")
    magic_rows, magic_out, _ = run(MAGIC_CODE)
    child_rows, _, _ = run(CHILD_CODE)
    return {
        "app_rows": app_rows,
        "app": cumulative_ms(app_rows, "app"),
        "resumes_in_app": next((c for _, c, _, m in app_rows if m == "chalicelib.resume_processor"),
                               0) / 1000,
        "resumes": cumulative_ms(magic_rows, "chalicelib"),
        "magic": float(magic_out.strip().splitlines()[-1]) * 1000,
        "magic_imports": cumulative_ms(magic_rows, "pylibmagic", "magic"),
        "child_imports": cumulative_ms(child_rows, "pdfplumber", "pdfminer"),
        "child_wall": run(CHILD_CODE, importtime=False)[2] * 1000,
        "bare_wall": run("pass", importtime=False)[2] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs, median (default 3)")
    args = parser.parse_args()
    measure_once()  # warm: bytecode caches written, files in the page cache
    runs = [measure_once() for _ in range(args.runs)]
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "app_rows"}
    rows = sorted(runs, key=lambda r: r["app"])[len(runs) // 2]["app_rows"]
    modules = [r[3] for r in rows]

    top = sorted(rows, key=lambda r: r[1], reverse=True)[:10]
    print(f"import app (python -X importtime, STAGE=test; median of {args.runs} runs "
          f"after one warm-up; load average {os.getloadavg()[0]:.1f})")
    print(format_table(["module (indent = depth)", "cumulative ms", "self ms"],
                       [["  " * d + m, round(c / 1000, 1), round(s / 1000, 1)]
                        for s, c, d, m in top]))
    print(f"{len(modules)} modules imported by `import app`")
    present = {name: sorted(m for m in modules if top_name(m) == name) for name in ALSO_REPORTED}
    print("also imported: " + ", ".join(
        f"{name} {'yes (' + str(len(ms)) + ' modules)' if ms else 'no'}"
        for name, ms in present.items()))

    def runs_text(key: str) -> str:
        return ", ".join(f"{r[key]:.0f}" for r in sorted(runs, key=lambda r: r[key]))

    steps = [
        ("import app", "every cold start (API and resume handler)", "app",
         f"chalicelib.resume_processor's own share: {med['resumes_in_app']:.0f} ms"),
        ("import chalicelib.resume_processor, alone", "within import app", "resumes",
         "its dependencies included"),
        ("resume_processor._magic() first call", "first SQS record per instance", "magic",
         f"imports pylibmagic + magic {med['magic_imports']:.0f} ms"),
        ("extraction child: import pdfplumber", "every resume (a child per file)",
         "child_imports", "+ pdfminer.pdfdocument"),
        ("extraction child start, wall", "every resume", "child_wall",
         f"python + imports; bare `python -c pass`: {med['bare_wall']:.0f} ms"),
    ]
    print()
    print("Cold path of the API and of the resume handler (median ms; each run in a fresh "
          "process)")
    print(format_table(["step", "paid", "median ms", "runs ms", "note"],
                       [[what, paid, round(med[key], 1), runs_text(key), note]
                        for what, paid, key, note in steps]))

    bad = {name: sorted(m for m in modules if top_name(m) == name) for name in FORBIDDEN}
    bad = {name: ms for name, ms in bad.items() if ms}
    write_summary([
        headline("cold import: app (API and resume handler)", f"{med['app']:.0f} ms",
                 f"chalicelib.resume_processor's own share {med['resumes_in_app']:.0f} ms", "-",
                 "no pdfplumber/pdfminer/magic: " + ("ok" if not bad else "BROKEN"),
                 ms=med["app"]),
        headline("cold import: chalicelib.resume_processor alone", f"{med['resumes']:.0f} ms",
                 "its dependencies included (most of import app)", ms=med["resumes"]),
        headline("resume handler, first record: libmagic (resume_processor._magic())",
                 f"{med['magic']:.0f} ms", f"imports {med['magic_imports']:.0f} ms",
                 ms=med["magic"]),
        headline("resume extraction child: import pdfplumber (every resume)",
                 f"{med['child_imports']:.0f} ms", ms=med["child_imports"]),
        headline("resume extraction child: process start + imports, wall",
                 f"{med['child_wall']:.0f} ms", f"bare python: {med['bare_wall']:.0f} ms",
                 f"{med['child_wall'] / med['bare_wall']:.1f}x bare python",
                 ms=med["child_wall"], bare_ms=med["bare_wall"]),
    ], f"median of {args.runs} runs after one warm-up")
    if bad:
        print("\nBUDGETS BROKEN: imported at cold start: "
              + "; ".join(f"{name} ({', '.join(ms[:5])})" for name, ms in bad.items()))
        return 1
    print(f"\nBUDGETS OK: none of {', '.join(FORBIDDEN)} imported by `import app`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
