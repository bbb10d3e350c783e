"""What the key-rotation runbook relies on (issue 14): every API request line names the caller's
key id (never the key), API Gateway keeps access logs with the request id and the key id, and the
errors API Gateway makes itself carry X-Request-Id like the app's own responses."""
from __future__ import annotations

import json

import pytest

from chalicelib import gateway_auth
from infra import template
from tests.deploy_fixtures import packaged, stage  # noqa: F401  (stage: fixture)
from tests.log_capture import log_lines  # noqa: F401  (fixture)


@pytest.fixture
def request_lines(log_lines):  # noqa: F811
    """The API's ``request`` lines written during a test."""
    return lambda: log_lines("request")


def key_id_of(api, who):
    from chalicelib import auth
    return {k.name: k.key_id for k in auth.list_keys()}[{"partner": "acme", "staff": "ops"}[who]]


def test_each_request_line_names_the_key_id_and_never_the_key(api, request_lines):
    api.call("POST", "/professionals", who="partner", body={"full_name": "A", "email": "a@x.io"})
    api.call("GET", "/professionals", who="staff")
    api.call("GET", "/health", who=None)
    api.call("GET", "/professionals", who=None)
    lines = request_lines()
    assert [(line.get("role"), line.get("key_id")) for line in lines] == [
        ("partner", key_id_of(api, "partner")), ("staff", key_id_of(api, "staff")),
        (None, None), ("anonymous", None)]
    text = json.dumps(lines)
    assert api.keys["partner"] not in text and api.keys["staff"] not in text


def test_a_revoked_key_is_logged_by_its_id(api, request_lines):
    from chalicelib import auth
    partner_id = key_id_of(api, "partner")
    auth.revoke_key(partner_id)
    assert api.call("GET", "/professionals", who="partner").status_code == 401
    assert api.call("GET", "/professionals", who=None, headers={"X-Api-Key": "nope"}).status_code \
        == 401
    assert [(line["status"], line.get("key_id")) for line in request_lines()] == [
        (401, partner_id), (401, None)]


def test_the_authorizer_gives_api_gateway_the_key_id_for_its_access_log(api, monkeypatch):
    for name in ("USAGE_KEY_PUBLIC", "USAGE_KEY_STAFF", "USAGE_KEY_PARTNER_PREFIX"):
        monkeypatch.setenv(name, name.lower())
    event = {"methodArn": "arn:aws:execute-api:us-east-1:1:api/api/GET/professionals",
             "requestContext": {"requestId": "r-1"}}
    staff = gateway_auth.authorize({**event, "headers": {"X-Api-Key": api.keys["staff"]}})
    assert staff["context"] == {"key_id": key_id_of(api, "staff")}
    anonymous = gateway_auth.authorize({**event, "headers": {}})
    assert anonymous["context"] == {"key_id": ""}
    assert api.keys["staff"] not in json.dumps(staff)



@pytest.mark.package
def test_api_gateway_writes_access_logs_with_request_and_key_ids(stage):
    doc = packaged(stage).load_template()
    props = doc["Resources"]["RestAPI"]["Properties"]
    setting = props["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"])
    assert line["request_id"] == "$context.requestId"
    assert line["key_id"] == "$context.authorizer.key_id"
    assert {"status", "path", "method", "error"} <= set(line)
    assert "$context.identity.apiKey\"" not in setting["Format"]  # the usage key's value: no
    group = doc["Resources"]["ApiAccessLogGroup"]
    assert group["Properties"]["RetentionInDays"] == template.settings_for(stage).log_retention_days
    # API Gateway writes through the account's logging role, kept if the stack goes.
    account = doc["Resources"]["ApiGatewayAccount"]["Properties"]
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}
    role = doc["Resources"]["ApiGatewayLogsRole"]
    assert role["DeletionPolicy"] == "Retain"
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "sts:AssumeRole"}]
    assert "ApiGatewayAccount" in doc["Resources"]["RestAPI"]["DependsOn"]


@pytest.mark.package
def test_every_gateway_error_carries_x_request_id(stage):
    doc = packaged(stage).load_template()
    responses = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"][
        "x-amazon-apigateway-gateway-responses"]
    assert set(responses) == set(template.GATEWAY_ERRORS)
    for response_type, response in responses.items():
        assert response["responseParameters"] == {
            "gatewayresponse.header.X-Request-Id": "context.requestId"}, response_type
