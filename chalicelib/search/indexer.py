"""The professionals table's stream -> the search index.

Each record is applied on its own, in stream order. Delivery is at least once and a record can
come again after newer ones (a retried batch, a replay from the dead-letter queue), so every
write is guarded by the professional's ``version``: the index's DOC item says which version it
reflects, and an older or equal record changes nothing. A deletion leaves a tombstone, so a
late replay of an older image cannot bring the professional back.

A change is written in three steps, so that a crash at any point leaves no posting that the DOC
item does not list (and that a later record would therefore never remove): first the DOC item
lists the old and the new postings, then the postings are written and the stale ones deleted,
then the DOC item lists only the new ones, at the new version.

The indexer reads nothing from the professionals table: the stream's images carry the fields,
and the resume text comes from its text object in S3 (cut at 100,000 characters, as served).
"""
from __future__ import annotations

import binascii
import json
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import clients, embed_queue, stream_records
from chalicelib.logs import log
from chalicelib.resumes import TEXT_LIMIT
from chalicelib.search import analyzer, identifiers, vocabulary
from chalicelib.search.index import (TOMBSTONE_SECONDS, IndexedState, add_document_frequencies,
                                     add_regions, from_raw, parallel, read_state, read_states,
                                     write_postings, write_state)
from chalicelib.search.layout import RESUME_PREFIX, Document, doc_key, pack, unpack
from chalicelib.settings import get_settings

PLACEHOLDER_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/professionals/stream/placeholder"
PROFESSIONAL_PREFIX = "PRO#"
WRITE_ATTEMPTS = 5
DF_STEMS = 1500
TEXT_BYTES = TEXT_LIMIT * 4  # UTF-8: at most 4 bytes a character


PoisonRecord = stream_records.PoisonRecord  # a record the indexer cannot read


def handle_stream_records(records: list[dict[str, Any]]) -> list[str]:
    """Index a batch of records; returns the sequence number of the first that failed (it and
    the records after it are retried: harmless, as every write is version-guarded), or nothing.

    The batch is applied as a whole: each professional's records are folded into the newest
    (intermediate versions need not be indexed), their index documents are read together,
    and every write goes out in batches, side by side. A record the indexer cannot read stops
    the batch there: the records before it are applied, it is reported.

    Professionals whose ready resume changed or who are gone are named on the embed queue
    (chalicelib.embed_queue) once the batch's index writes are done; a failed send fails the
    batch as a failed write does (the retry writes nothing new and sends again)."""
    changes: list[Change] = []
    embeds: list[str] = []
    for position, record in enumerate(records):
        try:
            change = read_change(record)
        except PoisonRecord as exc:
            log.error("search index: unreadable record", sequence=_sequence(record), error=str(exc))
            return _apply_logged(changes, records, embeds) or [_sequence(record)]
        if change is not None:
            change.position = position
            changes.append(change)
            embed = embed_queue.to_sync(record)
            if embed is not None:
                embeds.append(embed)
    return _apply_logged(changes, records, embeds)


def _apply_logged(changes: list[Change], records: list[dict[str, Any]],
                  embeds: list[str]) -> list[str]:
    if not changes:
        return []
    try:
        apply_changes(changes)
        embed_queue.send(embeds)
    except Exception:
        first = records[changes[0].position]
        log.exception("search index: batch failed", sequence=_sequence(first),
                      records=len(records))
        return [_sequence(first)]
    return []


def _sequence(record: Any) -> str:
    change = record.get("dynamodb") if isinstance(record, dict) else None
    return str((change or {}).get("SequenceNumber", ""))


@dataclass
class Change:
    """What one stream record asks of the index: this image indexed, or the professional gone."""

    id: str
    version: int
    image: dict[str, Any] | None  # None: removed
    position: int = 0


def read_change(record: Any) -> Change | None:
    """The change a stream record carries; None for items that are not professionals."""
    event, change, pk = stream_records.read(record)
    if not pk.startswith(PROFESSIONAL_PREFIX):
        return None  # guards, keys, markers: not searchable
    if event == "REMOVE":
        old = _image(change.get("OldImage"), pk)
        return Change(id=old["id"], version=int(old.get("version", 0)), image=None)
    new = _image(change.get("NewImage"), pk)
    return Change(id=new["id"], version=int(new.get("version", 0)), image=new)


def apply_changes(changes: list[Change]) -> dict[str, int]:
    """Apply the newest change of each professional, all in batched writes."""
    newest: dict[str, Change] = {}
    for change in changes:
        newest[change.id] = change
    states = read_states(list(newest))
    plans = [p for p in parallel(lambda c: plan(c, states.get(c.id)), list(newest.values())) if p]
    pending = [p.pending for p in plans if p.pending]
    if pending:
        write_postings({doc_key(s["id"]): s for s in pending}, [], parallel_requests=True)
    puts: dict[tuple[str, str], dict[str, Any]] = {}
    deletes: list[tuple[str, str]] = []
    for p in plans:
        puts.update(p.puts)
        deletes += p.deletes
    write_postings(puts, deletes, parallel_requests=True)
    write_postings({doc_key(p.final["id"]): p.final for p in plans}, [], parallel_requests=True)
    _after_writes(newest.values(), plans)
    outcome: dict[str, int] = {}
    for p in plans:
        outcome[p.what] = outcome.get(p.what, 0) + 1
    if plans:
        log.info("search indexed", professionals=len(plans), postings=len(puts),
                 removed=len(deletes))
    return outcome


def _after_writes(changes: Any, plans: list[Plan]) -> None:
    """What the index shares between professionals, once their entries are written: the
    phones' regions, the typo vocabulary, the resumes' document frequencies."""
    _note_regions(changes)
    vocabulary.register({w for p in plans for w in p.words})
    vocabulary.register({w for p in plans for w in p.resume_words}, vocabulary.RESUME)
    frequencies: dict[str, int] = {}
    for p in plans:
        for stem, change in p.frequencies.items():
            frequencies[stem] = frequencies.get(stem, 0) + change
    resumes = sum(p.resumes for p in plans)
    if any(frequencies.values()) or resumes:
        add_document_frequencies(frequencies, resumes)


def _note_regions(changes: Any) -> None:
    """Add the regions of these phones to the index's list: one idempotent ADD a batch (not
    remembered between batches: a rebuilt table must get them again)."""
    regions = {identifiers.region_of(c.image["phone"]) for c in changes
               if c.image is not None and isinstance(c.image.get("phone"), str)}
    regions.discard(None)
    if regions:
        add_regions(regions)


@dataclass
class Plan:
    """The writes that take one professional's index entries from ``state`` to a change."""

    what: str
    puts: dict[tuple[str, str], dict[str, Any]]
    deletes: list[tuple[str, str]]
    final: dict[str, Any]
    pending: dict[str, Any] | None = None
    words: set[str] = field(default_factory=set)  # profile words, for the typo vocabulary
    resume_words: set[str] = field(default_factory=set)  # of a resume text read anew
    frequencies: dict[str, int] = field(default_factory=dict)  # stems' resumes: +1, -1
    resumes: int = 0  # resumes indexed: +1, -1, 0


def plan(change: Change, state: IndexedState | None, *, same_version: bool = False,
         ) -> Plan | None:
    """What to write for ``change``, or None when the index already reflects it or something
    newer (``same_version``: rebuild an equal version whose content differs, for reindexing).

    A crash between the writes must leave nothing that a later record could not clean up: so
    when postings are added, the DOC item first lists the old and the new ones (``pending``),
    and only the final DOC item, written last, says which version the index reflects."""
    old_version = state.version if state else 0
    old_keys = list(state.keys) if state else []
    if change.image is None:
        if state is not None and state.gone and not state.keys:
            return None
        gone = _stems(old_keys)
        return Plan("removed", {}, old_keys, final={
            "id": change.id, "v": max(change.version, old_version), "gone": True,
            "ks": pack([]), "expires_at": int(time.time()) + TOMBSTONE_SECONDS},
            frequencies=dict.fromkeys(gone, -1), resumes=-1 if gone else 0)
    if state is not None and (state.gone or state.version > change.version
                              or (state.version == change.version and not same_version)):
        return None
    doc = document(change.image, state)
    if state is not None and state.digest == doc.digest():
        return None
    postings = doc.postings()
    final = final_attributes(doc, postings)
    pending = None
    if not set(postings) <= set(old_keys):
        pending = {"id": doc.id, "v": old_version, "dg": "pending",
                   "ks": pack(["\t".join(k) for k in dict.fromkeys(old_keys + list(postings))])}
    words = vocabulary.words_of(doc.profile)
    read_anew = doc.resume_text and (state is None or state.text_key != doc.text_key)
    resume_words = set(analyzer.resume_words(doc.resume_text)) if read_anew else set()
    old_stems, new_stems = _stems(old_keys), _stems(postings)
    frequencies = {**dict.fromkeys(new_stems - old_stems, 1),
                   **dict.fromkeys(old_stems - new_stems, -1)}
    before = _indexed(state)
    changed = {k: v for k, v in postings.items() if before.get(k) != v}
    return Plan("indexed", changed, [k for k in old_keys if k not in postings], final, pending,
                words, resume_words, frequencies, bool(new_stems) - bool(old_stems))


def final_attributes(doc: Document, postings: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """The DOC item of ``doc`` once its postings are written."""
    final: dict[str, Any] = {"id": doc.id, "v": doc.version, "dg": doc.digest(),
                             "ks": pack(["\t".join(k) for k in postings]), "lk": doc.list_key,
                             "src": doc.source, "pf": pack(doc.profile)}
    if doc.text_key:
        final.update({"rk": doc.text_key, "rn": doc.total_words, "rw": pack(doc.counts)})
        if doc.resume_text is not None:
            final["rt"] = pack(doc.resume_text)
    return final


def counted_stems(postings: Any) -> set[str]:
    """The stems a resume adds to the document frequencies (``_stems``): for tools that fill
    an index directly (the benchmarks)."""
    return _stems(postings)


def _indexed(state: IndexedState | None) -> dict[tuple[str, str], dict[str, Any]]:
    """The postings the index holds for a professional, rebuilt from their DOC item (a change
    writes only the postings whose content differs); none when it cannot tell (a DOC item of an
    older layout, a pending one: everything is written)."""
    raw = state.raw if state is not None else {}
    if "pf" not in raw or "src" not in raw or raw.get("dg") == "pending":
        return {}
    text_key = raw.get("rk")
    doc = Document(id=raw["id"], version=state.version, list_key=raw["lk"], source=raw["src"],
                   profile=unpack(raw["pf"]), text_key=text_key)
    if text_key:
        _, doc.counts, doc.total_words = state.resume()
    listed = set(state.keys)
    return {k: v for k, v in doc.postings().items() if k in listed}


def _stems(keys: Any) -> set[str]:
    """The stems a resume counts in the document frequencies: those of its resume postings
    among these keys, the DF_STEMS it uses most (so that a resume adds to at most 47 counter
    items, 16 buckets of up to 50 stems: 8.3's N + 50 writes; a longer resume's rarest words
    go uncounted, their rarity a little overstated)."""
    weighted = sorted(((sk, pk[len(RESUME_PREFIX):]) for pk, sk in keys
                       if pk.startswith(RESUME_PREFIX)), reverse=True)
    return {stem for _, stem in weighted[:DF_STEMS]}


def _image(raw: Any, pk: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise PoisonRecord(f"{pk}: the record carries no image")
    try:
        image = from_raw(raw)
    except (TypeError, ValueError, KeyError, AttributeError, binascii.Error) as exc:
        raise PoisonRecord(f"{pk}: unreadable image: {exc}") from None
    if image.get("kind") not in (None, "professional") or not isinstance(image.get("id"), str) \
            or not isinstance(image.get("list_key"), str) or not isinstance(image.get("full_name"), str):
        raise PoisonRecord(f"{pk}: not a professional image")
    return image


def document(image: dict[str, Any], state: IndexedState | None) -> Document:
    """What the index should hold for this image (the resume text read again only when its
    text object changed)."""
    profile = analyzer.profile_words({f: image.get(f) for f in analyzer.PROFILE_FIELDS})
    ready = image.get("resume_ready")
    if isinstance(ready, str):
        ready = json.loads(ready)
    text_key = ready.get("text_key") if isinstance(ready, dict) else None
    doc = Document(id=image["id"], version=int(image.get("version", 0)),
                   list_key=image["list_key"], source=str(image.get("source", "")),
                   profile=profile, text_key=text_key,
                   email_verified=image.get("email_verified") is True)
    if text_key:
        if state is not None and state.text_key == text_key:
            doc.resume_text, doc.counts, doc.total_words = state.resume()
        else:
            doc.resume_text = read_text(text_key)
            counts, doc.total_words = analyzer.resume_counts(doc.resume_text)
            doc.counts = dict(counts)
    return doc


def read_text(text_key: str) -> str | None:
    """The resume's text, at most TEXT_LIMIT characters; None when its object is gone."""
    s3 = clients.s3()
    try:
        body = s3.get_object(Bucket=get_settings().resume_bucket, Key=text_key,
                             Range=f"bytes=0-{TEXT_BYTES - 1}")["Body"].read()
    except s3.exceptions.NoSuchKey:
        log.warning("search index: resume text missing", key=text_key)
        return None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "InvalidRange"):
            return None
        raise
    return body.decode("utf-8", errors="ignore")[:TEXT_LIMIT]


def index_item(image: dict[str, Any], *, same_version: bool = False) -> str:
    """Index one image now, with conditional writes: safe beside the stream indexer (reindex,
    repair). Returns what happened: indexed, or unchanged (the index is as new or newer)."""
    change = Change(id=image["id"], version=int(image.get("version", 0)), image=image)
    return _apply_one(change, same_version=same_version)


def remove(professional_id: str, version: int) -> str:
    """Delete every posting of a professional, leaving a tombstone (a late replay of an older
    image must not bring them back)."""
    return _apply_one(Change(id=professional_id, version=version, image=None))


def _apply_one(change: Change, *, same_version: bool = False) -> str:
    for _ in range(WRITE_ATTEMPTS):
        state = read_state(change.id)
        todo = plan(change, state, same_version=same_version)
        if todo is None:
            return "unchanged"
        try:
            if todo.pending:
                write_state(change.id, expected=state, attributes=todo.pending)
                state = IndexedState(version=todo.pending["v"], digest="pending", keys=[],
                                     text_key=None, gone=False, raw={})
            write_postings(todo.puts, todo.deletes)
            write_state(change.id, expected=state, attributes=todo.final)
            _after_writes([change], [todo])
            return todo.what
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # another indexer moved the DOC item on: read it again and decide again
    raise RuntimeError(f"search index: {change.id} kept changing under the indexer")


def reindex_ids(ids: list[str]) -> dict[str, int]:
    """Index these professionals from the table's current state (a command's tool: the stream
    path never reads the table); ids no longer in the table lose their entries."""
    from chalicelib import db
    from chalicelib.models import ProfessionalItem, professional_pk
    found = db.batch_get(professional_pk(i) for i in ids)
    outcome: dict[str, int] = {}
    for professional_id in ids:
        item = found.get(professional_pk(professional_id))
        if isinstance(item, ProfessionalItem):
            what = index_current(item)
        else:
            what = remove(professional_id, 0)
        outcome[what] = outcome.get(what, 0) + 1
    return outcome


def index_current(item: Any) -> str:
    """Index a professional as the table holds it now (reindex and repair). Its version may equal
    the one already indexed: the content digest decides then."""
    return index_item(dict(item.attribute_values), same_version=True)
