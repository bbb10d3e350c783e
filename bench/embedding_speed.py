"""Embedding speed and size: all-MiniLM-L6-v2 in numpy (chalicelib/embeddings), on one core.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/embedding_speed.py [--runs 3]

Prints one table: model load (cold: the registry's fp32 model.zip, and the fp16 export), ms per 256-token passage, a
600-word resume (passages cut and embedded), a 2-page resume, a short query, peak and steady
RSS, and how far fp16 weights move the vectors. One BLAS thread by default, as a Lambda
function of 1,769 MB or less gets one vCPU. No budget is asserted here (8.4's budget for a
2-page resume, 3 s, is printed beside its figure).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Before numpy loads: its BLAS reads these once.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import _common  # noqa: E402,F401  (sets env)  # isort: skip
from _common import format_table, headline, write_summary  # noqa: E402

from chalicelib.embeddings import files, model, passages  # noqa: E402

SENTENCES = [
    "Registered nurse with eight years in a surgical intensive care unit, caring for ventilated "
    "and post-operative patients, titrating vasoactive drips and leading rapid response calls.",
    "Built and ran the billing platform's event pipeline in Python and Go on Kubernetes, cutting "
    "invoice latency from hours to minutes and on-call pages by half.",
    "Taught reading and arithmetic to classes of twenty-eight six-year-olds, planned lessons with "
    "the year group and met parents each term.",
    "Managed a warehouse team of fourteen across two shifts; introduced cycle counting and cut "
    "stock discrepancies from 3% to 0.4% within a year.",
]


def resume(words: int) -> str:
    out, n = [], 0
    while n < words:
        sentence = SENTENCES[len(out) % len(SENTENCES)]
        out.append(sentence)
        n += len(sentence.split())
        if len(out) % 3 == 0:
            out.append("\n")
    return " ".join(out)


def timed(action, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def rss_mb() -> tuple[float, float]:
    """(peak, current) resident set size of this process, MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open("/proc/self/status") as f:
        current = next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024
    return peak, current


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    start = time.perf_counter()
    m = model.get_model()
    load = time.perf_counter() - start
    peak_after_load, steady_after_load = rss_mb()

    full = resume(400)  # long enough that its first passage fills 256 tokens
    passage = passages.cut(full)[0].text
    m.embed([passage])  # warm BLAS and the allocator before timing
    per_passage, _ = timed(lambda: m.embed([passage] * 8), runs)
    per_passage /= 8

    def whole(words: int):
        text = resume(words)
        cut = passages.cut(text)
        return len(cut), m.embed([p.text for p in cut])

    t600, (n600, _) = timed(lambda: whole(600), runs)
    t2page, (n2page, _) = timed(lambda: whole(1000), runs)
    query, _ = timed(lambda: m.embed(["looks after critically ill patients"]), runs * 5)
    peak, steady = rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        exported = files.export_fp16(Path(tmp) / "model")
        fp16_bytes = (exported / files.WEIGHTS_FP16).stat().st_size
        start = time.perf_counter()
        m16 = model.Model.load(exported)
        load16 = time.perf_counter() - start
    probe = [passage] + SENTENCES + ["looks after critically ill patients"]
    cosine = (m.embed(probe) * m16.embed(probe)).sum(1)

    rows = [
        ["model load, cold (fp32, hash checked)", round(load, 2), "s", "-"],
        ["model load (fp16 export, hash checked)", round(load16, 2), "s", "-"],
        ["fp16 weights file", round(fp16_bytes / 1e6, 1), "MB", "-"],
        ["RSS after load (peak / steady)", f"{peak_after_load:.0f} / {steady_after_load:.0f}",
         "MB", "-"],
        ["one 256-token passage (batch of 8)", round(per_passage * 1000, 1), "ms", "-"],
        [f"600-word resume ({n600} passages)", round(t600, 3), "s", "-"],
        [f"2-page resume, 1,000 words ({n2page} passages)", round(t2page, 3), "s", "< 3 s"],
        ["short query", round(query * 1000, 1), "ms", "-"],
        ["RSS at the end (peak / steady)", f"{peak:.0f} / {steady:.0f}", "MB", "-"],
        ["fp16 vs fp32 vectors, lowest cosine", f"{float(cosine.min()):.6f}", "cosine", "-"],
    ]
    print(format_table(["what", "value", "unit", "budget"], rows))
    write_summary([
        headline("embedding a 2-page resume (1 core)", f"{t2page:.2f} s", budget="< 3 s",
                 seconds=t2page),
        headline("query embedding", f"{query * 1000:.0f} ms", ms=query * 1000),
        headline("embedding model cold load", f"{load:.2f} s", seconds=load),
    ], sizes=f"{os.environ['OPENBLAS_NUM_THREADS']} BLAS thread(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
