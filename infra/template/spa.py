"""The SPA: a private bucket behind CloudFront (origin access control), and the API under /api on
the same distribution (one origin, as locally)."""
from __future__ import annotations

from infra.template.cfn import (deny_insecure_transport, getatt, policy, public_access_block,
                                ref, sub)
from infra.template.settings import API_STAGE, APP
from infra.template.stack import Stack

# CloudFront managed policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"


# Client routes of the SPA have no file extension: CloudFront serves index.html for them.
SPA_REWRITE_JS = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""


def spa(t: Stack) -> None:
    t.add("SpaBucket", "AWS::S3::Bucket", {
        "PublicAccessBlockConfiguration": public_access_block(),
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    })
    t.add("SpaBucketPolicy", "AWS::S3::BucketPolicy", {
        "Bucket": ref("SpaBucket"),
        "PolicyDocument": policy(
            {"Sid": "CloudFrontReadsTheSpa", "Effect": "Allow",
             "Principal": {"Service": "cloudfront.amazonaws.com"},
             "Action": "s3:GetObject", "Resource": sub("${SpaBucket.Arn}/*"),
             "Condition": {"StringEquals": {"AWS:SourceArn": sub(
                 "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                 "${SpaDistribution}")}}},
            deny_insecure_transport("SpaBucket")),
    })
    t.add("SpaOriginAccessControl", "AWS::CloudFront::OriginAccessControl", {
        "OriginAccessControlConfig": {
            "Name": sub("${AWS::StackName}-spa"),
            "Description": f"{APP} {t.stage}: CloudFront reads the SPA bucket",
            "OriginAccessControlOriginType": "s3",
            "SigningBehavior": "always", "SigningProtocol": "sigv4"}})
    t.add("SpaRewriteFunction", "AWS::CloudFront::Function", {
        "Name": sub("${AWS::StackName}-spa-routes"),
        "AutoPublish": True,
        "FunctionConfig": {"Comment": "client-side routes serve index.html",
                           "Runtime": "cloudfront-js-2.0"},
        "FunctionCode": SPA_REWRITE_JS})
    t.add("SpaDistribution", "AWS::CloudFront::Distribution", {"DistributionConfig": {
        "Enabled": True,
        "Comment": f"{APP} {t.stage}: the SPA at /, the API at /api",
        "DefaultRootObject": "index.html",
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "PriceClass": "PriceClass_100",
        "Origins": [
            {"Id": "spa", "DomainName": getatt("SpaBucket", "RegionalDomainName"),
             "S3OriginConfig": {"OriginAccessIdentity": ""},
             "OriginAccessControlId": getatt("SpaOriginAccessControl", "Id")},
            {"Id": "api",
             "DomainName": sub("${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"),
             "CustomOriginConfig": {"OriginProtocolPolicy": "https-only",
                                    "OriginSSLProtocols": ["TLSv1.2"]}},
        ],
        "DefaultCacheBehavior": {
            "TargetOriginId": "spa", "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"],
            "Compress": True, "CachePolicyId": CACHING_OPTIMIZED,
            "ResponseHeadersPolicyId": SECURITY_HEADERS,
            "FunctionAssociations": [{"EventType": "viewer-request",
                                      "FunctionARN": getatt("SpaRewriteFunction",
                                                            "FunctionARN")}]},
        "CacheBehaviors": [{
            # /api/... reaches the API Gateway stage "api" with the path unchanged.
            "PathPattern": f"/{API_STAGE}/*", "TargetOriginId": "api",
            "ViewerProtocolPolicy": "https-only",
            "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
            "CachedMethods": ["GET", "HEAD"], "Compress": True,
            "CachePolicyId": CACHING_DISABLED,
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
            "FunctionAssociations": [{"EventType": "viewer-request",
                                      "FunctionARN": getatt("ViewerIpFunction",
                                                            "FunctionARN")}]}],
    }})
