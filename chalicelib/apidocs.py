"""The API's own documentation: its OpenAPI document and a self-hosted Swagger UI page.

The page lives at ``<root>/docs`` and refers to everything with relative URLs, so it works under
any stage or path prefix: ``docs/assets/x`` resolves to ``<root>/docs/assets/x`` and
``openapi.json`` to ``<root>/openapi.json``. Nothing is fetched from a CDN. The page has no inline
script, so it also runs under a ``script-src 'self'`` Content-Security-Policy.
"""
from __future__ import annotations

import copy
import functools
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

_SPEC_PATH = Path(__file__).with_name("openapi.json")
# The tab icon of every page the project serves (the SPA has a copy in frontend/public/).
FAVICON_PATH = Path(__file__).with_name("favicon.svg")

_CSS = "text/css; charset=utf-8"
_JS = "text/javascript; charset=utf-8"

# Files served from the installed swagger-ui-bundle package; nothing else is ever read from disk.
_PACKAGE_ASSETS = {
    "swagger-ui.css": _CSS,
    "swagger-ui-bundle.js": _JS,
    "swagger-ui-standalone-preset.js": _JS,
}
# Our own start-up script, kept out of the HTML so the page needs no inline script.
_INITIALIZER = "swagger-initializer.js"

ASSET_NAMES = frozenset(_PACKAGE_ASSETS) | {_INITIALIZER}

_INITIALIZER_JS = """\
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var hideTopbar = function () {
    return { components: { Topbar: function () { return null; } } };
  };
  window.ui = SwaggerUIBundle({
    url: new URL(root.getAttribute("data-spec-url"), document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [hideTopbar],
    layout: "StandaloneLayout"
  });
});
"""

_DOCS_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Professional Sign-up API</title>
  <link rel="icon" type="image/svg+xml" href="{favicon}">
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-spec-url="openapi.json"></div>
  <noscript>This page needs JavaScript. The raw document is at <a href="openapi.json">openapi.json</a>.</noscript>
  <script src="docs/assets/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="docs/assets/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script src="docs/assets/swagger-initializer.js" charset="utf-8"></script>
</body>
</html>
"""


@functools.cache
def _load_document() -> dict[str, Any]:
    with _SPEC_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document, parsed once per process; each caller gets its own copy."""
    return copy.deepcopy(_load_document())


@functools.cache
def favicon_data_uri() -> str:
    """The tab icon as a ``data:`` URI: a page that names it asks nothing more of the server (no
    ``/favicon.ico`` 404), whatever path or origin it is served from."""
    return "data:image/svg+xml," + quote(FAVICON_PATH.read_text(encoding="utf-8").strip(), safe=" /:=,.")


def docs_html() -> str:
    """The Swagger UI page, to be served at ``<root>/docs`` as ``text/html; charset=utf-8``."""
    return _DOCS_HTML.replace("{favicon}", html.escape(favicon_data_uri()))


@functools.cache
def _read_package_asset(name: str) -> bytes:
    from swagger_ui_bundle import swagger_ui_path

    return (Path(str(swagger_ui_path)) / name).read_bytes()


def asset(name: str) -> tuple[bytes, str] | None:
    """Bytes and content type of one allow-listed docs asset, or None for any other name."""
    if name == _INITIALIZER:
        return _INITIALIZER_JS.encode("utf-8"), _JS
    content_type = _PACKAGE_ASSETS.get(name)
    if content_type is None:
        return None
    return _read_package_asset(name), content_type


def asset_text(name: str) -> tuple[str, str] | None:
    """Like ``asset`` but decoded: every asset is UTF-8 text, and Chalice wants a str body for it."""
    found = asset(name)
    if found is None:
        return None
    body, content_type = found
    return body.decode("utf-8"), content_type
