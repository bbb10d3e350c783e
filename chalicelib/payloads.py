"""Request bodies and query strings: media type, size and parsing, in the contract's order."""
from __future__ import annotations

import csv
import io
import json
from array import array
from itertools import accumulate
from typing import Any

from chalicelib import validation
from chalicelib.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_BYTES = 1024 * 1024
MAX_BULK_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
MAX_DEPTH = 64  # nesting levels of a JSON body (contract 8.1); the top array or object is one


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
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    """A request body's JSON; 400 for anything the parser rejects, and for nesting deeper than
    MAX_DEPTH, refused before json.loads (which recurses once per level) can see it."""
    try:
        encoding = json.detect_encoding(raw)  # json.loads(bytes) also takes UTF-16 and UTF-32
        utf8 = raw if encoding.startswith("utf-8") else \
            raw.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
        if _too_deep(utf8):
            raise BadRequest(f"The body is nested deeper than {MAX_DEPTH} levels.",
                             {"max_depth": MAX_DEPTH})
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}.") from None
    except RecursionError:  # a backstop: the depth check should make it unreachable
        raise BadRequest("The body is not valid JSON: nested too deeply.") from None


_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_CHUNK = 4096


def _too_deep(utf8: bytes) -> bool:
    """Whether brackets outside strings ever open more than MAX_DEPTH levels.

    Lexes as JSON does: escaped backslashes, then escaped quotes, go; what is left between
    quotes is string text. Where the body is not JSON the count may differ, but only after the
    point where the parser stops. Linear, and in C but for one Python step per 4 KB of brackets;
    stops with the chunk where the depth passes MAX_DEPTH (1 MiB of '[': about 1 ms)."""
    unescaped = utf8.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])  # even pieces: between strings
    signs = outside.translate(_SIGNS, _NOT_BRACKETS)
    depth = 0
    for start in range(0, len(signs), _CHUNK):
        chunk = signs[start:start + _CHUNK]
        opens = chunk.count(1)
        if depth + opens > MAX_DEPTH:  # it could go too deep here: follow it step by step
            if max(accumulate(array("b", chunk), initial=depth)) > MAX_DEPTH:
                return True
        depth += opens - (len(chunk) - opens)
    return False


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
        records = [r for r in reader if not is_blank(r)]
    except csv.Error as exc:
        raise BadRequest(f"The CSV cannot be parsed: {exc}.") from None
    if not records:
        raise BadRequest("The CSV needs a header row naming the fields.")
    header = csv_header(records[0])
    return [csv_row(header, record) for record in records[1:]]


def is_blank(record: list[str]) -> bool:
    """A record with no cell that has text: skipped, and not counted as a row."""
    return not any(cell.strip() for cell in record)


def csv_header(record: list[str]) -> list[str]:
    """The field names a header record gives (case and surrounding spaces ignored); 400 for an
    unknown or repeated column. Import jobs (chalicelib/imports) read headers with this too."""
    header = [name.strip().lower() for name in record]
    unknown = [name for name in header if name not in validation.WRITABLE_FIELDS]
    if unknown:
        raise BadRequest(f"Unknown CSV column: {', '.join(unknown)}.", {"columns": unknown})
    if len(set(header)) != len(header):
        raise BadRequest("A CSV column is named twice.", {"columns": header})
    return header


def csv_row(header: list[str], record: list[str]) -> Any:
    """A data record as a bulk row: empty cells absent; a wrong cell count fails the row alone."""
    if len(record) != len(header):
        return CsvRowError(f"This line has {len(record)} cells; the header has {len(header)}.")
    return {name: cell for name, cell in zip(header, record) if cell.strip()}


def flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise BadRequest(f"{name} must be true or false.")
