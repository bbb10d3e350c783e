"""Resume processing speed: pdfplumber (the extractor) against pypdfium2 on the same files, and
the whole worker path (HeadObject, libmagic, extraction child, S3 writes, DynamoDB) on moto.

    .venv/bin/python bench/resume_speed.py [--runs 3]

Prints one table; no budget (the issue asks for the figures, and pdfplumber stays unless they
give a reason to change).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                   "AWS_DEFAULT_REGION": "us-east-1", "STAGE": "test",
                   "TABLE_NAME": "bench-resumes", "RESUME_BUCKET": "bench-resumes"})
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
    os.environ.pop(name, None)

from tests import pdf_corpus  # noqa: E402


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

    from chalicelib import auth, clients, db, professionals, resumes
    with mock_aws():
        db._bound["table"] = None
        clients.reset()
        db.create_table()
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
        assert resumes.handle_sqs_records([record]) == []
        elapsed = time.perf_counter() - started
        assert professionals.get(item.id).resume["status"] == "ready"
        db._bound["table"] = None
        return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from chalicelib import resumes
    rows = []
    for pages in (2, 20, 50):
        data = pdf_corpus.pdf(pages)
        plumber_s, plumber = median_seconds(lambda: resumes.extract_text(data), args.runs)
        pdfium_s, (pdfium_pages, pdfium_chars) = median_seconds(lambda: pypdfium2_text(data),
                                                                args.runs)
        worker_s = worker_path(data) if pages in (2, 20) else float("nan")
        rows.append((pages, len(data), plumber_s, len(plumber["text"]), pdfium_s, pdfium_chars,
                     plumber_s / pdfium_s, worker_s))
    print(f"\nResume processing ({args.runs} runs, median; load {os.getloadavg()[0]:.1f})")
    header = ("pages", "bytes", "pdfplumber s", "chars", "pypdfium2 s", "chars", "ratio",
              "upload->ready s (moto)")
    print("  ".join(f"{h:>12}" for h in header))
    for row in rows:
        print("  ".join(f"{v:>12.3f}" if isinstance(v, float) else f"{v:>12}" for v in row))
    print("pdfplumber s includes the child process start (~0.5-1 s of imports); upload->ready "
          "is the worker's whole path for one record on in-process moto.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
