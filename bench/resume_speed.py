"""Resume processing speed: pdfplumber (the extractor) against pypdfium2 on the same files, and
the whole worker path (HeadObject, libmagic, extraction child, S3 writes, DynamoDB) on moto.

    .venv/bin/python bench/resume_speed.py [--runs 3]

Prints one table, in seconds per file and per page, and the marginal cost of a page (the slope
between the smallest and the largest file, which leaves out fixed costs such as pdfplumber's
child process start). No budget (the issue asks for the figures, and pdfplumber stays unless
they give a reason to change).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import _common  # noqa: F401  (sets env)  # isort: skip
from _common import format_table, headline, write_summary

os.environ.update({"TABLE_NAME": "bench-resumes", "RESUME_BUCKET": "bench-resumes"})
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
    os.environ.pop(name, None)

from tests import pdf_corpus  # noqa: E402

PAGES = (2, 20, 50)


def pypdfium2_text(data: bytes) -> tuple[int, int]:
    import pypdfium2
    document = pypdfium2.PdfDocument(data)
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    return len(document), len("\n\n".join(texts))


def median_seconds(action, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def worker_path(data: bytes) -> float:
    """Seconds from an uploaded object to ``ready`` through handle_sqs_records, on moto."""
    from moto import mock_aws

    from chalicelib import auth, clients, db, professionals, resume_processor
    from infra import resources
    with mock_aws():
        db._bound["table"] = None
        clients.reset()
        resources.create_app_tables()
        clients.s3().create_bucket(Bucket="bench-resumes")
        item = professionals.create({"full_name": "Bench", "email": "bench@example.com",
                                     "resume": {"filename": "cv.pdf", "size_bytes": len(data),
                                                "content_type": "application/pdf"}},
                                    auth.Caller(role="staff", name="bench"))
        key = item.resume_upload["key"]
        clients.s3().put_object(Bucket="bench-resumes", Key=key, Body=data)
        record = {"messageId": "m", "body": json.dumps({"Records": [{
            "eventName": "ObjectCreated:Post", "s3": {"object": {"key": key}}}]})}
        started = time.perf_counter()
        assert resume_processor.handle_sqs_records([record]) == []
        elapsed = time.perf_counter() - started
        assert professionals.get(item.id).resume["status"] == "ready"
        db._bound["table"] = None
        return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per file, median (default 3)")
    args = parser.parse_args()
    from chalicelib import resume_processor
    # Unmeasured: imports pypdfium2 (so it is not timed as extraction) and warms the page cache.
    warm = pdf_corpus.pdf(PAGES[0])
    resume_processor.extract_text(warm)
    pypdfium2_text(warm)
    results = []
    for pages in PAGES:
        data = pdf_corpus.pdf(pages)
        plumber_s, plumber = median_seconds(lambda: resume_processor.extract_text(data), args.runs)
        pdfium_s, (_, pdfium_chars) = median_seconds(lambda: pypdfium2_text(data), args.runs)
        worker_s = worker_path(data) if pages in (2, 20) else float("nan")
        results.append({"pages": pages, "bytes": len(data), "plumber": plumber_s,
                        "plumber_chars": len(plumber["text"]), "pdfium": pdfium_s,
                        "pdfium_chars": pdfium_chars, "worker": worker_s})
    print(f"\nResume processing ({args.runs} runs, median; load average "
          f"{os.getloadavg()[0]:.1f})")
    print(format_table(
        ["pages", "bytes", "pdfplumber s", "s/page", "chars", "pypdfium2 s", "s/page", "chars",
         "plumber/pdfium", "upload->ready s (moto)"],
        [[r["pages"], r["bytes"], r["plumber"], r["plumber"] / r["pages"],
          r["plumber_chars"], r["pdfium"], r["pdfium"] / r["pages"],
          r["pdfium_chars"], f"{r['plumber'] / r['pdfium']:.0f}x",
          "-" if r["worker"] != r["worker"] else r["worker"]] for r in results]))
    small, large = results[0], results[-1]
    span = large["pages"] - small["pages"]
    marginal = {k: (large[k] - small[k]) / span for k in ("plumber", "pdfium")}
    print(f"marginal s/page ({small['pages']} -> {large['pages']} pages): pdfplumber "
          f"{marginal['plumber']:.3g}, pypdfium2 {marginal['pdfium']:.3g} "
          f"({marginal['plumber'] / marginal['pdfium']:.0f}x)")
    print("pdfplumber s includes the child process start (~0.5-1 s of imports); pypdfium2 runs "
          "in-process; upload->ready is the worker's whole path for one record on in-process "
          "moto.")
    rows = [headline(f"resume s/page, {r['pages']}-page PDF: pdfplumber (child incl.)",
                     f"{r['plumber'] / r['pages']:.3g} s",
                     f"pypdfium2 {r['pdfium'] / r['pages']:.3g} s",
                     f"{r['plumber'] / r['pdfium']:.0f}x (plumber/pdfium)",
                     pages=r["pages"], plumber_s=r["plumber"], pdfium_s=r["pdfium"])
            for r in results]
    rows.append(headline(f"resume marginal s/page ({small['pages']} -> {large['pages']} pages): "
                         "pdfplumber", f"{marginal['plumber']:.3g} s",
                         f"pypdfium2 {marginal['pdfium']:.3g} s",
                         f"{marginal['plumber'] / marginal['pdfium']:.0f}x (plumber/pdfium)",
                         plumber_s=marginal["plumber"], pdfium_s=marginal["pdfium"]))
    write_summary(rows, ", ".join(map(str, PAGES)) + f"-page PDFs, median of {args.runs} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
