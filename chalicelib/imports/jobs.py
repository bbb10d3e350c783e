"""The job record: its own table (``<TABLE_NAME>-imports``), its status machine, its checkpoints.

    awaiting_upload --(file arrives)--> running --(last chunk)--> done
                                           \\--(file unreadable)--> failed

Every write is conditional on what the writer last saw: the status for a transition, and for a
running job the ``checkpoint`` (chunks applied so far) and the ``lease_owner`` (the SQS message
whose invocation holds the job). So a duplicate delivery cannot apply a chunk beside the holder,
and a retried invocation continues from the last checkpoint, never from before it.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib import clients, db
from chalicelib.auth import PARTNER, Caller
from chalicelib.clock import new_id, now_iso

TTL_SECONDS = 30 * 24 * 3600  # the record (contract: 30 days); DynamoDB's TTL deletes it
OWNER_INDEX = "by_owner"
STATUSES = ("awaiting_upload", "running", "done", "failed")
FINAL = ("done", "failed")
OUTCOMES = ("created", "updated", "unchanged", "failed")
_to, _from = TypeSerializer(), TypeDeserializer()


def table_name() -> str:
    """Read when called (Chalice sets a stage's variables only while a handler runs)."""
    return os.environ.get("IMPORTS_TABLE_NAME") or \
        f"{os.environ.get('TABLE_NAME', 'professionals')}-imports"


def owner_of(caller: Caller) -> str:
    """Whose list a job is in: a partner's jobs are its key name's; staff keys share theirs."""
    return f"partner#{caller.name}" if caller.role == PARTNER else "staff"


class Lost(Exception):
    """A conditional write found the job moved on (another invocation holds it, or it ended)."""


@dataclass
class Job:
    id: str
    owner: str
    format: str
    dry_run: bool
    caller_role: str
    caller_name: str | None
    caller_key_id: str | None
    object_key: str
    created_at: str
    status: str = "awaiting_upload"
    rows_total: int | None = None
    rows_done: int = 0
    summary: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    error: dict[str, Any] | None = None
    started_at: str | None = None
    finished_at: str | None = None
    expires_at: int = 0
    checkpoint: int = 0  # chunks applied and recorded
    columns: list[str] | None = None  # the header as sent (the errors file repeats it)
    failed_parts: list[int] = field(default_factory=list)  # chunks with rows in the errors file
    etag: str | None = None  # the file this job reads (an overwrite must not change it midway)
    lease_owner: str | None = None
    lease_until: float = 0
    pending_chunk: int | None = None  # a chunk begun and not yet recorded...
    pending_since: str | None = None  # ...and when its first attempt began
    caller_group: str | None = None  # a signed-in staff user's group: the rows' history actor

    @property
    def caller(self) -> Caller:
        return Caller(role=self.caller_role, name=self.caller_name, key_id=self.caller_key_id,
                      group=self.caller_group)

    @property
    def list_key(self) -> str:
        return f"{self.created_at}#{self.id}"

    def resource(self) -> dict[str, Any]:
        """What GET /imports/{id} answers."""
        return {"id": self.id, "status": self.status, "format": self.format,
                "dry_run": self.dry_run, "rows_total": self.rows_total,
                "rows_done": self.rows_done, "summary": dict(self.summary), "error": self.error,
                "created_at": self.created_at, "started_at": self.started_at,
                "finished_at": self.finished_at}


def _item(job: Job) -> dict[str, Any]:
    values = {k: v for k, v in job.__dict__.items() if v is not None}
    values["error"] = json.dumps(job.error) if job.error else None
    values["columns"] = json.dumps(job.columns) if job.columns is not None else None
    values["list_key"] = job.list_key
    values["lease_until"] = int(job.lease_until)
    return {k: _to.serialize(v) for k, v in values.items() if v is not None}


def _job(raw: dict[str, Any]) -> Job:
    values = {k: _from.deserialize(v) for k, v in raw.items()}
    values.pop("list_key", None)
    for name in ("caller_name", "caller_key_id"):  # absent when None (a caller without them)
        values.setdefault(name, None)
    for name in ("rows_total", "rows_done", "expires_at", "checkpoint", "pending_chunk"):
        if values.get(name) is not None:
            values[name] = int(values[name])
    values["lease_until"] = float(values.get("lease_until", 0))
    values["summary"] = {k: int(v) for k, v in values.get("summary", {}).items()}
    values["failed_parts"] = [int(p) for p in values.get("failed_parts", [])]
    values["error"] = json.loads(values["error"]) if values.get("error") else None
    values["columns"] = json.loads(values["columns"]) if values.get("columns") else None
    return Job(**values)


def _client() -> Any:
    return clients.dynamodb()


def new(caller: Caller, fmt: str, dry_run: bool, prefix: str) -> Job:
    """A job awaiting its file, written once (the id is fresh: nothing to condition on)."""
    job_id = new_id()
    job = Job(id=job_id, owner=owner_of(caller), format=fmt, dry_run=dry_run,
              caller_role=caller.role, caller_name=caller.name, caller_key_id=caller.key_id,
              caller_group=caller.group,
              object_key=f"{prefix}{job_id}.{fmt}", created_at=now_iso(),
              expires_at=int(time.time()) + TTL_SECONDS)
    with db.unavailable_on_error("PutItem"):
        _client().put_item(TableName=table_name(), Item=_item(job),
                           ConditionExpression="attribute_not_exists(id)")
    return job


def get(job_id: str) -> Job | None:
    """The job, or None; an expired record (TTL deletes within days, not at once) is None."""
    with db.unavailable_on_error("GetItem"):
        found = _client().get_item(TableName=table_name(), Key={"id": {"S": job_id}},
                                   ConsistentRead=True).get("Item")
    if not found:
        return None
    job = _job(found)
    return None if job.expires_at and job.expires_at < time.time() else job


def page(owner: str, limit: int, after: str | None) -> tuple[list[Job], str | None]:
    """One Query of the owner's index, newest first: (jobs, the last list_key if more follow)."""
    kwargs: dict[str, Any] = {}
    condition = "#o = :o"
    values: dict[str, Any] = {":o": {"S": owner}}
    if after:
        condition += " AND list_key < :a"
        values[":a"] = {"S": after}
    with db.unavailable_on_error("Query"):
        answer = _client().query(TableName=table_name(), IndexName=OWNER_INDEX,
                                 KeyConditionExpression=condition,
                                 ExpressionAttributeNames={"#o": "owner"},
                                 ExpressionAttributeValues=values, ScanIndexForward=False,
                                 Limit=limit + 1, **kwargs)
    jobs = [_job(raw) for raw in answer.get("Items", [])]
    now = time.time()
    more = len(jobs) > limit
    shown = jobs[:limit]
    return ([j for j in shown if not j.expires_at or j.expires_at >= now],
            shown[-1].list_key if more else None)


# -- transitions (each conditional; Lost when the job is not where the writer thought) ------

def _update(job: Job, changes: dict[str, Any], condition: str,
            values: dict[str, Any] | None = None) -> Job:
    names = {f"#k{i}": name for i, name in enumerate(changes)}
    sets = [f"#k{i} = :v{i}" for i, name in enumerate(changes) if changes[name] is not None]
    removes = [f"#k{i}" for i, name in enumerate(changes) if changes[name] is None]
    attribute_values = {f":v{i}": _to.serialize(_stored(changes[name]))
                        for i, name in enumerate(changes) if changes[name] is not None}
    attribute_values.update({k: _to.serialize(v) for k, v in (values or {}).items()})
    expression = ("SET " + ", ".join(sets) if sets else "") + \
        (" REMOVE " + ", ".join(removes) if removes else "")
    try:
        raw = _client().update_item(
            TableName=table_name(), Key={"id": {"S": job.id}}, UpdateExpression=expression,
            ConditionExpression=condition, ExpressionAttributeNames={**names, "#s": "status"},
            ExpressionAttributeValues=attribute_values, ReturnValues="ALL_NEW")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise Lost(job.id) from None
        raise
    return _job(raw["Attributes"])


def _stored(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value  # lease times: whole seconds


def take(job: Job, owner: str, seconds: float) -> Job:
    """Hold the job for an invocation: the lease is free, expired, or already this message's
    (a redelivery of the message whose invocation died). Starts an awaiting job."""
    now = time.time()
    changes: dict[str, Any] = {"lease_owner": owner, "lease_until": now + seconds}
    if job.status == "awaiting_upload":
        changes.update(status="running", started_at=now_iso())
    return _update(job, changes,
                   "#s IN (:awaiting, :running) AND (attribute_not_exists(lease_owner) OR "
                   "lease_until < :now OR lease_owner = :me)",
                   {":awaiting": "awaiting_upload", ":running": "running", ":now": int(now),
                    ":me": owner})


def _held(job: Job) -> tuple[str, dict[str, Any]]:
    return ("#s = :running AND checkpoint = :cp AND lease_owner = :me",
            {":running": "running", ":cp": job.checkpoint, ":me": job.lease_owner})


def validated(job: Job, columns: list[str], rows_total: int, etag: str) -> Job:
    condition, values = _held(job)
    return _update(job, {"columns": json.dumps(columns), "rows_total": rows_total,
                         "etag": etag}, condition, values)


def begin_chunk(job: Job, seconds: float) -> Job:
    """Mark chunk ``checkpoint`` as begun (keeping the first attempt's time) and renew the lease."""
    condition, values = _held(job)
    changes: dict[str, Any] = {"lease_until": time.time() + seconds}
    if job.pending_chunk != job.checkpoint:
        changes.update(pending_chunk=job.checkpoint, pending_since=now_iso())
    return _update(job, changes, condition, values)


def record_chunk(job: Job, rows: int, summary: dict[str, int], has_failures: bool) -> Job:
    """The checkpoint: the chunk's rows and outcomes added, once (conditional on the last one)."""
    condition, values = _held(job)
    total = {k: job.summary.get(k, 0) + summary.get(k, 0) for k in OUTCOMES}
    return _update(job, {
        "checkpoint": job.checkpoint + 1, "rows_done": job.rows_done + rows, "summary": total,
        "failed_parts": job.failed_parts + ([job.checkpoint] if has_failures else []),
        "pending_chunk": None, "pending_since": None}, condition, values)


def release(job: Job) -> Job:
    """Let the continuation message's invocation take the job at once."""
    condition, values = _held(job)
    return _update(job, {"lease_until": 0, "lease_owner": "released"}, condition, values)


def finish(job: Job, status: str, error: dict[str, Any] | None = None) -> Job:
    condition, values = _held(job)
    return _update(job, {"status": status, "finished_at": now_iso(),
                         "error": json.dumps(error) if error else None,
                         "lease_owner": None, "lease_until": None}, condition, values)
