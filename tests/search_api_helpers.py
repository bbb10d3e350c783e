"""Helpers of the search tests: create professionals over the API, give them a resume through the
resume processor (a real PDF, or a given extracted text), bring the index up to date, search and
page through the results."""
from __future__ import annotations

import itertools
import textwrap
import uuid
from typing import Any
from urllib.parse import urlencode

from chalicelib import clients, resume_processor, resumes
from tests.search_sync import sync_search_index
from tests.test_resumes import deliver, s3_event

BUCKET = "professionals-resumes-test"
DESCRIPTOR = {"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 2000}
_serial = itertools.count(1)


def create(api, full_name: str, **fields: Any) -> dict[str, Any]:
    """A professional created by staff (a unique email unless an email or phone is given)."""
    body = {"full_name": full_name, **fields}
    if "email" not in body and "phone" not in body:
        body["email"] = f"someone{next(_serial)}@nowhere.example.net"
    body = {k: v for k, v in body.items() if v is not None}
    response = api.call("POST", "/professionals", body=body)
    assert response.status_code == 201, response.json
    return response.json


def pdf_with(text: str) -> bytes:
    """A PDF whose extracted text is ``text`` (Latin-1; one line per line of ``text``)."""
    from fpdf import FPDF
    doc = FPDF()
    doc.set_font("helvetica", size=10)
    doc.add_page()
    for line in text.split("\n"):
        for part in textwrap.wrap(line, 90) or [""]:
            doc.cell(0, 5, text=part, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def upload_resume(api, pid: str, data: bytes) -> dict[str, Any]:
    """Start an upload, put the file where the presigned POST would, and let the resume
    processor (the SQS handler) take it; returns the professional with resume_text."""
    started = api.call("POST", f"/professionals/{pid}/resume", body=DESCRIPTOR)
    assert started.status_code == 201, started.json
    key = started.json["resume_upload"]["key"]
    clients.s3().put_object(Bucket=BUCKET, Key=key, Body=data)
    assert deliver(api, s3_event(key)) == {"batchItemFailures": []}
    record = api.call("GET", f"/professionals/{pid}").json
    assert record["resume"]["status"] == "ready", record["resume"]
    return record


def resume_from_pdf(api, pid: str, text: str) -> dict[str, Any]:
    record = upload_resume(api, pid, pdf_with(text))
    assert all(word in record["resume_text"] for word in text.split()), record["resume_text"]
    return record


class GivenTexts:
    """Stands in for the PDF text extractor only (monkeypatched ``resume_processor.extract_text``): an
    uploaded file ``%PDF-...<token>`` is "extracted" as the text registered for it. Everything
    else (the SQS handler, the text object in S3, the record's resume state, the stream, the
    indexer reading the text object) is the real code."""

    def __init__(self, monkeypatch):
        self.texts: dict[bytes, str] = {}
        real = resume_processor.extract_text

        def extract(data: bytes) -> dict[str, Any]:
            if data in self.texts:
                return {"text": self.texts[data], "pages": 1}
            return real(data)

        monkeypatch.setattr(resume_processor, "extract_text", extract)

    def attach(self, api, pid: str, text: str) -> dict[str, Any]:
        data = b"%PDF-1.4\n%" + uuid.uuid4().hex.encode() + b"\n%%EOF\n"
        self.texts[data] = text
        record = upload_resume(api, pid, data)
        assert record["resume_text"] == text[:resumes.TEXT_LIMIT]
        return record


def search(api, q: str | None = None, who: str = "staff", **params: Any):
    query = {**({"q": q} if q is not None else {}), **{k: v for k, v in params.items()
                                                      if v is not None}}
    return api.call("GET", "/professionals?" + urlencode(query), who=who)


def found(api, q: str, **params: Any) -> list[str]:
    """The ids of the first page (limit 100 unless given)."""
    params.setdefault("limit", 100)
    response = search(api, q, **params)
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def found_exact(api, q: str, **params: Any) -> list[str]:
    """The ids of the first page's items matched without a typo (8.3: typo matches come last)."""
    params.setdefault("limit", 100)
    response = search(api, q, **params)
    assert response.status_code == 200, response.json
    items = response.json["items"]
    plain = [item["id"] for item in items if not item["match"].get("typo")]
    assert [item["id"] for item in items][:len(plain)] == plain, "a typo match before another"
    return plain


def page_through(api, q: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every item, following next_cursor; fails on a repeated item, a page over the limit, or a
    cursor that does not move on. A page may be short, even empty, when its request budget is
    spent (8.3)."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        response = search(api, q, limit=limit, cursor=cursor, **params)
        assert response.status_code == 200, response.json
        page = response.json["items"]
        assert len(page) <= limit
        items += page
        if response.json["next_cursor"] is None:
            break
        assert response.json["next_cursor"] != cursor, "a cursor that leads to itself"
        cursor = response.json["next_cursor"]
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), f"repeated items across pages: {ids}"
    return items


def newest_first(records: list[dict[str, Any]]) -> list[str]:
    """Ids in the list's order: created_at, then id, both descending."""
    return [r["id"] for r in sorted(records, key=lambda r: (r["created_at"], r["id"]),
                                    reverse=True)]


def sync() -> int:
    return sync_search_index()
