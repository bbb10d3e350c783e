"""The REST API: its definition (an authorizer on every route, an ANY method per path), access
logs, gateway responses in the contract's envelope, and the usage plans."""
from __future__ import annotations

import json
import re
from typing import Any

from infra.template.cfn import getatt, policy, ref, sub
from infra.template.settings import APP
from infra.template.stack import Stack

AUTHORIZER_NAME = "usagePlanKey"  # the securityDefinitions entry of the REQUEST authorizer

# API Gateway's own errors, in the contract's envelope: response type -> (status, code, message).
# status None keeps API Gateway's; message None passes API Gateway's own message.
# API Gateway's access log line (JSON). key_id comes from the authorizer's context; usage_key_id
# is the API Gateway key the request was metered under.
ACCESS_LOG_FORMAT = {
    "request_id": "$context.requestId", "time": "$context.requestTime",
    "method": "$context.httpMethod", "path": "$context.path",
    "resource_path": "$context.resourcePath", "status": "$context.status",
    "bytes": "$context.responseLength", "ms": "$context.responseLatency",
    "integration_ms": "$context.integration.latency", "key_id": "$context.authorizer.key_id",
    "usage_key_id": "$context.identity.apiKeyId", "ip": "$context.identity.sourceIp",
    "error": "$context.error.responseType",
}

GATEWAY_ERRORS: dict[str, tuple[int | None, str, str | None]] = {
    "DEFAULT_4XX": (None, "bad_request", None),
    "DEFAULT_5XX": (None, "internal_error", None),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No route matches this path."),
    "RESOURCE_NOT_FOUND": (404, "not_found", "No route matches this path."),
    "THROTTLED": (429, "rate_limited", "Too many requests: slow down and retry later."),
    "QUOTA_EXCEEDED": (429, "rate_limited", "This API key has used up its daily quota."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The request body is over 10 MB."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", None),
    "BAD_REQUEST_BODY": (400, "bad_request", None),
    "BAD_REQUEST_PARAMETERS": (400, "bad_request", None),
    "UNAUTHORIZED": (401, "unauthorized", None),
    "ACCESS_DENIED": (403, "forbidden", None),
    "EXPIRED_TOKEN": (403, "forbidden", None),
    "INVALID_SIGNATURE": (403, "forbidden", None),
    # The WAF's only rules are rate limits (per address, on requests without an API key).
    "WAF_FILTERED": (429, "rate_limited", "Too many requests from this address: slow down and "
                                          "retry later."),
    # The authorizer named a partner key's usage key that is not registered (keys sync).
    "INVALID_API_KEY": (403, "forbidden", "This API key is not enabled on the API yet; ask the "
                                          "operators to register it."),
    "AUTHORIZER_FAILURE": (503, "unavailable", "Could not check the credentials; retry."),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "internal_error", None),
    "API_CONFIGURATION_ERROR": (500, "internal_error", None),
    "INTEGRATION_FAILURE": (500, "internal_error", None),
    "INTEGRATION_TIMEOUT": (503, "unavailable", "The request took too long; retry it."),
}


def gateway_responses() -> dict[str, Any]:
    out = {}
    for response_type, (status, code, message) in GATEWAY_ERRORS.items():
        text = json.dumps(message) if message else "$context.error.messageString"
        details = ('{"request_id":"$context.requestId"}'
                   if code in ("internal_error", "unavailable") else "{}")
        body = '{"error":{"code":"%s","message":%s,"details":%s}}' % (code, text, details)
        entry: dict[str, Any] = {"responseTemplates": {"application/json": body},
                                 # as the app's own responses: the id that finds the log lines
                                 "responseParameters": {
                                     "gatewayresponse.header.X-Request-Id": "context.requestId"}}
        if status is not None:
            entry["statusCode"] = status
        out[response_type] = entry
    return out


def usage_key_value(kind: str) -> str:
    """API Gateway API key values (a ``Fn::Sub`` string) the authorizer names as usage keys.

    They are not secrets: with ``apiKeySource: AUTHORIZER`` API Gateway ignores any key a client
    sends; only the authorizer picks one. A partner key's value is the prefix + its ``key_id``.
    """
    return "${AWS::StackName}-usage-plan-key-" + kind


def api(t: Stack) -> None:
    security = [{"api_key": []}, {AUTHORIZER_NAME: []}]
    paths: dict[str, Any] = {}
    for path, methods in t.f.routes.items():
        entry: dict[str, Any] = {m.lower(): {"security": security} for m in methods}
        params = [{"name": name, "in": "path", "required": True, "type": "string"}
                  for name in re.findall(r"{([^}+]+)\+?}", path)]
        # Any other method reaches Chalice, which answers 405 with Allow (enveloped by the
        # app's middleware) instead of API Gateway's 403 "Missing Authentication Token".
        entry["x-amazon-apigateway-any-method"] = {
            "produces": ["application/json"],
            "responses": {"200": {"description": "200 response",
                                  "schema": {"$ref": "#/definitions/Empty"}}},
            "x-amazon-apigateway-integration": {
                "responses": {"default": {"statusCode": "200"}},
                "uri": sub("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                           "2015-03-31/functions/${APIHandler.Arn}/invocations"),
                "passthroughBehavior": "when_no_match",
                "httpMethod": "POST",
                "contentHandling": "CONVERT_TO_TEXT",
                "type": "aws_proxy",
            },
            "security": security,
            **({"parameters": params} if params else {}),
        }
        paths[path] = entry
    throttle = t.s.stage_throttle
    api_access_logs(t)
    t.resources["RestAPI"] = {"DependsOn": ["ApiGatewayAccount"], "Properties": {
        "Name": t.api_name,
        "AccessLogSetting": {"DestinationArn": getatt("ApiAccessLogGroup", "Arn"),
                             "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":"))},
        "EndpointConfiguration": "REGIONAL",  # CloudFront is in front of it
        # Any value stops SAM from also deploying a stage named "Stage", which would be
        # reachable without the usage plans (they name the "api" stage only).
        "OpenApiVersion": "2.0",
        # MetricsEnabled: API Gateway's metrics per route (Resource, Method), which the
        # dashboard shows (infra/template/dashboard.py); billed as custom metrics.
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*",
                            "ThrottlingRateLimit": throttle.rate,
                            "ThrottlingBurstLimit": throttle.burst,
                            "MetricsEnabled": True}],
        "TracingEnabled": True,  # X-Ray from API Gateway on, into the API function's trace
        "DefinitionBody": {
            "info": {"title": t.api_name},
            "x-amazon-apigateway-api-key-source": "AUTHORIZER",
            "securityDefinitions": {
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
                AUTHORIZER_NAME: {
                    "type": "apiKey", "name": "Unused", "in": "header",
                    "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {
                        # No identity source and no caching: invoked on every request, with
                        # or without X-Api-Key, so anonymous sign-ups keep working.
                        "type": "request",
                        "authorizerUri": sub(
                            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                            "2015-03-31/functions/${%s.Arn}/invocations" % t.f.authorizer),
                        "authorizerResultTtlInSeconds": 0,
                    },
                },
            },
            "x-amazon-apigateway-gateway-responses": gateway_responses(),
            "paths": paths,
        },
    }}
    plans = {"Partner": (t.s.partner_throttle, "each partner key on its own"),
             "Staff": (t.s.staff_throttle, "staff keys, together"),
             "Public": (t.s.public_throttle, "anonymous and access-token callers, "
                                             "and unknown keys, together")}
    for name, (limits, who) in plans.items():
        props: dict[str, Any] = {
            "UsagePlanName": sub("${AWS::StackName}-" + name.lower()),
            "Description": f"{APP} {t.stage}: {who}",
            "ApiStages": [{"ApiId": ref("RestAPI"), "Stage": ref("RestAPI.Stage")}],
            "Throttle": {"RateLimit": limits.rate, "BurstLimit": limits.burst},
        }
        if name == "Partner":
            props["Quota"] = {"Limit": t.s.partner_daily_quota, "Period": "DAY"}
        t.add(f"{name}UsagePlan", "AWS::ApiGateway::UsagePlan", props)
    for name in ("Staff", "Public"):
        t.add(f"{name}UsageKey", "AWS::ApiGateway::ApiKey", {
            "Name": sub(usage_key_value(name.lower())),
            "Value": sub(usage_key_value(name.lower())),
            "Description": f"{APP} {t.stage}: the usage key the authorizer names for "
                           f"{plans[name][1]} (never sent by clients)",
            "Enabled": True})
        t.add(f"{name}UsagePlanKey", "AWS::ApiGateway::UsagePlanKey", {
            "KeyId": ref(f"{name}UsageKey"), "KeyType": "API_KEY",
            "UsagePlanId": ref(f"{name}UsagePlan")})


def api_access_logs(t: Stack) -> None:
    """One JSON line per request, errors of the gateway's own included, with the request id
    and the caller's key id (named by the authorizer). API Gateway writes to CloudWatch Logs
    through the account's logging role, one per account and region: the stack sets it, and
    keeps the role when deleted, so another stage's stack that set it keeps logging."""
    t.add("ApiAccessLogGroup", "AWS::Logs::LogGroup",
          {"RetentionInDays": t.s.log_retention_days})
    t.add("ApiGatewayLogsRole", "AWS::IAM::Role", {
        "Description": f"{APP} {t.stage}: API Gateway writes the access logs",
        "AssumeRolePolicyDocument": policy({
            "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "sts:AssumeRole"}),
        "ManagedPolicyArns": [sub("arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                  "AmazonAPIGatewayPushToCloudWatchLogs")],
    }, DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
    t.add("ApiGatewayAccount", "AWS::ApiGateway::Account",
          {"CloudWatchRoleArn": getatt("ApiGatewayLogsRole", "Arn")})
