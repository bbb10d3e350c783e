"""The resume passages' vectors, for operators: ``python -m infra vectors reindex [--restart]``
and the vector checks of ``python -m infra verify``.

``reindex`` embeds every ready resume again with the code the embed queue's worker runs
(``resume_vectors.sync``: state-based, so it may run beside the worker), then removes the vectors
of anyone the table no longer holds with a ready resume (found by ListVectors). Use it for a new
stage, a lost or rebuilt vector index, or after the embed dead-letter queue was dropped.
Resumable: after each page of the table the scan's position is saved in the search index table
(``META#vectors-reindex``, as ``search reindex`` keeps its own); a second run goes on from there
(``--restart`` starts over).

``check`` (for ``verify``): every ready resume checked has its first vector (``<id>#0``; a
resume whose text has no words has none, and is no problem), no vector belongs to someone who is
gone or has no ready resume (ListVectors over the whole index, page by page: ``--whole``; a
sample reads the first page), and the embed dead-letter queue's depth when EMBED_DLQ_URL is set.
"""
from __future__ import annotations

import os
import random
import time
from collections import Counter
from typing import Any, Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import clients, db, resume_vectors, vectors
from chalicelib.models import ProfessionalItem, TableItem, professional_pk
from infra.checkpoint import Checkpoint
from chalicelib.settings import get_settings

CHECKPOINT = Checkpoint("vectors-reindex")
PAGE = 100
EXAMPLES = 5  # ids shown for each kind of problem


def reindex(*, restart: bool = False, say: Callable[[str], None] = print,
            stop_after_pages: int | None = None) -> Counter:
    """Sync every professional with a ready resume, then the vectors' owners that have none;
    returns counts (professionals synced, passages stored, orphans removed)."""
    table = db.bind()
    client = db.connection().client
    start = None if restart else CHECKPOINT.load()
    if start:
        say(f"resuming the vectors reindex where it stopped ({start.get('done', 0)} resumes done)")
    outcome: Counter = Counter({"resumes": start.get("done", 0)} if start else {})
    began, pages = time.monotonic(), 0
    kwargs: dict[str, Any] = {"TableName": table, "Limit": PAGE, "ConsistentRead": True}
    if start:
        kwargs["ExclusiveStartKey"] = start["key"]
    while True:
        page = client.scan(**kwargs)
        for item in (TableItem.from_raw_data(raw) for raw in page["Items"]):
            if isinstance(item, ProfessionalItem) and _text_key(item):
                outcome["passages"] += resume_vectors.sync(item.id)
                outcome["resumes"] += 1
        pages += 1
        last = page.get("LastEvaluatedKey")
        if not last:
            break
        kwargs["ExclusiveStartKey"] = last
        CHECKPOINT.save({"key": last, "done": outcome["resumes"]})
        seconds = max(time.monotonic() - began, 1e-6)
        say(f"  {outcome['resumes']} resumes, {outcome['passages']} passages "
            f"({outcome['passages'] / seconds:.1f} passages/s)")
        if stop_after_pages and pages >= stop_after_pages:
            return outcome  # (tests: an interrupted run)
    orphans = _owners_without_resume(owners_in_index())
    for professional_id in orphans:
        resume_vectors.sync(professional_id)
    outcome["orphans_removed"] = len(orphans)
    CHECKPOINT.clear()
    say(f"vectors reindexed: {outcome['resumes']} resumes, {outcome['passages']} passages, "
        f"{len(orphans)} orphan owner(s) removed, in {time.monotonic() - began:.1f} s")
    return outcome


def check(sample: int | None = 200) -> dict[str, Any]:
    """The vector store against the table (see the module's doc); ``problems`` are lines to
    print, ``notes`` facts that are no problem."""
    from infra.verify import scan_all
    people = {i.id: i for i in scan_all() if isinstance(i, ProfessionalItem)}
    ready = [p for p in people.values() if _text_key(p)]
    checked = ready if sample is None else random.sample(ready, min(sample, len(ready)))
    problems: list[str] = []
    notes: list[str] = []
    try:
        missing = _without_first_vector(checked)
        owners = owners_in_index(pages=None if sample is None else 1)
    except (vectors.VectorsUnavailable, ClientError, BotoCoreError) as exc:
        line = f"vector store {_where()} not checked: {_reason(exc)}"
        (problems if ready else notes).append(line)
        _dead_letters(problems, notes)
        return {"checked": 0, "ready": len(ready), "missing": [], "orphans": [],
                "problems": problems, "notes": notes}
    orphans = sorted(owner for owner in owners if not _text_key(people.get(owner)))
    if missing:
        problems.append(f"{len(missing)} ready resume(s) of {len(checked)} checked without "
                        f"vector #0, e.g. {', '.join(missing[:EXAMPLES])}")
    if orphans:
        gone = [o for o in orphans if o not in people]
        problems.append(f"{len(orphans)} professional(s) with vectors and no ready resume "
                        f"({len(gone)} no longer in the table), e.g. "
                        f"{', '.join(orphans[:EXAMPLES])}")
    notes.append(f"vectors: {len(checked)} of {len(ready)} ready resumes checked, "
                 f"{len(owners)} owner(s) of vectors seen"
                 + ("" if sample is None else " (first page; --whole lists every vector)"))
    _dead_letters(problems, notes)
    return {"checked": len(checked), "ready": len(ready), "missing": missing, "orphans": orphans,
            "problems": problems, "notes": notes}


def owners_in_index(pages: int | None = None) -> set[str]:
    """The professionals that have vectors, from ListVectors' keys (``pages``: at most so many)."""
    return {vectors.parse_key(key)[0] for key in _list_keys(pages)}


def _list_keys(pages: int | None) -> Iterator[str]:
    settings = get_settings()
    request: dict[str, Any] = {"vectorBucketName": settings.vector_bucket,
                               "indexName": settings.vector_index, "maxResults": 1000}
    read = 0
    while pages is None or read < pages:
        response = clients.s3vectors().list_vectors(**request)
        read += 1
        yield from (v["key"] for v in response.get("vectors", []))
        if not response.get("nextToken"):
            return
        request["nextToken"] = response["nextToken"]


def _without_first_vector(people: list[ProfessionalItem]) -> list[str]:
    """Those whose ``<id>#0`` the store lacks, except resumes whose text cuts into no passage."""
    settings = get_settings()
    found: set[str] = set()
    for start in range(0, len(people), vectors.GET_BATCH):
        keys = [vectors.key(p.id, 0) for p in people[start:start + vectors.GET_BATCH]]
        response = clients.s3vectors().get_vectors(
            vectorBucketName=settings.vector_bucket, indexName=settings.vector_index, keys=keys)
        found.update(v["key"] for v in response.get("vectors", []))
    missing = [p for p in people if vectors.key(p.id, 0) not in found]
    return sorted(p.id for p in missing if _has_passages(p))


def _has_passages(person: ProfessionalItem) -> bool:
    from chalicelib.embeddings import passages
    from chalicelib.search.indexer import read_text
    text = read_text(_text_key(person) or "")
    return bool(text and passages.cut(text))


def _owners_without_resume(owners: set[str]) -> list[str]:
    found = db.batch_get(professional_pk(o) for o in owners)
    return sorted(o for o in owners if not _text_key(found.get(professional_pk(o))))


def _dead_letters(problems: list[str], notes: list[str]) -> None:
    """The embed dead-letter queue's depth: a note when empty, a problem when not."""
    url = os.environ.get("EMBED_DLQ_URL")
    if not url:
        return
    depth = int(clients.sqs().get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"])
    line = f"embed dead-letter queue: {depth} message(s)"
    if depth:
        problems.append(line + " (professionals whose vectors failed: fix the cause, then "
                        "`python -m infra vectors reindex`)")
    else:
        notes.append(line)


def _text_key(item: Any) -> str | None:
    ready = item.resume_ready if isinstance(item, ProfessionalItem) else None
    return ready.get("text_key") if isinstance(ready, dict) else None


def _where() -> str:
    settings = get_settings()
    return f"{settings.vector_bucket}/{settings.vector_index}"


def _reason(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    if isinstance(cause, ClientError):
        return cause.response.get("Error", {}).get("Code", "error")
    return type(cause).__name__


def add_command(commands: Any) -> None:
    vectors_parser = commands.add_parser("vectors", help="the resume passages' vectors: reindex")
    actions = vectors_parser.add_subparsers(dest="action", required=True)
    reindex_parser = actions.add_parser("reindex", help="embed every ready resume again and "
                                        "remove orphan vectors (resumable; progress shown)")
    reindex_parser.add_argument("--restart", action="store_true",
                                help="start over instead of going on where a run stopped")


def run(args: Any) -> int:
    reindex(restart=args.restart, say=lambda line: print(line, flush=True))
    return 0
