"""Text of a PDF, run as a child process: ``python pdftext.py FILE MAX_PAGES`` prints JSON.

pdfminer (under pdfplumber) can hang, take unbounded memory, or crash the interpreter with a
segmentation fault on a hostile PDF; in a child process with a timeout and an address-space
limit, none of that reaches the worker. Prints ``{"pages", "text"}`` or ``{"error": reason}``.

It is given the file to parse and a minimal environment (``resume_processor._child_env``): code that a
hostile PDF runs here finds no AWS credentials and no secret to use.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def extract(path: str, max_pages: int) -> dict:
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
            if pages == 0:
                return {"error": "empty", "pages": 0}
            if pages > max_pages:
                return {"error": "too_many_pages", "pages": pages}
            text = "\n\n".join((page.extract_text() or "").strip() for page in pdf.pages)
            return {"pages": pages, "text": text.strip()}
    except MemoryError:
        return {"error": "unreadable"}
    except Exception as exc:  # pdfplumber wraps pdfminer's errors in PdfminerException
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)) or \
                isinstance(exc, (PDFPasswordIncorrect, PDFEncryptionError)):
            return {"error": "encrypted"}
        return {"error": "unreadable"}


if __name__ == "__main__":
    # Deployed, pdfplumber and the other packages sit beside chalicelib/ in the Lambda task
    # root (/var/task). The runtime puts that on the worker's sys.path, not in PYTHONPATH (which
    # is /var/runtime), so this child would not find them: put it where the parent has it.
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
    json.dump(extract(sys.argv[1], int(sys.argv[2])), sys.stdout)
