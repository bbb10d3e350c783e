"""Request bodies and query strings: media type, size and parsing, in the contract's order."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from chalicelib import validation
from chalicelib.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_BYTES = 1024 * 1024
MAX_BULK_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit


def media_type(headers: dict[str, str]) -> str:
    return (headers.get("content-type") or "").split(";")[0].strip().lower()


def check_query(params: dict[str, str] | None, allowed: tuple[str, ...]) -> dict[str, str]:
    params = params or {}
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadRequest(f"Unknown query parameter: {', '.join(unknown)}.", {"parameters": unknown})
    return params


def json_body(headers: dict[str, str], raw: bytes | None, *, limit: int = MAX_JSON_BYTES) -> Any:
    if media_type(headers) != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    return _parse_json(raw, limit)


def _parse_json(raw: bytes | None, limit: int) -> Any:
    if raw is not None and len(raw) > limit:
        raise PayloadTooLarge(f"The body must be at most {limit} bytes.", {"max_bytes": limit})
    if not raw:
        raise BadRequest("The request body is empty.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None


def bulk_rows(headers: dict[str, str], raw: bytes | None) -> list[Any]:
    """The rows of a bulk request: a JSON array, or CSV with a header row."""
    kind = media_type(headers)
    if kind not in ("application/json", "text/csv"):
        raise UnsupportedMediaType("Send rows as application/json (an array) or text/csv.")
    if kind == "application/json":
        rows = _parse_json(raw, MAX_BULK_BYTES)
        if not isinstance(rows, list):
            raise BadRequest("The body must be a JSON array of rows.")
        return rows
    if raw is not None and len(raw) > MAX_BULK_BYTES:
        raise PayloadTooLarge(f"The body must be at most {MAX_BULK_BYTES} bytes.",
                              {"max_bytes": MAX_BULK_BYTES})
    return parse_csv(raw or b"")


class CsvRowError(dict):
    """A CSV record that cannot become a row (wrong number of cells); fails alone."""

    def __init__(self, message: str):
        super().__init__()
        self.message = message


def parse_csv(raw: bytes) -> list[Any]:
    try:
        text = raw.decode("utf-8-sig")  # tolerates the BOM that spreadsheet exports add
    except UnicodeDecodeError:
        raise BadRequest("CSV must be UTF-8.") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = [r for r in reader if r and any(cell.strip() for cell in r)]
    except csv.Error as exc:
        raise BadRequest(f"The CSV cannot be parsed: {exc}.") from None
    if not records:
        raise BadRequest("The CSV needs a header row naming the fields.")
    header = [name.strip().lower() for name in records[0]]
    unknown = [name for name in header if name not in validation.WRITABLE_FIELDS]
    if unknown:
        raise BadRequest(f"Unknown CSV column: {', '.join(unknown)}.", {"columns": unknown})
    if len(set(header)) != len(header):
        raise BadRequest("A CSV column is named twice.", {"columns": header})
    rows: list[Any] = []
    for record in records[1:]:
        if len(record) != len(header):
            rows.append(CsvRowError(f"This line has {len(record)} cells; the header has "
                                    f"{len(header)}."))
            continue
        rows.append({name: cell for name, cell in zip(header, record) if cell.strip()})
    return rows


def flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise BadRequest(f"{name} must be true or false.")
