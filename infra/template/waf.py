"""The WAF on the API stage: rate limits per client address on every request without an API
key, and the CloudFront function that tells the WAF the viewer's address.

Every route counts (the ACL is on the API's stage: every request it sees is an API request).
Requests with an ``X-Api-Key`` are the usage plans' (partner keys per key, staff keys together),
never these rules'. The rest, per client address:

* anonymous and person-token callers (a person's access token is ``<payload>.<signature>``,
  two segments) against ``waf_anonymous``;
* requests whose ``Authorization`` has the shape of a staff (Cognito) access token, a JWT,
  against the higher ``waf_staff_token`` (an office of staff shares one address), and not
  against the anonymous limit. The WAF cannot verify a token: the API does, and answers a
  forged one 401.

Each is counted twice: per viewer (``X-Viewer-Ip``, set by CloudFront whatever the client
sent) and per connecting address (a CloudFront edge, or a direct caller of the execute-api URL,
who may send any ``X-Viewer-Ip``). A block is API Gateway's ``WAF_FILTERED``: 429
``rate_limited`` (infra/template/api.py). Local runs have no WAF (nothing stands in for it).
"""
from __future__ import annotations

from typing import Any

from infra.template.cfn import getatt, ref, sub
from infra.template.settings import APP, WafLimit
from infra.template.stack import Stack

VIEWER_IP_HEADER = "X-Viewer-Ip"
API_KEY_HEADER = "x-api-key"
AUTHORIZATION_HEADER = "authorization"
# "Bearer " and a JWT: three base64url segments, the first a JSON object ('{"' is "eyJ" in
# base64). Cognito's access tokens have this shape; a person's access token (two segments)
# and an API key do not.
STAFF_TOKEN_PATTERN = r"^Bearer eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
WINDOW_S = 300
# CloudFront sends the API the viewer's address in a header of its own, replacing any the client
# sent, so the WAF behind it can count per viewer (it sees CloudFront's addresses otherwise).
VIEWER_IP_JS = """\
function handler(event) {
  event.request.headers['x-viewer-ip'] = {value: event.viewer.ip};
  return event.request;
}
"""
_AS_SENT = [{"Priority": 0, "Type": "NONE"}]


def has_api_key() -> dict[str, Any]:
    """A non-empty X-Api-Key (an empty one is metered as public, like no key at all)."""
    return {"SizeConstraintStatement": {
        "FieldToMatch": {"SingleHeader": {"Name": API_KEY_HEADER}},
        "ComparisonOperator": "GT", "Size": 0, "TextTransformations": _AS_SENT}}


def staff_token_shaped() -> dict[str, Any]:
    return {"RegexMatchStatement": {
        "FieldToMatch": {"SingleHeader": {"Name": AUTHORIZATION_HEADER}},
        "RegexString": STAFF_TOKEN_PATTERN, "TextTransformations": _AS_SENT}}


def _not(statement: dict[str, Any]) -> dict[str, Any]:
    return {"NotStatement": {"Statement": statement}}


def _and(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"AndStatement": {"Statements": list(statements)}}


def _rules(name: str, first_priority: int, limits: WafLimit,
           scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Two rate rules over the requests ``scope`` matches: per viewer, per connecting address."""
    keys = [("per-viewer", limits.per_viewer, {
                "AggregateKeyType": "FORWARDED_IP",
                # Without the header (a direct caller) the request is the next rule's to count.
                "ForwardedIPConfig": {"HeaderName": VIEWER_IP_HEADER,
                                      "FallbackBehavior": "NO_MATCH"}}),
            ("per-address", limits.per_address, {"AggregateKeyType": "IP"})]
    return [{"Name": f"{name}-{key}", "Priority": first_priority + i, "Action": {"Block": {}},
             "VisibilityConfig": _visibility(f"{name}-{key}"),
             "Statement": {"RateBasedStatement": {
                 "Limit": limit, "EvaluationWindowSec": WINDOW_S, "ScopeDownStatement": scope,
                 **aggregate}}}
            for i, (key, limit, aggregate) in enumerate(keys)]


def waf(t: Stack) -> None:
    t.add("ViewerIpFunction", "AWS::CloudFront::Function", {
        "Name": sub("${AWS::StackName}-viewer-ip"),
        "AutoPublish": True,
        "FunctionConfig": {"Comment": f"the viewer's address in {VIEWER_IP_HEADER}, for the WAF",
                           "Runtime": "cloudfront-js-2.0"},
        "FunctionCode": VIEWER_IP_JS})
    unkeyed = _not(has_api_key())
    t.add("ApiWebAcl", "AWS::WAFv2::WebACL", {
        "Name": sub("${AWS::StackName}-api"),
        "Description": f"{APP} {t.stage}: rate limits on requests without an API key",
        "Scope": "REGIONAL",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": _visibility("api"),
        "Rules": [
            *_rules("anonymous", 0, t.s.waf_anonymous, _and(unkeyed, _not(staff_token_shaped()))),
            *_rules("staff-token", 2, t.s.waf_staff_token, _and(unkeyed, staff_token_shaped())),
        ]})
    t.add("ApiWebAclAssociation", "AWS::WAFv2::WebACLAssociation", {
        "WebACLArn": getatt("ApiWebAcl", "Arn"),
        "ResourceArn": {"Fn::Join": ["", [
            "arn:", ref("AWS::Partition"), ":apigateway:", ref("AWS::Region"),
            "::/restapis/", ref("RestAPI"), "/stages/", ref("RestAPI.Stage")]]}})


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
            "MetricName": f"{APP}-{name}"}
