"""Test files made on the fly (no binary blobs in the repository): good PDFs and hostile ones."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf(pages: int = 2, words: str = "Resume of Ada Lovelace", password: str | None = None) -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=12)
    for number in range(1, pages + 1):
        doc.add_page()
        doc.multi_cell(0, 8, text=f"{words} page {number}. Analytical engine notes.")
    if password:
        doc.set_encryption(owner_password="owner-" + password, user_password=password)
    return bytes(doc.output())


def long_text_pdf(chars: int) -> bytes:
    """A PDF whose extracted text exceeds ``chars`` characters."""
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=6)
    line = "lorem ipsum dolor sit amet consectetur adipiscing elit " * 3
    written = 0
    while written < chars:
        doc.add_page()
        for _ in range(60):
            doc.cell(0, 3, text=line, new_x="LMARGIN", new_y="NEXT")
            written += len(line)
    return bytes(doc.output())


def exe_renamed() -> bytes:
    header = b"MZ" + b"\x90\x00" + b"\x00" * 56 + struct.pack("<I", 64)
    return header + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 400


def zip_file() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("resume.txt", "not a pdf")
    return buffer.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def truncated() -> bytes:
    whole = pdf(3)
    return whole[: len(whole) // 3]


def oversized(size: int) -> bytes:
    """A real PDF padded past ``size`` bytes (a trailing comment keeps it a PDF to libmagic)."""
    whole = pdf(1)
    return whole + b"%" + b"x" * (size - len(whole)) + b"\n"


def flate_bomb(inflated_bytes: int = 2 * 1024 ** 3) -> bytes:
    """One page whose content stream is ~2 MB of FlateDecode that inflates to gigabytes.

    A fully flushed deflate block decodes the same wherever it stands, so one compressed 16 MiB
    block is repeated instead of compressing gigabytes.
    """
    block = b" " * (16 * 1024 * 1024)
    packer = zlib.compressobj(9)
    header = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    repeat = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    count = inflated_bytes // len(block)
    checksum = 1
    for _ in range(count):
        checksum = zlib.adler32(block, checksum)
    stream = header + repeat * (count - 1) + b"\x03\x00" + struct.pack(">I", checksum)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()
