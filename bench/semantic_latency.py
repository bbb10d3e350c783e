"""Search by meaning over HTTP (contract 8.4, "Budgets"): a semantic page's p50/p95 at 1,000 and
10,000 resumes, the query's embedding included (target p95 < 300 ms), `similar`'s, and the
vectors and bytes a resume costs.

What runs: DynamoDB Local (in memory), the stack's moto server with QueryVectors (``python -m
infra.local_stack moto``) and the API alone (``python -m infra.local_server``, 2 processes, as
bench/search_cost.py), nothing else: the professionals are written straight to the table with a
ready resume, and their passage vectors straight to the store. Professional ``n`` gets the
passages (texts and vectors) of evaluation resume ``n % 327`` (bench/eval/), each vector moved
by a little noise and normalised again, so that no two are equal; the vectors are those of
bench/semantic_eval.py (cached under .cache/bench-semantic/). The queries are the evaluation
set's 53, each run ``--runs`` times after a warm-up that loads the model in both API processes
(the cold load is reported apart). Hybrid is not measured here: its keyword side needs the
search index, which this corpus does not fill (bench/search_cost.py measures that side).

    .venv/bin/python bench/semantic_latency.py [--sizes 1000,10000] [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import _common  # noqa: F401  (environment and request counting before any client exists)
from _common import ROOT, format_table
from create_rate import percentile

import requests

from infra.dynamodb_local import DynamoDBLocal
from infra.local.ports import free_port

NOISE = 0.02
TARGET_P95_MS = 300.0
CREATED = "2026-06-01T12:00:00.000Z"


def wait_for(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def start(args: list[str], env: dict[str, str], name: str) -> tuple[subprocess.Popen, Path]:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-semantic-{name}-{os.getpid()}.log"
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    return proc, log


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def corpus():
    """(passage texts per evaluation resume, their vectors per resume, the queries)."""
    import numpy as np

    import semantic_eval
    resumes, queries = semantic_eval.load_set()
    parts = semantic_eval.embedder()
    if parts is None:
        raise SystemExit("chalicelib.embeddings is not importable: `make install` first")
    embed, cut = parts
    semantic = semantic_eval.Semantic(resumes, embed, cut)
    texts = [cut(r["text"]) for r in resumes]
    vectors, start_at = [], 0
    for passages in texts:
        vectors.append(np.asarray(semantic.vectors[start_at:start_at + len(passages)]))
        start_at += len(passages)
    return texts, vectors, queries


def fill(size: int, texts, vecs, rng) -> tuple[list[str], int]:
    """``size`` professionals with a ready resume and their passages' vectors; returns their ids
    and the vectors written."""
    import numpy as np

    from chalicelib import db
    from chalicelib.models import ProfessionalItem, professional_pk
    from infra import resources

    resources.create_app_tables()
    ids, records, written = [], [], 0
    with ProfessionalItem.batch_write() as batch:
        for n in range(size):
            pid = uuid.UUID(int=n + 1, version=4).hex
            ids.append(pid)
            r = n % len(texts)
            item = ProfessionalItem(
                pk=professional_pk(pid), id=pid, full_name=f"Bench Person {n}",
                email=f"bench{n}@example.com", source=("direct", "partner", "internal")[n % 3],
                created_at=CREATED, updated_at=CREATED, list_key=f"{CREATED}#{pid}", version=1)
            item.resume = {"status": "ready", "filename": "cv.pdf",
                           "content_type": "application/pdf", "size_bytes": 40_000, "pages": 2,
                           "text_chars": sum(map(len, texts[r])), "text_truncated": False,
                           "processed_at": CREATED}
            item.resume_ready = {"pdf_key": f"resumes/{pid}/cv.pdf",
                                 "text_key": f"text/{pid}/cv.txt", "filename": "cv.pdf",
                                 "replaces": []}
            batch.save(item)
            moved = vecs[r] + rng.normal(0, NOISE, vecs[r].shape).astype(np.float32)
            moved /= np.linalg.norm(moved, axis=1, keepdims=True)
            records.append((pid, item.source, moved, texts[r]))
            if len(records) >= 100:
                written += _put(records)
                records = []
    written += _put(records)
    assert db.get(professional_pk(ids[-1])) is not None
    return ids, written


def _put(records) -> int:
    from chalicelib import vectors
    total = 0
    for pid, source, moved, passages in records:
        total += vectors.put_passages(pid, source, moved, passages, created_at=CREATED)
    return total


def measure(base: str, key: str, queries: list[dict], ids: list[str], runs: int) -> dict:
    session = requests.Session()
    session.headers["X-Api-Key"] = key
    cold = []
    for _ in range(4):  # both API processes load the model (each twice: the pool is shared)
        began = time.perf_counter()
        answer = session.get(f"{base}/professionals", timeout=60,
                             params={"q": "warm up the model", "mode": "semantic"})
        cold.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.text
    timings, items = [], []
    for _ in range(runs):
        for q in queries:
            began = time.perf_counter()
            answer = session.get(f"{base}/professionals", timeout=60,
                                 params={"q": q["text"], "mode": "semantic", "limit": 25})
            timings.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 200, answer.text
            items.append(len(answer.json()["items"]))
    similar = []
    for pid in ids[:: max(1, len(ids) // (20 * runs))][: 20 * runs]:
        began = time.perf_counter()
        answer = session.get(f"{base}/professionals/{pid}/similar", timeout=60)
        similar.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200 and answer.json()["items"], answer.text
    return {"cold": max(cold), "p50": statistics.median(timings), "p95": percentile(timings, 0.95),
            "items": statistics.mean(items), "n": len(timings),
            "similar_p50": statistics.median(similar), "similar_p95": percentile(similar, 0.95)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    import numpy as np
    texts, vecs, queries = corpus()
    rng = np.random.default_rng(7)
    per_resume = statistics.mean(len(t) for t in texts)
    text_bytes = statistics.mean(sum(len(p.encode()) for p in t) for t in texts)

    from chalicelib import auth, clients, db, vectors
    rows, problems = [], []
    with DynamoDBLocal(die_with_parent=True) as ddb:
        moto_port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_ENDPOINT_URL", "LOCAL_"))}
        moto, moto_log = start(["-m", "infra.local_stack", "moto", "--port", str(moto_port)],
                               env, "moto")
        try:
            vectors_url = f"http://127.0.0.1:{moto_port}"
            wait_for(f"{vectors_url}/moto-api/", moto, moto_log)
            os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint_url,
                               "AWS_ENDPOINT_URL_S3VECTORS": vectors_url})
            for size in sizes:
                table = f"bench-semantic-{size}"
                names = {"TABLE_NAME": table, "SEARCH_TABLE_NAME": f"{table}-index",
                         "VECTOR_BUCKET_NAME": f"{table}-vectors", "VECTOR_INDEX_NAME": "passages"}
                os.environ.update(names)
                db._bound["table"] = None
                db.bind()
                clients.reset()
                vectors.create_index(clients.s3vectors(), names["VECTOR_BUCKET_NAME"],
                                     names["VECTOR_INDEX_NAME"])
                began = time.perf_counter()
                ids, written = fill(size, texts, vecs, rng)
                print(f"size {size:,}: {written:,} vectors written in "
                      f"{time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
                key, _ = auth.create_key("staff", "bench-semantic")
                port = free_port()
                api_env = {**env, **names, "STAGE": "test", "LOCAL_API_WORKERS": "2",
                           "AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint_url,
                           "AWS_ENDPOINT_URL_S3VECTORS": vectors_url, "PYTHONUNBUFFERED": "1"}
                api, api_log = start(["-m", "infra.local_server", "--port", str(port)], api_env,
                                     f"api-{size}")
                try:
                    base = f"http://127.0.0.1:{port}/api"
                    wait_for(f"{base}/health", api, api_log)
                    m = measure(base, key, queries, ids, args.runs)
                finally:
                    stop(api)
                rows.append([f"{size:,}", f"{written:,}", m["n"], round(m["cold"]),
                             round(m["p50"], 1), round(m["p95"], 1), round(m["items"], 1),
                             round(m["similar_p50"], 1), round(m["similar_p95"], 1)])
                if m["p95"] >= TARGET_P95_MS:
                    problems.append(f"semantic p95 {m['p95']:.0f} ms at {size:,} "
                                    f"(budget {TARGET_P95_MS:.0f})")
        finally:
            stop(moto)
    print("\nsearch by meaning over HTTP (python -m infra.local_server, 2 API processes; "
          "DynamoDB Local; moto's S3 Vectors with QueryVectors)")
    print(format_table(["resumes", "vectors", "queries", "cold ms", "p50 ms", "p95 ms",
                        "items/page", "similar p50", "similar p95"], rows))
    print(f"\nper resume (evaluation set): {per_resume:.1f} passages = vectors; "
          f"{per_resume * 384 * 4:,.0f} bytes of float32 data + {text_bytes:,.0f} bytes of "
          "passage text in metadata (+ ~100 bytes of filterable keys a vector)")
    print(f"budget: semantic p95 < {TARGET_P95_MS:.0f} ms at every size: "
          + ("PASS" if not problems else "FAIL: " + "; ".join(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
