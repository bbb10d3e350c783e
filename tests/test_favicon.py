"""Every page the project serves names its tab icon (issue 22): the API's Swagger UI page and the
local mail viewer carry it as a ``data:`` URI, so the browser asks for no ``/favicon.ico`` (a 404
on both before); the SPA serves its copy at ``/favicon.svg``."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from urllib.parse import unquote

from chalicelib import apidocs
from infra.local import mailbox

ROOT = Path(__file__).resolve().parent.parent
ICON = re.compile(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">')


def _icon_of(page: str) -> str:
    """The SVG a page's icon link names, checked to be one."""
    found = ICON.search(page)
    assert found, "the page names no icon"
    uri = unescape(found.group(1))
    assert uri.startswith("data:image/svg+xml,") and "#" not in uri, uri
    svg = unquote(uri.removeprefix("data:image/svg+xml,"))
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    return svg


def test_the_api_docs_page_carries_the_icon(api):
    response = api.call("GET", "/docs", who=None)
    assert response.status_code == 200
    assert _icon_of(response.body.decode()) == apidocs.FAVICON_PATH.read_text().strip()


def test_the_local_mail_viewer_carries_the_icon_and_wraps_long_links():
    page = mailbox.page([mailbox.SentMail(id="m1", to=["a@example.com"], source="no-reply@x", subject="Link",
                                          body="Open http://127.0.0.1:8000/me?token=" + "x" * 400,
                                          timestamp="")], "http://127.0.0.1:1")
    assert _icon_of(page) == apidocs.FAVICON_PATH.read_text().strip()
    assert re.search(r"pre\{[^}]*overflow-wrap:anywhere", page), "a long link would widen the page"
    assert '<meta name="viewport"' in page


def test_the_spa_serves_the_same_icon():
    assert '<link rel="icon" type="image/svg+xml" href="/favicon.svg" />' in (ROOT / "frontend/index.html").read_text()
    assert (ROOT / "frontend/public/favicon.svg").read_text() == apidocs.FAVICON_PATH.read_text()
