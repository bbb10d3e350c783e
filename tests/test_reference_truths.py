"""Small promises of docs/api.md that an operator or a client leans on (issue 14): Location on
every 201, details.fields on an unparseable look-up, unknown query parameters refused on every
route (the docs' assets too), and credentials ignored by the public routes."""
from __future__ import annotations

import pytest

from tests.test_resumes import DESCRIPTOR

PUBLIC = ["/health", "/openapi.json", "/docs", "/docs/assets/swagger-ui.css"]


def test_every_201_has_a_location(api):
    created = api.call("POST", "/professionals", body={"full_name": "A", "email": "a@example.com"})
    assert created.status_code == 201
    assert created.headers["Location"] == f"/professionals/{created.json['id']}"
    upload = api.call("POST", f"/professionals/{created.json['id']}/resume", body=DESCRIPTOR)
    assert upload.status_code == 201, upload.body
    assert upload.headers["Location"] == f"/professionals/{created.json['id']}"


@pytest.mark.parametrize("query, fields", [
    ("email=not-an-address", {"email"}),
    ("phone=call-me", {"phone"}),
    ("email=a%40example.com&phone=12", {"phone"}),
    ("email=nope&phone=nope", {"email", "phone"}),
])
def test_an_unparseable_look_up_names_its_field(api, query, fields):
    response = api.call("GET", f"/professionals?{query}")
    assert response.status_code == 400, response.body
    assert response.json["error"]["code"] == "bad_request"
    assert set(response.json["error"]["details"]["fields"]) == fields
    assert all(response.json["error"]["details"]["fields"][f] for f in fields)


@pytest.mark.parametrize("path", PUBLIC)
def test_public_routes_refuse_unknown_query_parameters(api, path):
    response = api.call("GET", f"{path}?debug=1", who=None)
    assert response.status_code == 400, response.body
    assert response.json["error"]["code"] == "bad_request"
    assert response.json["error"]["details"]["parameters"] == ["debug"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_routes_read_no_credentials(api, path):
    plain = api.call("GET", path, who=None)
    assert plain.status_code == 200
    for headers in ({"X-Api-Key": "not-a-key"}, {"Authorization": "Bearer forged"}):
        sent = api.call("GET", path, who=None, headers=headers)
        assert (sent.status_code, sent.body) == (plain.status_code, plain.body), headers


def test_the_upload_queue_settings_are_the_documented_ones():
    """docs/decisions.md and docs/operations.md name the local visibility timeout and the 14 days
    an upload waits for a stopped worker; infra/resources.py is what creates the queues."""
    from pathlib import Path
    from infra import resources
    docs = Path(__file__).resolve().parent.parent / "docs"
    local = resources.define("local").upload_queue
    assert f"{local.visibility_timeout} s locally" in (docs / "decisions.md").read_text()
    for stage in ("local", "dev", "prod"):
        queue = resources.define(stage).upload_queue
        assert queue.message_retention_period == 14 * 24 * 3600, stage
        assert queue.attributes("arn:aws:sqs:us-east-1:1:dlq")["MessageRetentionPeriod"] == \
            str(14 * 24 * 3600)
    assert "messages kept 14 days" in (docs / "operations.md").read_text()
