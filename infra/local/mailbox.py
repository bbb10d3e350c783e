"""The mail the local SES emulator "sent", read back through the emulator's own inspection
endpoint, for the developer: the page ``GET /_local/mail`` (``.json`` for tools and tests) of the
local server, and one terminal line per mail from the mail worker.

moto server keeps what ``SendEmail`` accepted in ``GET /moto-api/data.json`` (``ses.Message``);
LocalStack lists it at ``GET /_aws/ses``. Any other SES endpoint (``AWS_ENDPOINT_URL_SES``
pointing at something else) has no such page: the viewer says so.
"""
from __future__ import annotations

import html
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.apidocs import favicon_data_uri

LINK = re.compile(r"https?://\S+")
TIMEOUT_S = 5


@dataclass(frozen=True)
class SentMail:
    id: str
    to: list[str]
    source: str
    subject: str
    body: str
    timestamp: str | None = None

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.body)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "links": self.links}


def ses_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_SES") or os.environ.get("AWS_ENDPOINT_URL") or None


def outbox(endpoint: str | None = None) -> list[SentMail] | None:
    """Every mail the emulator at ``endpoint`` accepted, oldest first; None when it cannot say."""
    endpoint = (endpoint or ses_endpoint() or "").rstrip("/")
    if not endpoint:
        return None
    # LocalStack first, then moto; once one answers, only that one is asked (no 404 lines).
    for kind in [_kinds[endpoint]] if endpoint in _kinds else list(_READERS):
        path, read = _READERS[kind]
        found = _get_json(endpoint + path)
        if isinstance(found, dict):
            mails = read(found)
            if mails is not None:
                _kinds[endpoint] = kind
                return mails
    return None


def _get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 (local)
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _from_moto(m: dict[str, Any]) -> SentMail:
    return SentMail(id=m.get("id", ""), to=list(m.get("destinations", {}).get("ToAddresses", [])),
                    source=m.get("source", ""), subject=m.get("subject", ""),
                    body=m.get("body", ""))


def _from_localstack(m: dict[str, Any]) -> SentMail:
    body = m.get("Body") or {}
    return SentMail(id=m.get("Id", ""), to=list((m.get("Destination") or {}).get("ToAddresses", [])),
                    source=m.get("Source", ""), subject=m.get("Subject", ""),
                    body=body.get("text_part") or body.get("html_part") or "",
                    timestamp=m.get("Timestamp"))


def _read_localstack(found: dict[str, Any]) -> list[SentMail] | None:
    return [_from_localstack(m) for m in found["messages"]] if "messages" in found else None


def _read_moto(found: dict[str, Any]) -> list[SentMail] | None:
    return [_from_moto(m) for m in found["ses"].get("Message", [])] if "ses" in found else None


_READERS = {"localstack": ("/_aws/ses", _read_localstack),
            "moto": ("/moto-api/data.json", _read_moto)}
_kinds: dict[str, str] = {}


def line(mail: SentMail) -> str:
    """The mail worker's terminal line: recipient, subject, link."""
    links = " ".join(mail.links) or "(no link)"
    return f"mail to {', '.join(mail.to)}: {mail.subject!r} {links}"


def suppressed_line(to: str, kind: str, event_id: str) -> str:
    """The mail worker's terminal line for a mail the per-address limit kept back."""
    return f"mail to {to} suppressed by the per-address hourly limit: {kind} (event {event_id})"


def page(mails: list[SentMail] | None, endpoint: str | None) -> str:
    """The viewer: newest first, each link clickable (it opens the app on this origin)."""
    if mails is None:
        items = (f"<p>Cannot read the sent mail of the SES endpoint "
                 f"<code>{html.escape(endpoint or '(none)')}</code>: only moto server and "
                 f"LocalStack keep it.</p>")
    elif not mails:
        items = "<p>No mail sent yet. Sign up, or ask for a link, and reload.</p>"
    else:
        items = "\n".join(_item(m) for m in reversed(mails))
    return _PAGE.format(count=len(mails or []), endpoint=html.escape(endpoint or ""),
                        items=items, favicon=html.escape(favicon_data_uri()))


def _item(mail: SentMail) -> str:
    parts, last = [], 0
    for match in LINK.finditer(mail.body):  # each link clickable, everything else as text
        url = html.escape(match.group(0))
        parts += [html.escape(mail.body[last:match.start()]), f'<a href="{url}">{url}</a>']
        last = match.end()
    parts.append(html.escape(mail.body[last:]))
    when = f" &middot; {html.escape(mail.timestamp)}" if mail.timestamp else ""
    return (f"<article><h2>{html.escape(mail.subject)}</h2>"
            f"<p class=meta>To {html.escape(', '.join(mail.to))} &middot; from "
            f"{html.escape(mail.source)}{when}</p><pre>{''.join(parts)}</pre></article>")


# A mail's long links wrap anywhere (overflow-wrap) rather than widen the page past the screen.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sent mail (local)</title>
<link rel="icon" type="image/svg+xml" href="{favicon}">
<style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}}
article{{border:1px solid #ccc;border-radius:.4rem;padding:0 1rem;margin:1rem 0}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit}}
h2,.meta{{overflow-wrap:anywhere}}.meta{{color:#555}}</style></head>
<body><h1>Sent mail ({count})</h1>
<p>What the app sent through the local SES emulator (<code>{endpoint}</code>), newest first.
Nothing leaves this machine. JSON: <a href="/_local/mail.json">/_local/mail.json</a>.</p>
{items}
</body></html>
"""
