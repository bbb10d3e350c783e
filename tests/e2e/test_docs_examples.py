"""Docs that run (contract 8.6): every HTTP example of README.md and docs/api.md, run as written
against the running local stack, with the status and the fields the doc states checked.

An example is a ``curl`` command in a ``sh`` block. Each block that holds one runs in ``bash``,
in document order, with ``API``, ``STAFF`` and ``PARTNER`` set to the stack's (the README's own
``API=... STAFF=... PARTNER=...`` line is left out), in a folder holding the ``cv.pdf`` the
examples upload. ``curl`` is the real one behind a shim that records each call's status and body
(and calls from the examples' own scripts, as the import upload's, go through it too). What a
command answers is its ``# -> <status> <body>`` comment (on its last line, or on the comment
lines after it; docs/testing.md states the convention): the status must be that of every call
the command made, and the body shown, JSON with ``...`` for what is left out and bare keys for
"present", must match the response; a body shown as text must appear in it. A placeholder
``<id>``, ``<access_token>`` or ``<next_cursor>`` is the value of that field in the latest
response of the same doc that carried one. Emails ``@example.com`` get a domain of their own per
run (``@<run>.example.com``) so no other test's records meet the doc's.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pdf import tiny_pdf

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/api.md"]
PLACEHOLDERS = ("id", "access_token", "next_cursor")
EXPECT = re.compile(r"#\s*->\s*(\d{3})\b\s*(.*)$")
RUN_SECONDS = 180  # a block's own waits (a resume, an import) included, on a loaded machine

# The shim run as `curl`: the real curl writes the body and headers to files, the shim prints
# them as curl would have, logs the call, and keeps the fields placeholders stand for.
SHIM = r'''
import json, os, subprocess, sys, tempfile, time
args = sys.argv[1:]
include = any(a in ("-i", "--include") for a in args)
passed = [a for a in args if a not in ("-i", "--include")]
with tempfile.TemporaryDirectory() as tmp:
    body_file, head_file = os.path.join(tmp, "body"), os.path.join(tmp, "head")
    done = subprocess.run([os.environ["DOC_REAL_CURL"], *passed, "-o", body_file, "-D", head_file,
                           "-w", "%{http_code}"], stdout=subprocess.PIPE)
    body = open(body_file, "rb").read() if os.path.exists(body_file) else b""
    head = open(head_file, "rb").read() if os.path.exists(head_file) else b""
out = sys.stdout.buffer
if include:
    out.write(head)
out.write(body)
out.flush()
status = int(done.stdout.decode() or 0)
entry = {"line": int(os.environ.get("DOC_LINE", 0)), "t": time.time(), "status": status,
         "exit": done.returncode, "body": body.decode("utf-8", "replace")[:2000000]}
with open(os.environ["DOC_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\n")
try:
    value = json.loads(body)
except ValueError:
    value = None
if isinstance(value, dict):
    for name in ("id", "access_token", "next_cursor"):
        if isinstance(value.get(name), str):
            with open(os.path.join(os.environ["DOC_STATE"], name), "w") as kept:
                kept.write(value[name])
sys.exit(done.returncode)
'''


@dataclass
class Example:
    """One curl command of a doc: where it starts and what the doc says it answers."""
    line: int
    text: str
    status: int | None = None
    shown: str = ""


@dataclass
class Block:
    line: int
    lines: list[str]
    examples: list[Example] = field(default_factory=list)
    script: str = ""
    problems: list[str] = field(default_factory=list)


def _complete(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def parse_blocks(path: Path) -> list[Block]:
    """The ``sh`` blocks holding a curl command, each cut into commands with their claims."""
    lines = path.read_text().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if re.fullmatch(r"```(sh|bash|shell)\s*", lines[i]):
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            block = Block(i + 2, lines[i + 1:j])
            if any(re.search(r"\bcurl\b", line) and not _is_comment(line)
                   for line in block.lines):
                blocks.append(block)
            i = j
        i += 1
    for block in blocks:
        _cut(block)
    return blocks


def _cut(block: Block) -> None:
    out: list[str] = []
    current: Example | None = None
    in_shown = False
    k = 0
    while k < len(block.lines):
        line = block.lines[k]
        number = block.line + k
        if not line.strip() or _is_comment(line):
            found = EXPECT.search(line) if _is_comment(line) else None
            if current is not None and found and current.status is None:
                current.status, current.shown, in_shown = int(found[1]), found[2], True
            elif current is not None and in_shown and re.match(r"\s*#\s{3,}", line):
                current.shown += "\n" + re.sub(r"^\s*#\s?", "", line)
            else:
                in_shown = False
                if not line.strip():
                    current = None
            out.append(line)
            k += 1
            continue
        end = k
        while not _complete("\n".join(block.lines[k:end + 1])):
            end += 1
        text = "\n".join(block.lines[k:end + 1])
        k = end + 1
        in_shown = False
        if re.match(r"\s*API=", text):  # the reader's settings: the test sets them
            current = None
            continue
        if not re.search(r"\bcurl\b", text):
            current = None
            out.append(text)
            continue
        current = Example(number, text)
        found = EXPECT.search(text.splitlines()[-1])
        if found:
            current.status, current.shown, in_shown = int(found[1]), found[2], True
        block.examples.append(current)
        unknown = sorted({name for name in re.findall(r"<([\w.-]+)>", text)
                          if name not in PLACEHOLDERS})
        if unknown:
            block.problems.append(f"{number}: no value for {', '.join(unknown)}")
            continue
        out.append(f"export DOC_LINE={number}; {_substitute(text)}")
    block.script = "\n".join(out) + "\n"


def _substitute(text: str) -> str:
    return re.sub(r"<(%s)>" % "|".join(PLACEHOLDERS), r'$(cat "$DOC_STATE/\1")', text)


# -- the bodies the docs show: JSON with "..." for what is left out, bare keys for "present" --

ELIDED = object()
PRESENT = object()
TOKEN = re.compile(r'\s*(\.\.\.|…|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?'
                   r'|true|false|null|[{}\[\]:,])')


class Shown:
    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        pos = 0
        while pos < len(text) and text[pos:].strip():
            match = TOKEN.match(text, pos)
            if not match:
                break
            self.tokens.append(match[1])
            pos = match.end()
        self.pos = 0

    def next(self) -> str:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def value(self) -> Any:
        token = self.next()
        if token == "{":
            entries: dict[str, Any] = {}
            while self.peek() != "}":
                key = self.next()
                if key in ("...", "…"):
                    pass
                elif self.peek() == ":":
                    self.next()
                    entries[json.loads(key)] = self.value()
                else:
                    entries[json.loads(key)] = PRESENT
                if self.peek() == ",":
                    self.next()
            self.next()
            return entries
        if token == "[":
            items: list[Any] = []
            while self.peek() != "]":
                item = self.value()
                items.append(item)
                if self.peek() == ",":
                    self.next()
            self.next()
            return items
        if token in ("...", "…"):
            return ELIDED
        return json.loads(token)


def mismatches(shown: Any, actual: Any, where: str = "") -> list[str]:
    if shown is PRESENT or shown is ELIDED:
        return []
    if isinstance(shown, str) and ("..." in shown or "…" in shown):
        return [] if isinstance(actual, str) else [f"{where or 'body'}: {actual!r} is no string"]
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where or 'body'}: {actual!r} is no object"]
        problems = []
        for key, value in shown.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing")
            else:
                problems += mismatches(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return [f"{where or 'body'}: {actual!r} is no array"]
        items = [item for item in shown if item is not ELIDED]
        open_ended = len(items) < len(shown)
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return [f"{where}: {len(actual)} items, the doc shows {len(items)}"
                    f"{' or more' if open_ended else ''}"]
        return [p for i, item in enumerate(items) for p in mismatches(item, actual[i],
                                                                       f"{where}[{i}]")]
    return [] if shown == actual else [f"{where or 'body'}: {actual!r}, the doc shows {shown!r}"]


def check_body(example: Example, body: str) -> list[str]:
    shown = example.shown.strip()
    if shown.startswith("(no body)"):
        return [] if not body else [f"a body: {body[:300]!r}"]
    shown = re.sub(r"^\([^)]*\)", "", shown).strip()  # a remark
    if not shown:
        return []
    if shown[0] in "{[":
        try:
            actual = json.loads(body)
        except ValueError:
            return [f"not JSON: {body[:300]!r}"]
        return mismatches(Shown(shown).value(), actual)
    wanted = [line.strip() for line in shown.splitlines() if line.strip()]
    return [f"{line!r} not in the body" for line in wanted if line not in body]


# -- running a doc --

def run_doc(doc: str, api: str, keys: dict[str, str], work: Path) -> list[str]:
    """Run every example of ``doc``; the problems found, each naming its line."""
    path = ROOT / doc
    blocks = parse_blocks(path)
    real_curl = shutil.which("curl")
    assert real_curl, "the docs' examples need curl on PATH"
    run = secrets.token_hex(4)
    for sub in ("bin", "state"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    shim = work / "bin" / "curl"
    shim.write_text(f"#!{sys.executable}\n{SHIM}")
    shim.chmod(0o755)
    (work / "cv.pdf").write_bytes(tiny_pdf("Curriculum vitae: Kubernetes and compilers"))
    log = work / "calls.jsonl"
    env = {**os.environ, "API": api, "STAFF": keys["staff"], "PARTNER": keys["partner"],
           "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}", "DOC_REAL_CURL": real_curl,
           "DOC_STATE": str(work / "state"), "DOC_LOG": str(log), "DOC_LINE": "0"}
    problems: list[str] = []
    for block in blocks:
        problems += [f"{doc}:{problem}" for problem in block.problems]
        for example in block.examples:
            if example.status is None:
                problems.append(f"{doc}:{example.line}: states no status (`# -> <status>`)")
        script = block.script.replace("@example.com", f"@{run}.example.com")
        try:
            done = subprocess.run(["bash", "-c", script], cwd=work, env=env, timeout=RUN_SECONDS,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True)
            errors = done.stderr
        except subprocess.TimeoutExpired as exc:
            errors = f"timed out after {RUN_SECONDS} s; stderr: {exc.stderr!r}"
            problems.append(f"{doc}:{block.line}: the block {errors}")
        calls = [json.loads(line) for line in log.read_text().splitlines()] \
            if log.exists() else []
        if os.environ.get("DOC_KEEP_LOG"):
            log.rename(log.with_suffix(f".{block.line}.jsonl"))
        log.unlink(missing_ok=True)
        for example in block.examples:
            mine = [call for call in calls if call["line"] == example.line]
            where = f"{doc}:{example.line}"
            if not mine:
                problems.append(f"{where}: never ran; the block's stderr: {errors[-1500:]}")
                continue
            for call in mine:
                if call["exit"] != 0 or call["status"] != example.status:
                    problems.append(f"{where}: {call['status']} (curl exit {call['exit']}), the "
                                    f"doc says {example.status}: {call['body'][:500]}")
                    break
            else:
                body = mine[-1]["body"].replace(f"@{run}.example.com", "@example.com")
                problems += [f"{where}: {p}" for p in check_body(example, body)]
    return problems


def test_the_doc_examples_are_found_with_their_claims():
    readme = [e for b in parse_blocks(ROOT / "README.md") for e in b.examples]
    assert len(readme) >= 20 and all(e.status for e in readme)
    shown = Shown('{"items": [{..., "match": {"fields": ["email"]}}], "next_cursor": null,'
                  ' "upload": {"url", "max_bytes": 52428800}, "id": "cd4f8b..."}').value()
    actual = {"items": [{"id": "x", "match": {"fields": ["email"], "snippet": None}}],
              "next_cursor": None, "upload": {"url": "u", "fields": {}, "max_bytes": 52428800},
              "id": "abc"}
    assert mismatches(shown, actual) == []
    assert mismatches(shown, {**actual, "items": []}) == [".items: 0 items, the doc shows 1"]
    assert mismatches(shown, {**actual, "upload": {"max_bytes": 1}}) == [
        ".upload.url: missing", ".upload.max_bytes: 1, the doc shows 52428800"]


@pytest.mark.parametrize("doc", DOCS)
def test_every_http_example_of_the_doc_runs_as_written(stack, doc, tmp_path):
    problems = run_doc(doc, stack.api, stack.keys, tmp_path)
    assert not problems, "\n".join(problems)
