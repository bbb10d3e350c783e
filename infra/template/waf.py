"""The WAF on the API stage: rate limits per client address, and the CloudFront function that
tells the WAF the viewer's address."""
from __future__ import annotations

from typing import Any

from infra.template.cfn import getatt, ref, sub
from infra.template.settings import API_STAGE, APP
from infra.template.stack import Stack

# The routes anyone may call without a key (POST), rate-limited per client address by the WAF.
ANONYMOUS_POSTS = ("/professionals", "/access-links", "/sessions")
VIEWER_IP_HEADER = "X-Viewer-Ip"
# CloudFront sends the API the viewer's address in a header of its own, replacing any the client
# sent, so the WAF behind it can count per viewer (it sees CloudFront's addresses otherwise).
VIEWER_IP_JS = """\
function handler(event) {
  event.request.headers['x-viewer-ip'] = {value: event.viewer.ip};
  return event.request;
}
"""


def waf(t: Stack) -> None:
    """Rate limits on the anonymous POSTs, per viewer and per connecting address. Local
    runs have none (nothing stands in for the WAF)."""
    t.add("ViewerIpFunction", "AWS::CloudFront::Function", {
        "Name": sub("${AWS::StackName}-viewer-ip"),
        "AutoPublish": True,
        "FunctionConfig": {"Comment": f"the viewer's address in {VIEWER_IP_HEADER}, for the WAF",
                           "Runtime": "cloudfront-js-2.0"},
        "FunctionCode": VIEWER_IP_JS})
    paths = "|".join(p.lstrip("/") for p in ANONYMOUS_POSTS)
    anonymous = {"AndStatement": {"Statements": [
        {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint":
                                "EXACTLY", "SearchString": "POST",
                                "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        {"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}},
                                 "RegexString": f"^/{API_STAGE}/({paths})/?$",
                                 "TextTransformations": [{"Priority": 0,
                                                          "Type": "URL_DECODE"}]}}]}}

    def rule(name: str, priority: int, limit: int, **key: Any) -> dict[str, Any]:
        return {"Name": name, "Priority": priority, "Action": {"Block": {}},
                "VisibilityConfig": _visibility(name),
                "Statement": {"RateBasedStatement": {
                    "Limit": limit, "EvaluationWindowSec": 300,
                    "ScopeDownStatement": anonymous, **key}}}

    t.add("ApiWebAcl", "AWS::WAFv2::WebACL", {
        "Name": sub("${AWS::StackName}-api"),
        "Description": f"{APP} {t.stage}: rate limits on the anonymous routes",
        "Scope": "REGIONAL",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": _visibility("api"),
        "Rules": [
            rule("anonymous-posts-per-viewer", 0, t.s.waf_viewer_limit,
                 AggregateKeyType="FORWARDED_IP",
                 ForwardedIPConfig={"HeaderName": VIEWER_IP_HEADER,
                                    "FallbackBehavior": "NO_MATCH"}),
            rule("anonymous-posts-per-address", 1, t.s.waf_source_limit,
                 AggregateKeyType="IP"),
        ]})
    t.add("ApiWebAclAssociation", "AWS::WAFv2::WebACLAssociation", {
        "WebACLArn": getatt("ApiWebAcl", "Arn"),
        "ResourceArn": {"Fn::Join": ["", [
            "arn:", ref("AWS::Partition"), ":apigateway:", ref("AWS::Region"),
            "::/restapis/", ref("RestAPI"), "/stages/", ref("RestAPI.Stage")]]}})


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
            "MetricName": f"{APP}-{name}"}
