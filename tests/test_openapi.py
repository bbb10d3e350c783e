"""The OpenAPI document is valid, complete against the contract, and the docs page is self-hosted."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from chalicelib import apidocs

SPEC_FILE = Path(apidocs.__file__).with_name("openapi.json")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# Every row of the contract's endpoint table, with who may call it.
CONTRACT_OPERATIONS = {
    ("get", "/health"): "public",
    ("post", "/professionals"): "anonymous_or_key",
    ("post", "/professionals/bulk"): "key",
    ("get", "/professionals"): "key",
    ("get", "/professionals/{id}"): "key_or_token",
    ("patch", "/professionals/{id}"): "key_or_token",
    ("delete", "/professionals/{id}"): "key_or_token",
    ("post", "/professionals/{id}/resume"): "key_or_token",
    ("get", "/professionals/{id}/resume"): "key",
    ("get", "/professionals/{id}/history"): "key",
    ("get", "/professionals/{id}/similar"): "key",
    ("get", "/auth/config"): "public",
    ("get", "/openapi.json"): "public",
    ("get", "/docs"): "public",
    ("post", "/sessions"): "public",
    ("post", "/access-links"): "public",
}
EXPECTED_SECURITY = {
    "public": [{}],
    # Wherever a staff key goes, a staff user's Cognito access token goes (contract 8.2).
    "anonymous_or_key": [{}, {"ApiKey": []}, {"StaffUser": []}],
    "key": [{"ApiKey": []}, {"StaffUser": []}],
    "key_or_token": [{"ApiKey": []}, {"StaffUser": []}, {"AccessToken": []}],
}
CONTRACT_ERROR_CODES = {
    400: {"bad_request", "validation_error"},
    401: {"unauthorized"},
    403: {"forbidden"},
    404: {"not_found"},
    405: {"method_not_allowed"},
    409: {"conflict", "idempotency_in_progress"},
    413: {"payload_too_large"},
    415: {"unsupported_media_type"},
    422: {"idempotency_key_reused"},
    429: {"rate_limited"},
    500: {"internal_error"},
    503: {"unavailable"},
}
TIMESTAMP = "2026-11-26T03:00:00.000Z"


@pytest.fixture(scope="module")
def spec() -> dict:
    return apidocs.openapi_document()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _resolve(spec, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _validator(spec, schema_name: str) -> OAS30Validator:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    return OAS30Validator(schema)


def _professional(**overrides):
    item = {
        "id": "p1",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+14155550123",
        "company_name": "Analytical Engines Ltd",
        "job_title": "Engineer",
        "source": "direct",
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "resume": None,
        "email_verified": False,
        "consent": None,
    }
    item.update(overrides)
    return item


def test_document_is_valid_openapi_3_0_3(spec):
    validate(spec)
    assert spec["openapi"] == "3.0.3"
    assert spec["servers"] == [{"url": "/api"}]


def test_document_file_is_what_openapi_document_returns(spec):
    assert spec == json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def test_openapi_document_hands_out_copies():
    first = apidocs.openapi_document()
    first["info"]["title"] = "changed"
    assert apidocs.openapi_document()["info"]["title"] != "changed"


def test_every_contract_operation_is_documented_with_its_security(spec):
    documented = {(method, path) for path, method, _ in _operations(spec)}
    missing = set(CONTRACT_OPERATIONS) - documented
    assert not missing
    for (method, path), who in CONTRACT_OPERATIONS.items():
        assert spec["paths"][path][method]["security"] == EXPECTED_SECURITY[who], (method, path)


def test_docs_assets_route_is_documented(spec):
    op = spec["paths"]["/docs/assets/{name}"]["get"]
    assert set(op["parameters"][0]["schema"]["enum"]) == set(apidocs.ASSET_NAMES)


def test_security_schemes(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert schemes["AccessToken"]["type"] == "http"
    assert schemes["AccessToken"]["scheme"] == "bearer"
    assert schemes["StaffUser"] == {**schemes["StaffUser"], "type": "http", "scheme": "bearer",
                                    "bearerFormat": "JWT"}
    used = {name for _, _, op in _operations(spec) for alt in op["security"] for name in alt}
    assert used == set(schemes)


def test_every_operation_lists_a_4xx_and_500_from_shared_responses(spec):
    for path, method, op in _operations(spec):
        statuses = set(op["responses"])
        assert any(s.startswith("4") for s in statuses), (method, path)
        assert "500" in statuses, (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert set(response) == {"$ref"}, (method, path, status)
                assert response["$ref"].startswith("#/components/responses/"), (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/professionals", {"400", "401", "403", "409", "413", "415", "429", "503"}),
        ("post", "/professionals/bulk", {"400", "401", "403", "413", "415", "429", "503"}),
        ("get", "/professionals", {"400", "401", "403", "429", "503"}),
        ("get", "/professionals/{id}", {"401", "403", "404", "429", "503"}),
        ("patch", "/professionals/{id}", {"400", "401", "403", "404", "409", "413", "415", "503"}),
        ("delete", "/professionals/{id}", {"401", "403", "404", "503"}),
        ("post", "/professionals/{id}/resume", {"400", "401", "403", "404", "415", "503"}),
        ("get", "/professionals/{id}/resume", {"401", "403", "404", "503"}),
        ("get", "/health", {"503"}),
        ("post", "/sessions", {"400", "413", "415", "429", "503"}),
        ("post", "/access-links", {"400", "413", "415", "429", "503"}),
    ],
)
def test_operation_lists_the_errors_the_contract_allows(spec, method, path, statuses):
    assert statuses <= set(spec["paths"][path][method]["responses"])


def test_every_reference_resolves(spec):
    refs = set(_refs(spec))
    assert refs
    for ref in refs:
        _resolve(spec, ref)


def test_error_codes_match_the_contract(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["ErrorCode"]["enum"]) == set().union(*CONTRACT_ERROR_CODES.values())
    status_of = {}
    for _, _, op in _operations(spec):
        for status, response in op["responses"].items():
            if "$ref" in response:
                status_of.setdefault(response["$ref"], set()).add(int(status))
    error_validator = _validator(spec, "Error")
    for name, response in spec["components"]["responses"].items():
        media = response["content"]["application/json"]
        examples = [media["example"]] if "example" in media else [e["value"] for e in media["examples"].values()]
        for example in examples:
            error_validator.validate(example)
            for status in status_of.get(f"#/components/responses/{name}", ()):
                assert example["error"]["code"] in CONTRACT_ERROR_CODES[status], (name, status)


def test_required_schemas_exist(spec):
    names = {
        "Professional", "ProfessionalWithText", "ProfessionalCreate", "ProfessionalPatch",
        "BulkRow", "BulkResponse", "ResumeDescriptor", "ResumeUpload", "ResumeDownload",
        "ProfessionalList", "Error",
    }
    assert names <= set(spec["components"]["schemas"])


def test_request_bodies_reject_unknown_fields(spec):
    schemas = spec["components"]["schemas"]
    for name in ("ProfessionalCreate", "ProfessionalPatch", "BulkRow", "ResumeDescriptor"):
        assert schemas[name]["additionalProperties"] is False, name
    create = _validator(spec, "ProfessionalCreate")
    assert create.is_valid({"full_name": "Ada", "email": "ada@example.com", "company_name": None})
    assert not create.is_valid({"full_name": "Ada", "email": "ada@example.com", "nickname": "A"})
    assert not create.is_valid({"full_name": "", "email": "ada@example.com"})
    assert not create.is_valid({"full_name": "A" * 201, "email": "ada@example.com"})
    assert not create.is_valid({"full_name": "Ada", "source": "elsewhere"})
    assert not _validator(spec, "ProfessionalPatch").is_valid({"full_name": None})
    assert not _validator(spec, "BulkRow").is_valid({"email": "a@example.com", "id": "x"})


def test_professional_schema_accepts_the_contract_examples(spec):
    professional = _validator(spec, "Professional")
    professional.validate(_professional())
    professional.validate(_professional(email=None, company_name=None, job_title=None))
    professional.validate(_professional(resume={
        "status": "awaiting_upload", "reason": None, "size_bytes": None, "pages": None,
        "text_chars": None, "text_truncated": None, "uploaded_at": None, "processed_at": None,
    }))
    professional.validate(_professional(resume={
        "status": "rejected", "reason": "encrypted", "size_bytes": 1200, "pages": None,
        "text_chars": None, "text_truncated": None, "uploaded_at": TIMESTAMP, "processed_at": TIMESTAMP,
    }))
    assert not professional.is_valid(_professional(created_at="2026-11-26T03:00:00Z"))
    assert not professional.is_valid(_professional(source="web"))
    assert not professional.is_valid(_professional(resume={"status": "done"}))
    professional.validate(_professional(email_verified=True, consent={
        "version": "2026-12-02", "accepted_at": TIMESTAMP}))
    assert not professional.is_valid(_professional(consent={"version": "2026-12-02"}))
    assert not professional.is_valid({k: v for k, v in _professional().items()
                                      if k != "email_verified"})
    _validator(spec, "ProfessionalWithText").validate({**_professional(), "resume_text": None})
    assert not _validator(spec, "ProfessionalWithText").is_valid(_professional())


def test_list_bulk_and_upload_shapes(spec):
    _validator(spec, "ProfessionalList").validate({"items": [_professional()], "next_cursor": None})
    bulk = _validator(spec, "BulkResponse")
    bulk.validate(spec["components"]["schemas"]["BulkResponse"]["example"])
    bulk.validate({
        "summary": {"created": 0, "updated": 0, "unchanged": 0, "failed": 1},
        "results": [{"index": 0, "status": "failed", "id": None, "error": {
            "code": "conflict", "message": "Taken.", "details": {"conflicts": [{"field": "phone"}]}}}],
    })
    _validator(spec, "ProfessionalCreated").validate({
        **_professional(),
        "access_token": "t",
        "resume_upload": {"url": "https://bucket.example/", "fields": {"key": "uploads/x"},
                          "key": "uploads/x", "max_bytes": 5242880, "expires_at": TIMESTAMP},
    })
    descriptor = _validator(spec, "ResumeDescriptor")
    descriptor.validate({"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 5242880})
    assert not descriptor.is_valid({"filename": "cv.pdf", "content_type": "application/pdf", "size_bytes": 5242881})
    assert not descriptor.is_valid({"filename": "cv.doc", "content_type": "application/msword", "size_bytes": 10})


def test_self_service_shapes(spec):
    from chalicelib.consent import PRIVACY_VERSION
    create = _validator(spec, "ProfessionalCreate")
    assert create.is_valid({"full_name": "Ada", "email": "ada@example.com", "consent": True})
    assert not create.is_valid({"full_name": "Ada", "email": "ada@example.com", "consent": "yes"})
    assert spec["components"]["schemas"]["Consent"]["properties"]["version"]["example"] == \
        PRIVACY_VERSION
    _validator(spec, "Session").validate({"access_token": "t", "professional": _professional()})
    assert not _validator(spec, "SessionRequest").is_valid({"token": "t", "email": "a@b.co"})
    assert not _validator(spec, "AccessLinkRequest").is_valid({})
    _validator(spec, "AccessLinkSent").validate({"status": "sent"})
    assert set(spec["paths"]["/access-links"]["post"]["responses"]) >= {"202", "400"}


def test_idempotency_key_on_both_creating_routes(spec):
    for path in ("/professionals", "/professionals/bulk"):
        op = spec["paths"][path]["post"]
        refs = [p.get("$ref") for p in op["parameters"]]
        assert "#/components/parameters/IdempotencyKey" in refs, path
        assert {"409", "422"} <= set(op["responses"]), path
        success = op["responses"]["201" if path == "/professionals" else "207"]
        assert "Idempotent-Replayed" in success["headers"], path
    key = spec["components"]["parameters"]["IdempotencyKey"]
    assert (key["in"], key["name"], key["schema"]["maxLength"]) == ("header", "Idempotency-Key", 255)


def test_list_parameters(spec):
    params = {}
    for p in spec["paths"]["/professionals"]["get"]["parameters"]:
        p = _resolve(spec, p["$ref"]) if "$ref" in p else p
        params[p["name"]] = p
    from chalicelib.listing import QUERY_PARAMS
    assert set(params) == {"source", "limit", "cursor", "email", "phone", "q", "mode",
                           "has_resume", "email_verified", "created_from",
                           "created_to"} == set(QUERY_PARAMS)
    # 1..200 for keyword search, 3..500 by meaning (8.4): the schema holds the widest
    assert (params["q"]["schema"]["minLength"], params["q"]["schema"]["maxLength"]) == (1, 500)
    from chalicelib.search.semantic import MODES
    assert params["mode"]["schema"]["enum"] == list(MODES)
    limit = params["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 25)
    bulk = spec["paths"]["/professionals/bulk"]["post"]
    assert [_resolve(spec, p["$ref"])["name"] if "$ref" in p else p["name"]
            for p in bulk["parameters"]] == ["dry_run", "Idempotency-Key"]
    assert set(bulk["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert bulk["requestBody"]["content"]["application/json"]["schema"]["maxItems"] == 1000
    assert "207" in bulk["responses"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_icons = 0
        self.spec_url = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if "src" in attrs:
                self.urls.append(attrs["src"])
            else:
                self.inline_scripts += 1
        elif tag == "link" and attrs["href"].startswith("data:"):
            self.inline_icons += 1  # the tab icon, in the page itself: nothing to fetch
        elif tag == "link":
            self.urls.append(attrs["href"])
        elif attrs.get("data-spec-url"):
            self.spec_url = attrs["data-spec-url"]


@pytest.mark.parametrize("root", [
    "http://127.0.0.1:8000/api",
    "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
    "https://d111111abcdef8.cloudfront.net/api",
])
def test_docs_page_loads_everything_from_the_api_itself(root):
    page = f"{root}/docs"
    links = _Links()
    links.feed(apidocs.docs_html())
    assert links.inline_scripts == 0
    assert links.inline_icons == 1
    assert links.spec_url is not None
    assert urljoin(page, links.spec_url) == f"{root}/openapi.json"
    assert len(links.urls) == 4
    for url in links.urls:
        assert not urlsplit(url).scheme and not url.startswith("/"), url
        resolved = urljoin(page, url)
        assert resolved.startswith(f"{root}/docs/assets/"), resolved
        assert apidocs.asset(resolved.rsplit("/", 1)[1]) is not None, resolved
    assert not re.search(r"(?:https?:)?//", re.sub(r'href="data:[^"]*"', "", apidocs.docs_html()))


def test_asset_serves_the_swagger_ui_bundle():
    body, content_type = apidocs.asset("swagger-ui-bundle.js")
    assert content_type.startswith("text/javascript")
    assert len(body) > 100_000
    assert b"SwaggerUIBundle" in body
    css, css_type = apidocs.asset("swagger-ui.css")
    assert css_type.startswith("text/css") and b".swagger-ui" in css
    text, _ = apidocs.asset_text("swagger-ui-standalone-preset.js")
    assert isinstance(text, str) and text


def test_initializer_points_at_the_spec_and_disables_the_online_validator():
    text, content_type = apidocs.asset_text("swagger-initializer.js")
    assert content_type.startswith("text/javascript")
    assert "validatorUrl: null" in text
    assert "data-spec-url" in text


@pytest.mark.parametrize("name", [
    "../something", "../openapi.json", "..%2Fsomething", "../../etc/passwd", "/etc/passwd",
    "", ".", "index.html", "swagger-ui-bundle.js.map", "favicon-32x32.png", "SWAGGER-UI.CSS",
    "swagger-ui.css/", "vendor/swagger-ui.css",
])
def test_asset_refuses_anything_else(name):
    assert apidocs.asset(name) is None
    assert apidocs.asset_text(name) is None
