"""Contract 8.1 in the deployment template (``infra.template.build``, no packaging needed): the
signing secret is in no function's environment and readable only by the functions that sign or
verify; the WAF's rate rules count every request without an API key, on every route, per client
address, staff-token-shaped requests against their own higher limit.

The WAF rules are checked by evaluating their statements here, on requests as clients send
them, with the few statement types the rules use (any other type fails the test: teach it
here first).
"""
from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

import pytest

from infra import template
from infra.template import waf

STAGES = ("dev", "prod")
# The functions that sign or verify (tokens, email tokens, address digests, cursors).
SIGNERS = {"APIHandler": "ApiHandlerRole", "SendMail": "MailSenderRole"}


@pytest.fixture(scope="module", params=STAGES)
def stage(request):
    return request.param


@pytest.fixture(scope="module")
def doc(stage):
    return template.build(stage)


def functions(doc) -> dict[str, dict[str, Any]]:
    """Function logical id -> its properties (in the merge template, what is merged into
    Chalice's; in the packaged one, the merged function)."""
    return {name: r["Properties"] for name, r in doc["Resources"].items()
            if r.get("Type", "AWS::Serverless::Function") == "AWS::Serverless::Function"
            and "Role" in r.get("Properties", {})}


def statements(doc, role: str) -> list[dict[str, Any]]:
    return [s for p in doc["Resources"][role]["Properties"]["Policies"]
            for s in p["PolicyDocument"]["Statement"]]


def roles(doc) -> dict[str, str]:
    return {name: props["Role"]["Fn::GetAtt"][0] for name, props in functions(doc).items()}


# -- the signing secret -----------------------------------------------------------------------

def secret_leaks(doc) -> list[str]:
    """Where the template puts the signing secret's value, or a way to it, within a function's
    reach: its environment, or a dynamic reference anywhere (CloudFormation writes the resolved
    value into the property)."""
    found = []
    text = json.dumps(doc)
    for marker in ("{{resolve:secretsmanager", "{{resolve:ssm-secure"):
        if marker in text:
            found.append(f"dynamic reference {marker}")
    for name, props in functions(doc).items():
        for var, value in props["Environment"]["Variables"].items():
            if var == "SIGNING_SECRET_ARN" and value == {"Ref": "SigningSecret"} \
                    and name in SIGNERS:
                continue  # the secret's ARN, with which a signer reads it (its role allows)
            if re.search(r"SECRET|PASSWORD|PRIVATE", var) or "SigningSecret" in json.dumps(value):
                found.append(f"{name}: {var}")
    return found


def test_no_function_environment_holds_the_secret_or_a_reference_that_resolves_to_it(doc):
    assert secret_leaks(doc) == []
    # The parameter that re-resolved the environment after a rotation has no purpose left.
    assert "SigningSecretRevision" not in doc["Parameters"]
    assert "SigningSecretRevision" not in json.dumps(doc)


def test_the_check_finds_the_secret_where_the_old_template_put_it(doc):
    """The template before issue 18 (all six functions: a dynamic reference, resolved into
    the plaintext environment) is what the check above refuses."""
    old = json.loads(json.dumps(doc))
    for props in functions(old).values():
        props["Environment"]["Variables"]["SIGNING_SECRET"] = {
            "Fn::Sub": "{{resolve:secretsmanager:${SigningSecret}:SecretString}}"}
    leaks = secret_leaks(old)
    assert "dynamic reference {{resolve:secretsmanager" in leaks
    assert {leak.split(":")[0] for leak in leaks[1:]} == set(functions(doc))
    worker = json.loads(json.dumps(doc))
    functions(worker)["ProcessResumeUploads"]["Environment"]["Variables"][
        "SIGNING_SECRET_ARN"] = {"Ref": "SigningSecret"}
    assert secret_leaks(worker) == ["ProcessResumeUploads: SIGNING_SECRET_ARN"]


def test_only_the_api_and_the_mail_sender_know_and_may_read_the_secret(doc):
    readers = {}
    for function, role in roles(doc).items():
        for s in statements(doc, role):
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            if any(a.startswith(("secretsmanager:", "ssm:", "kms:")) for a in actions):
                readers[function] = s
    assert set(readers) == set(SIGNERS)
    for statement in readers.values():
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == ["secretsmanager:GetSecretValue"]
        assert statement["Resource"] == [{"Ref": "SigningSecret"}]  # the ARN: this secret only
        assert "Condition" not in statement
    for function, props in functions(doc).items():
        env = props["Environment"]["Variables"]
        assert ("SIGNING_SECRET_ARN" in env) is (function in SIGNERS), function
    assert doc["Outputs"]["SigningSecretArn"]["Value"] == {"Ref": "SigningSecret"}
    # Nothing else hands the secret out: no resource policy, no other kind of secret.
    kinds = {r.get("Type") for r in doc["Resources"].values()}
    assert "AWS::SecretsManager::ResourcePolicy" not in kinds
    assert [n for n, r in doc["Resources"].items()
            if r.get("Type", "").startswith(("AWS::SecretsManager::", "AWS::SSM::"))] \
        == ["SigningSecret"]


def test_the_secret_says_what_it_signs_and_who_reads_it(doc):
    description = doc["Resources"]["SigningSecret"]["Properties"]["Description"]
    for signed in ("access tokens", "email tokens", "email-address digests", "cursors"):
        assert signed in description, signed
    assert "API" in description and "send_mail" in description


# -- the API's and the mail sender's new item kinds -------------------------------------------

def leading_keys(statement) -> list[str] | None:
    condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
    return condition.get("dynamodb:LeadingKeys")


def test_the_api_marks_used_links_and_the_mail_sender_counts_mail_per_address(doc):
    api = statements(doc, "ApiHandlerRole")
    table = {"Fn::GetAtt": ["ProfessionalsTable", "Arn"]}
    links = [s for s in api if leading_keys(s) and "LINK#*" in leading_keys(s)]
    assert [(s["Action"], s["Resource"], leading_keys(s)) for s in links] == [
        (["dynamodb:PutItem"], [table], ["LINK#*"])]  # put in the session's transaction only
    mail = statements(doc, "MailSenderRole")
    idempotency = {"Fn::GetAtt": ["IdempotencyTable", "Arn"]}
    capped = [s for s in mail if leading_keys(s) and "mailcap#*" in leading_keys(s)]
    assert [(s["Action"], s["Resource"], leading_keys(s)) for s in capped] == [
        (["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"], [idempotency],
         ["mailcap#*"])]  # what chalicelib/mail_limit.py calls (tests/test_deploy_iam.py)
    # The professionals table expires the markers.
    ttl = doc["Resources"]["ProfessionalsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


# -- the WAF ----------------------------------------------------------------------------------

def header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def field(request: dict[str, Any], to_match: dict[str, Any]) -> str | None:
    (kind, spec), = to_match.items()
    if kind == "SingleHeader":
        return header(request["headers"], spec["Name"])
    if kind == "UriPath":
        return request["path"]
    if kind == "Method":
        return request["method"]
    raise AssertionError(f"teach this test FieldToMatch {kind}")


def transformed(value: str, transformations: list[dict[str, Any]]) -> str:
    for step in sorted(transformations, key=lambda s: s["Priority"]):
        value = {"NONE": lambda v: v, "URL_DECODE": urllib.parse.unquote}[step["Type"]](value)
    return value


def matches(statement: dict[str, Any], request: dict[str, Any]) -> bool:
    """AWS WAF's verdict for the statements rate rules here use (and the ones before issue 18
    used); ``request``: method, path (as the stage sees it: /api/...) and headers."""
    (kind, body), = statement.items()
    if kind == "AndStatement":
        assert len(body["Statements"]) >= 2  # WAF's minimum
        return all(matches(s, request) for s in body["Statements"])
    if kind == "NotStatement":
        return not matches(body["Statement"], request)
    if kind not in ("SizeConstraintStatement", "RegexMatchStatement", "ByteMatchStatement"):
        raise AssertionError(f"teach this test {kind}")
    value = field(request, body["FieldToMatch"])
    if value is None:
        return False  # a statement on a missing header does not match
    value = transformed(value, body["TextTransformations"])
    if kind == "RegexMatchStatement":
        return re.search(body["RegexString"], value) is not None
    if kind == "ByteMatchStatement":
        return {"EXACTLY": str.__eq__, "STARTS_WITH": str.startswith,
                "CONTAINS": str.__contains__}[body["PositionalConstraint"]](
                    value, body["SearchString"])
    operators = {"GT": int.__gt__, "GE": int.__ge__, "EQ": int.__eq__}
    return operators[body["ComparisonOperator"]](len(value.encode()), body["Size"])


def counted_by(doc, headers: dict[str, str], method: str = "POST",
               path: str = "/api/professionals") -> set[str]:
    """The rules whose rate counts this request (through CloudFront: X-Viewer-Ip is set)."""
    request = {"method": method, "path": path,
               "headers": {waf.VIEWER_IP_HEADER: "203.0.113.7", **headers}}
    out = set()
    for rule in doc["Resources"]["ApiWebAcl"]["Properties"]["Rules"]:
        rate = rule["Statement"]["RateBasedStatement"]
        keyed = rate["AggregateKeyType"] == "IP" or header(
            request["headers"], rate["ForwardedIPConfig"]["HeaderName"]) is not None
        if keyed and matches(rate["ScopeDownStatement"], request):
            out.add(rule["Name"])
    return out


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cognito_shaped_token() -> str:
    """The shape of a Cognito access token: a JWT (header.payload.signature, RS256)."""
    head = b64(json.dumps({"kid": "abc", "alg": "RS256"}).encode())
    body = b64(json.dumps({"sub": "5f1c", "token_use": "access", "client_id": "x",
                           "cognito:groups": ["editor"], "exp": 1900000000}).encode())
    return f"{head}.{body}.{b64(bytes(range(256)))}"


@pytest.fixture(scope="module")
def person_tokens():
    """A person's access token and a mailed email token, as the API issues them."""
    from chalicelib import auth
    from chalicelib.models import ProfessionalItem
    mp = pytest.MonkeyPatch()
    mp.setenv("STAGE", "test")  # the development secret: no Secrets Manager needed
    mp.delenv("SIGNING_SECRET_ARN", raising=False)
    try:
        item = ProfessionalItem(pk="PRO#p1", id="p1", created_at="2026-01-01T00:00:00Z",
                                email="ada@example.com")
        return {"access": auth.issue_access_token(item), "email": auth.issue_email_token(item)}
    finally:
        mp.undo()


ANONYMOUS = {"anonymous-per-viewer", "anonymous-per-address"}
STAFF = {"staff-token-per-viewer", "staff-token-per-address"}


def test_person_tokens_look_like_what_the_rules_count_as_anonymous(person_tokens):
    for token in person_tokens.values():
        assert token.count(".") == 1 and token.startswith("eyJ")  # payload.signature
        assert not re.search(waf.STAFF_TOKEN_PATTERN, f"Bearer {token}")
    assert re.search(waf.STAFF_TOKEN_PATTERN, f"Bearer {cognito_shaped_token()}")


@pytest.mark.parametrize("who, headers, expected", [
    ("anonymous", {}, ANONYMOUS),
    ("an empty key (metered as public, answered 401)", {"X-Api-Key": ""}, ANONYMOUS),
    ("a staff-shaped token", {"Authorization": "Bearer {staff}"}, STAFF),
    ("a staff-shaped token, header in lower case", {"authorization": "Bearer {staff}"}, STAFF),
    ("a partner key", {"X-Api-Key": "k" * 40}, set()),
    ("a staff key", {"x-api-key": "k" * 40}, set()),
    ("a key and a staff-shaped token", {"X-Api-Key": "k", "Authorization": "Bearer {staff}"},
     set()),
    ("a key and a person's token", {"X-Api-Key": "k", "Authorization": "Bearer {access}"},
     set()),
    ("a person's access token", {"Authorization": "Bearer {access}"}, ANONYMOUS),
    ("a mailed email token as bearer", {"Authorization": "Bearer {email}"}, ANONYMOUS),
    ("a JWT without Bearer", {"Authorization": "{staff}"}, ANONYMOUS),
    ("Basic credentials", {"Authorization": "Basic dXNlcjpwYXNz"}, ANONYMOUS),
    ("four segments", {"Authorization": "Bearer {staff}.x"}, ANONYMOUS),
    ("not a JSON header", {"Authorization": "Bearer abc.def.ghi"}, ANONYMOUS),
    ("an empty signature", {"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."}, ANONYMOUS),
    ("trailing junk", {"Authorization": "Bearer {staff} junk"}, ANONYMOUS),
])
def test_who_the_rate_rules_count(doc, person_tokens, who, headers, expected):
    tokens = {**person_tokens, "staff": cognito_shaped_token()}
    request = {k: v.format(**tokens) for k, v in headers.items()}
    assert counted_by(doc, request) == expected, who


def test_a_caller_without_the_viewer_header_is_counted_by_its_connecting_address(doc):
    """A direct caller of the execute-api URL (no CloudFront, so no X-Viewer-Ip)."""
    rules = doc["Resources"]["ApiWebAcl"]["Properties"]["Rules"]
    for rule in rules:
        rate = rule["Statement"]["RateBasedStatement"]
        if rate["AggregateKeyType"] == "FORWARDED_IP":
            assert rate["ForwardedIPConfig"] == {"HeaderName": waf.VIEWER_IP_HEADER,
                                                 "FallbackBehavior": "NO_MATCH"}
        else:
            assert rate["AggregateKeyType"] == "IP" and "ForwardedIPConfig" not in rate
    direct = {"method": "GET", "path": "/api/professionals/p1", "headers": {}}
    assert {r["Name"] for r in rules
            if r["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
            and matches(r["Statement"]["RateBasedStatement"]["ScopeDownStatement"], direct)} \
        == {"anonymous-per-address"}


def test_every_route_an_anonymous_or_person_token_caller_reaches_is_counted(doc, person_tokens):
    """Every method of every route, as CloudFront forwards it (/api/...): the rules before
    issue 18 counted POSTs to three paths, so a token's PATCH, DELETE or resume upload, and
    every GET, went uncounted; and they counted partners' keyed POSTs."""
    from app import app
    bearer = {"Authorization": f"Bearer {person_tokens['access']}"}
    assert {"/professionals/{professional_id}", "/professionals/{professional_id}/resume",
            "/professionals", "/sessions", "/access-links"} <= set(app.routes)
    for route, methods in app.routes.items():
        path = "/api" + re.sub(r"{[^}]+}", "p1", route)
        for method in methods:
            for headers in ({}, bearer):
                assert counted_by(doc, headers, method, path) == ANONYMOUS, (method, path)
            assert counted_by(doc, {"X-Api-Key": "k" * 40}, method, path) == set(), (method, path)
            staff = {"Authorization": f"Bearer {cognito_shaped_token()}"}
            assert counted_by(doc, staff, method, path) == STAFF, (method, path)


def test_the_limits_are_the_stage_settings_and_staff_get_more(doc, stage):
    settings = template.settings_for(stage)
    rules = {r["Name"]: r for r in doc["Resources"]["ApiWebAcl"]["Properties"]["Rules"]}
    limits = {name: r["Statement"]["RateBasedStatement"]["Limit"] for name, r in rules.items()}
    assert limits == {
        "anonymous-per-viewer": settings.waf_anonymous.per_viewer,
        "anonymous-per-address": settings.waf_anonymous.per_address,
        "staff-token-per-viewer": settings.waf_staff_token.per_viewer,
        "staff-token-per-address": settings.waf_staff_token.per_address,
    }
    assert limits["staff-token-per-viewer"] > limits["anonymous-per-viewer"]  # an office
    for kind in ("anonymous", "staff-token"):  # an edge carries many viewers
        assert limits[f"{kind}-per-address"] >= limits[f"{kind}-per-viewer"]
    # The heaviest legitimate use: one person following a resume upload (the SPA polls every
    # second for 90 s, then every 5 s: ~135 requests in the 5-minute window), twice over.
    assert limits["anonymous-per-viewer"] >= 2 * (90 + (300 - 90) // 5)
    for rule in rules.values():
        rate = rule["Statement"]["RateBasedStatement"]
        assert rule["Action"] == {"Block": {}}
        assert rate["EvaluationWindowSec"] == 300
        assert 10 <= rate["Limit"] <= 2_000_000_000  # what WAF accepts
    assert sorted(r["Priority"] for r in rules.values()) == [0, 1, 2, 3]


def test_a_block_answers_429_rate_limited():
    response = template.gateway_responses()["WAF_FILTERED"]
    assert response["statusCode"] == 429
    assert '"code":"rate_limited"' in response["responseTemplates"]["application/json"]
