"""Shared by the deployment tests: each stage is packaged once per test session, into a
temporary directory (never over ``dist/``, which ``make package`` owns), and helpers to read the
template as AWS would see it."""
from __future__ import annotations

import atexit
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from infra import package as packaging

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOYED_STAGES = ("dev", "prod")
ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"
STREAM_LABEL = "2026-01-01T00:00:00.000"  # a stream ARN ends in its creation time
# Stack parameters without a default, as an operator would give them.
PARAMETERS = {"MailFrom": "no-reply@mail.example.org"}
_packaged: dict[str, packaging.Packaged] = {}
_root = Path(tempfile.mkdtemp(prefix="packaged-"))
atexit.register(shutil.rmtree, _root, True)


def packaged(stage: str) -> packaging.Packaged:
    if stage not in _packaged:
        _packaged[stage] = packaging.package(stage, _root / stage, log=lambda _: None)
    return _packaged[stage]


def sam_transform(doc: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation runs first: the AWS::Serverless transform, as ``aws cloudformation
    package`` leaves the template (the code in S3)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    doc = copy.deepcopy(doc)
    for resource in doc["Resources"].values():
        if resource.get("Properties", {}).get("CodeUri") == "./deployment.zip":
            resource["Properties"]["CodeUri"] = "s3://artifacts/dev/0123456789abcdef"
        if resource.get("Properties", {}).get("ContentUri") == "./embedder-layer.zip":
            resource["Properties"]["ContentUri"] = "s3://artifacts/dev/fedcba9876543210"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    return transform(doc, {}, NoManagedPolicies())


def cfn_lint(*paths: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("cfn-lint")
    command = [str(script)] if script.exists() else [shutil.which("cfn-lint") or "cfn-lint"]
    return subprocess.run([*command, *map(str, paths)], capture_output=True, text=True)


class Resolver:
    """Turns a template's intrinsics into the strings AWS would produce, for one fake account.

    Physical names: a resource's Ref is its logical id (or its configured name), its Arn is
    built the way AWS builds it. Enough for IAM resources, not a general evaluator.
    """

    def __init__(self, doc: dict[str, Any], stack: str = "professionals-dev"):
        self.resources = doc["Resources"]
        self.parameters = {name: p.get("Default", PARAMETERS.get(name))
                           for name, p in doc.get("Parameters", {}).items()}
        self.pseudo = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION,
                       "AWS::Partition": PARTITION, "AWS::StackName": stack,
                       "AWS::URLSuffix": "amazonaws.com"}

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources[name]
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":
            return self.value(props["TableName"])
        if kind == "AWS::S3::Bucket":
            return self.value(props["BucketName"]) if "BucketName" in props else name.lower()
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.value(props['QueueName'])}"
        if kind == "AWS::Logs::LogGroup":
            return name
        if kind == "AWS::SecretsManager::Secret":  # its ARN (AWS adds 6 random characters)
            return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        return name

    def getatt(self, name: str, attribute: str) -> str:
        resource = self.resources[name]
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.ref(name)}"
        if kind == "AWS::DynamoDB::Table" and attribute == "StreamArn":
            return f"{self.getatt(name, 'Arn')}/stream/{STREAM_LABEL}"
        if kind == "AWS::SQS::Queue":
            queue = self.value(props["QueueName"])
            return {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", "QueueName": queue}[attribute]
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self.ref(name)}"
        if kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
        if kind == "AWS::S3Vectors::VectorBucket" and attribute == "VectorBucketArn":
            return f"arn:aws:s3vectors:{REGION}:{ACCOUNT}:bucket/{props['VectorBucketName']}"
        if kind == "AWS::S3Vectors::Index" and attribute == "IndexArn":
            return f"{self.value(props['VectorBucketArn'])}/index/{props['IndexName']}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{ACCOUNT}:role/{name}"
        return f"{name}.{attribute}"

    def value(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                return self.getatt(*arg)
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else arg
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m[1], extra), text)
            if key == "Fn::Join":
                return arg[0].join(self.value(v) for v in arg[1])
            if key == "Fn::Split":
                return self.value(arg[1]).split(arg[0])
            if key == "Fn::Select":
                return self.value(arg[1])[int(arg[0])]
        if isinstance(node, dict):
            return {k: self.value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v) for v in node]
        return node

    def _sub(self, name: str, extra: dict[str, Any]) -> str:
        if name in extra:
            return str(self.value(extra[name]))
        if "." in name:
            return str(self.getatt(*name.split(".", 1)))
        return str(self.ref(name))


def role_policies(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Function logical id -> the statements of its role's inline policies."""
    out = {}
    for name, resource in doc["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = []
        for inline in doc["Resources"][role]["Properties"].get("Policies", []):
            statements += inline["PolicyDocument"]["Statement"]
        out[name] = statements
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="session", params=DEPLOYED_STAGES)
def stage(request) -> str:
    return request.param
