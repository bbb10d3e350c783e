"""An uploaded file's rows, read as a stream, with the bulk route's header rules.

CSV: ``csv.reader`` (RFC 4180, strict) over a streaming UTF-8 decode of the S3 body (a BOM is
tolerated); the whole file never sits in memory. XLSX: the first sheet, its first row naming the
columns, read with openpyxl in read-only mode (rows as they are parsed) from a temporary file,
since a zip needs seeking; what the archive says it unpacks to is bounded first (zip bombs).

Either way the header goes through ``payloads.csv_header`` and each record through
``payloads.csv_row``, exactly as ``POST /professionals/bulk`` with ``text/csv`` does: blank
records are skipped and not counted; ``row`` numbers are 1-based data records.
"""
from __future__ import annotations

import csv
import io
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Any, Iterator

from chalicelib import clients, payloads
from chalicelib.errors import BadRequest, envelope

MAX_ROWS = 100_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # an XLSX's parts together, as its directory declares
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # openpyxl holds this part in memory whole
FORMATS = ("csv", "xlsx")


class Unreadable(Exception):
    """The file cannot be imported: the job ends failed with ``error`` and writes nothing."""

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.error = envelope("bad_request", message, details)["error"]


class FileChanged(Exception):
    """The object is gone or was replaced since the job first read it (its ETag differs)."""


class Rows:
    """A file's header (``columns`` as sent, ``header`` as field names) and its data records."""

    def __init__(self, columns: list[str], records: Iterator[list[str]]):
        self.columns = columns
        try:
            self.header = payloads.csv_header(columns)
        except BadRequest as exc:
            raise Unreadable(exc.message, exc.details) from None
        self.records = records

    def rows(self) -> Iterator[tuple[list[str], Any]]:
        """(the record as sent, the bulk row it makes) for each data record, in file order."""
        for record in self.records:
            yield record, payloads.csv_row(self.header, record)


def count(rows: Rows) -> int:
    """Data records, read to the end; Unreadable past MAX_ROWS (stops reading there)."""
    n = 0
    for _ in rows.records:
        n += 1
        if n > MAX_ROWS:
            raise Unreadable(f"The file has more than {MAX_ROWS} rows; split it.",
                             {"max_rows": MAX_ROWS})
    return n


@contextmanager
def open_rows(fmt: str, bucket: str, key: str, etag: str) -> Iterator[Rows]:
    """The rows of ``s3://bucket/key`` as it was when the job first saw it (``etag``)."""
    s3 = clients.s3()
    try:
        body = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"]
    except s3.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("PreconditionFailed", "NoSuchKey", "404", "412"):
            raise FileChanged(key) from None
        raise
    try:
        if fmt == "csv":
            yield _csv_rows(body)
        else:
            with tempfile.TemporaryFile() as file:
                shutil.copyfileobj(body, file, 1024 * 1024)
                file.seek(0)
                yield _xlsx_rows(file)
    finally:
        body.close()


# -- CSV ------------------------------------------------------------------------------------

class _Raw(io.RawIOBase):
    """botocore's StreamingBody as a raw stream, so io.TextIOWrapper can decode it lazily."""

    def __init__(self, body: Any):
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.body.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _csv_rows(body: Any) -> Rows:
    text = io.TextIOWrapper(io.BufferedReader(_Raw(body), 64 * 1024), encoding="utf-8-sig",
                            newline="")
    records = _guarded(r for r in csv.reader(text, strict=True) if not payloads.is_blank(r))
    header = next(records, None)
    if header is None:
        raise Unreadable("The file needs a header row naming the fields.")
    return Rows(header, records)


def _guarded(records: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        yield from records
    except UnicodeDecodeError:
        raise Unreadable("The file is not UTF-8 text: not a CSV file.") from None
    except csv.Error as exc:
        raise Unreadable(f"The CSV cannot be parsed: {exc}.") from None


# -- XLSX -----------------------------------------------------------------------------------

def _xlsx_rows(file: Any) -> Rows:
    try:
        archive = zipfile.ZipFile(file)
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise Unreadable("The file is not an XLSX workbook.") from None
    if sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES or any(
            p.filename.endswith("sharedStrings.xml") and p.file_size > MAX_SHARED_STRINGS_BYTES
            for p in parts):
        raise Unreadable("The workbook unpacks to more than this service reads "
                         f"({MAX_UNPACKED_BYTES // 2 ** 20} MiB).")
    file.seek(0)
    from openpyxl import load_workbook  # only the import worker needs it
    try:
        book = load_workbook(file, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many kinds on a damaged or foreign archive
        raise Unreadable("The file is not a readable XLSX workbook.") from None
    records = _xlsx_records(sheet.iter_rows(values_only=True))
    header = next(records, None)
    if header is None:
        raise Unreadable("The file needs a header row naming the fields.")
    while header and header[-1] == "":
        header.pop()  # spreadsheets carry empty columns beyond the table
    return Rows(header, _fitted(records, len(header)))


def _xlsx_records(cells: Iterator[tuple[Any, ...]]) -> Iterator[list[str]]:
    try:
        for values in cells:
            record = [_text(v) for v in values]
            if not payloads.is_blank(record):
                yield record
    except Unreadable:
        raise
    except Exception:
        raise Unreadable("The workbook's first sheet cannot be read.") from None


def _fitted(records: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    """A sheet row lists cells up to its last one used: pad short rows, trim empty tails."""
    for record in records:
        while len(record) > width and record[-1] == "":
            record.pop()
        yield record + [""] * (width - len(record))


def _text(value: Any) -> str:
    """A cell as the text a CSV export would hold (a phone typed as a number keeps its digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)
