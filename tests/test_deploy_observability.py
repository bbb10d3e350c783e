"""Deployed observability (issue 22): the dashboard names only metrics that exist, X-Ray on every
function, every alarm to the topic whose e-mail subscription is optional.

No dead panel: a panel of the app's namespace names a metric (and dimensions) that some call of
``metrics.emit`` / ``metrics.duration`` in app.py or chalicelib/ writes, read from the source; an
AWS namespace's panel names a metric of a resource the template holds (a queue, a function, a
route of the API). The tracer's own checks run in a child process (patching botocore is global).
"""
from __future__ import annotations

import ast
import copy
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

import pytest

from tests.deploy_fixtures import (packaged, role_policies, sam_transform,
                                   stage)  # noqa: F401  (stage: fixture)

ROOT = Path(__file__).resolve().parent.parent
APP_NAMESPACE = "professionals"
# What each AWS namespace's panels may name, and the one dimension set each is read with.
AWS_METRICS = {
    "AWS/ApiGateway": {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"},
    "AWS/SQS": {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
                "ApproximateNumberOfMessagesNotVisible", "NumberOfMessagesSent"},
    "AWS/Lambda": {"Errors", "Throttles", "Invocations", "Duration", "ConcurrentExecutions",
                   "IteratorAge"},
}
SEARCH = re.compile(r"SEARCH\('\{(?P<schema>[^}]*)\}(?P<terms>[^']*)'")
PLACEHOLDER = re.compile(r"^\$\{(?P<name>[A-Za-z0-9]+)(?:\.(?P<attribute>[A-Za-z]+))?\}$")


# --- what the code emits ---------------------------------------------------------------------

def source_files() -> Iterable[tuple[str, str]]:
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        if path.name != "metrics.py" or path.parent.name != "chalicelib":
            yield str(path.relative_to(ROOT)), path.read_text()


def emitted_metrics(sources: Iterable[tuple[str, str]]) -> dict[str, set[frozenset[str]]]:
    """Each metric name some call writes -> its dimension sets (``chalicelib.metrics``: every
    value under ``Stage``, and under ``Stage`` + the call's dimensions when it names some)."""
    found: dict[str, set[frozenset[str]]] = {}
    for where, text in sources:
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "chalicelib.metrics":
                raise AssertionError(f"{where}: call metrics.emit / metrics.duration (import "
                                     "the module), so that the dashboard's test sees the call")
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "metrics"
                    and node.func.attr in ("emit", "duration")):
                continue
            line = f"{where}:{node.lineno}"
            assert node.args, line
            first = node.args[0]
            if node.func.attr == "emit":
                assert isinstance(first, ast.Dict) and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str)
                    for k in first.keys), f"{line}: name the metrics as literal keys"
                names = [k.value for k in first.keys]
            else:
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                    f"{line}: name the metric as a literal"
                names = [first.value]
            assert all(k.arg for k in node.keywords), f"{line}: name the dimensions"
            dimensions = {k.arg for k in node.keywords}
            sets = {frozenset({"Stage"})} | ({frozenset({"Stage", *dimensions})}
                                             if dimensions else set())
            for name in names:
                found.setdefault(name, set()).update(sets)
    return found


@pytest.fixture(scope="module")
def emitted() -> dict[str, set[frozenset[str]]]:
    return emitted_metrics(source_files())


def test_emitted_metrics_are_read_from_the_calls_in_the_code(emitted):
    assert {"RowsCreated", "RowsFailed", "ResumesReady", "ResumesRejected", "MailSent",
            "MailSuppressed", "SearchLatency"} <= set(emitted)
    assert emitted["ResumesRejected"] == {frozenset({"Stage"}), frozenset({"Stage", "Reason"})}
    assert emitted["SearchLatency"] == {frozenset({"Stage"})}
    with pytest.raises(AssertionError, match="literal"):
        emitted_metrics([("x.py", "metrics.emit({name: 1})")])
    with pytest.raises(AssertionError, match="import the module"):
        emitted_metrics([("x.py", "from chalicelib.metrics import emit")])


def test_emit_writes_the_dimension_sets_the_check_assumes(monkeypatch, capsys):
    from chalicelib import metrics
    monkeypatch.setenv("METRICS_NAMESPACE", APP_NAMESPACE)
    monkeypatch.setenv("STAGE", "dev")
    metrics.emit({"MailSent": 1}, Kind="welcome")
    metrics.duration("SearchLatency", 12.5)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    sets = [{frozenset(d) for m in line["_aws"]["CloudWatchMetrics"] for d in m["Dimensions"]}
            for line in lines]
    assert sets == [{frozenset({"Stage"}), frozenset({"Stage", "Kind"})}, {frozenset({"Stage"})}]
    units = [m["Metrics"][0]["Unit"] for line in lines for m in line["_aws"]["CloudWatchMetrics"]]
    assert units == ["Count", "Milliseconds"]


# --- the dashboard ---------------------------------------------------------------------------

def dashboard_body(doc: dict[str, Any]) -> dict[str, Any]:
    dashboards = [r for r in doc["Resources"].values()
                  if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert len(dashboards) == 1
    return json.loads(dashboards[0]["Properties"]["DashboardBody"]["Fn::Sub"])


def panel_metrics(body: dict[str, Any]) -> Iterable[tuple[str, list[Any]]]:
    for widget in body["widgets"]:
        for entry in widget["properties"].get("metrics", []):
            yield widget["properties"]["title"], entry


def api_methods(doc: dict[str, Any]) -> set[tuple[str, str]]:
    paths = doc["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return {(path, method.upper()) for path, methods in paths.items() for method in methods
            if method in ("get", "post", "put", "patch", "delete")}


def stream_functions(doc: dict[str, Any]) -> set[str]:
    return {name for name, r in doc["Resources"].items()
            if r["Type"] == "AWS::Serverless::Function"
            and any(e["Type"] in ("DynamoDB", "Kinesis")
                    for e in r["Properties"].get("Events", {}).values())}


def dead_panels(doc: dict[str, Any], emitted: dict[str, set[frozenset[str]]],
                stage_name: str) -> list[str]:
    """Every panel line that names a metric nobody writes, or a resource not in ``doc``."""
    resources = doc["Resources"]
    api = resources["RestAPI"]["Properties"]
    detailed = any(s.get("MetricsEnabled") for s in api.get("MethodSettings", []))
    problems = []

    def resource(value: str, kind: str, attribute: str | None) -> bool:
        match = PLACEHOLDER.match(value)
        return bool(match and match["attribute"] == attribute
                    and resources.get(match["name"], {}).get("Type") == kind)

    for title, entry in panel_metrics(dashboard_body(doc)):
        what = f"{title}: {entry}"
        if len(entry) == 1 and isinstance(entry[0], dict):  # an expression
            found = SEARCH.search(entry[0]["expression"])
            if found:
                namespace, *keys = found["schema"].split(",")
                name = re.search(r'MetricName="([^"]+)"', found["terms"])
                if namespace != APP_NAMESPACE or not name or \
                        frozenset(keys) not in emitted.get(name[1], set()):
                    problems.append(what)
            continue
        if entry and isinstance(entry[-1], dict):
            entry = entry[:-1]
        if len(entry) < 2 or len(entry) % 2 or "." in entry:
            problems.append(f"{what}: not a [namespace, metric, dimension, value...] line")
            continue
        namespace, name, dims = entry[0], entry[1], dict(zip(entry[2::2], entry[3::2]))
        if namespace == APP_NAMESPACE:
            ok = frozenset(dims) in emitted.get(name, set()) and dims["Stage"] == stage_name
        elif namespace == "AWS/ApiGateway":
            ok = (name in AWS_METRICS[namespace] and dims.get("ApiName") == api["Name"]
                  and dims.get("Stage") == "api")
            if set(dims) == {"ApiName", "Stage", "Method", "Resource"}:
                ok = ok and detailed and (dims["Resource"], dims["Method"]) in api_methods(doc)
            elif set(dims) != {"ApiName", "Stage"}:
                ok = False
        elif namespace == "AWS/SQS":
            ok = (name in AWS_METRICS[namespace] and set(dims) == {"QueueName"}
                  and resource(dims["QueueName"], "AWS::SQS::Queue", "QueueName"))
        elif namespace == "AWS/Lambda":
            ok = (name in AWS_METRICS[namespace] and set(dims) == {"FunctionName"}
                  and resource(dims["FunctionName"], "AWS::Serverless::Function", None))
            if ok and name == "IteratorAge":
                ok = PLACEHOLDER.match(dims["FunctionName"])["name"] in stream_functions(doc)
        else:
            ok = False
        if not ok:
            problems.append(what)
    return problems


@pytest.fixture(scope="module")
def doc(stage):
    return packaged(stage).load_template()


@pytest.mark.package
def test_no_dashboard_panel_names_a_metric_nobody_emits(doc, emitted, stage):
    assert dead_panels(doc, emitted, stage) == []
    assert sum(1 for _ in panel_metrics(dashboard_body(doc))) > 50


@pytest.mark.package
def test_the_check_finds_each_kind_of_dead_panel(doc, emitted, stage):
    broken = copy.deepcopy(doc)
    dashboard = next(r for r in broken["Resources"].values()
                     if r["Type"] == "AWS::CloudWatch::Dashboard")
    body = dashboard_body(broken)
    api = ["AWS/ApiGateway", "Latency", "ApiName", f"professionals-{stage}", "Stage", "api"]
    dead = [
        ["professionals", "SignupsCounted", "Stage", stage],  # emitted by nobody
        ["professionals", "MailSent", "Stage", stage, "Caller", "staff"],  # not its dimensions
        ["professionals", "MailSent", "Stage", "other"],  # another stage's
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${NoQueue.QueueName}"],
        ["AWS/Lambda", "IteratorAge", "FunctionName", "${APIHandler}"],  # no stream
        ["AWS/Lambda", "Errors", "FunctionName", "${NoFunction}"],
        [*api, "Method", "GET", "Resource", "/nowhere"],
        ["AWS/DynamoDB", "ThrottledRequests", "TableName", "${ProfessionalsTable}"],
        [{"expression": "SEARCH('{professionals,Stage,Reason} MetricName=\"Gone\"', 'Sum', 300)",
          "id": "e"}],
    ]
    body["widgets"].append({"type": "metric", "properties": {"title": "dead", "metrics": dead}})
    dashboard["Properties"]["DashboardBody"]["Fn::Sub"] = json.dumps(body)
    assert len(dead_panels(broken, emitted, stage)) == len(dead)
    # Per-route metrics exist only with the stage's detailed metrics on.
    for setting in broken["Resources"]["RestAPI"]["Properties"]["MethodSettings"]:
        setting["MetricsEnabled"] = False
    assert len(dead_panels(broken, emitted, stage)) > len(dead)


@pytest.mark.package
def test_every_route_queue_function_and_stream_consumer_has_its_panel(doc):
    lines = [entry for _, entry in panel_metrics(dashboard_body(doc))]
    named = {tuple(e[:-1] if isinstance(e[-1], dict) else e) for e in lines
             if isinstance(e[0], str)}
    resources = doc["Resources"]
    queues = {n for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    functions = {n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    shown = {PLACEHOLDER.match(e[3])["name"] for e in named if e[0] == "AWS/SQS"}
    assert shown == queues and len(queues) >= 7
    assert {PLACEHOLDER.match(e[3])["name"] for e in named if e[1] == "IteratorAge"} == \
        stream_functions(doc) and stream_functions(doc)
    assert {PLACEHOLDER.match(e[3])["name"] for e in named if e[1] == "Errors"} == functions
    routes = {(dict(zip(e[2::2], e[3::2]))["Resource"], dict(zip(e[2::2], e[3::2]))["Method"])
              for e in named if e[0] == "AWS/ApiGateway" and e[1] == "Latency" and "Resource" in e}
    assert routes == api_methods(doc)
    for metric in ("RowsCreated", "RowsUpdated", "RowsUnchanged", "RowsFailed", "ResumesReady",
                   "ResumesRejected", "MailSent", "MailSuppressed", "SearchLatency"):
        assert any(e[1] == metric for e in named), metric


@pytest.mark.package
def test_the_dashboard_survives_the_transform_and_names_the_stage(doc, stage):
    transformed = sam_transform(doc)
    dashboard = transformed["Resources"]["Dashboard"]
    assert dashboard["Properties"]["DashboardName"] == f"professionals-{stage}"
    assert "Fn::Sub" in dashboard["Properties"]["DashboardBody"]
    stages = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert [s["Properties"].get("TracingEnabled") for s in stages] == [True]
    assert all(s["MetricsEnabled"] for s in stages[0]["Properties"]["MethodSettings"])
    assert "DashboardUrl" in transformed["Outputs"]


# --- tracing ---------------------------------------------------------------------------------

@pytest.mark.package
def test_every_function_traces_actively_and_may_send_its_traces(doc):
    functions = {n: r for n, r in doc["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 7
    policies = role_policies(doc)
    for name, function in functions.items():
        assert function["Properties"]["Tracing"] == "Active", name
        traces = [s for s in policies[name] if s.get("Sid") == "WriteTraces"]
        assert traces == [{"Sid": "WriteTraces", "Effect": "Allow", "Action": [
            "xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Resource": ["*"]}], name
    transformed = sam_transform(doc)
    lambdas = [r for r in transformed["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(lambdas) == len(functions)
    assert all(r["Properties"]["TracingConfig"] == {"Mode": "Active"} for r in lambdas)


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_LAMBDA", "LAMBDA_", "_X_AMZN", "POWERTOOLS_TRACE",
                                 "AWS_XRAY", "AWS_SAM", "AWS_CHALICE"))}
    base.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                 "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(ROOT)}, **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=120)


# One call of each service the functions use, answered by botocore's Stubber (no network).
CALLS = """
import boto3
from botocore.stub import Stubber
from chalicelib import logs
calls = [("dynamodb", "get_item", {"TableName": "t", "Key": {"PK": {"S": "PRO#1"}}}, {}),
         ("s3", "head_object", {"Bucket": "b", "Key": "k"}, {}),
         ("sqs", "send_message", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                                  "MessageBody": "m"}, {"MessageId": "1"}),
         ("ses", "send_email", {"Source": "a@example.org", "Destination": {},
                                "Message": {"Subject": {"Data": "s"}, "Body": {}}},
          {"MessageId": "1"})]
for service, operation, params, answer in calls:
    client = boto3.client(service)
    with Stubber(client) as stub:
        stub.add_response(operation, answer, params)
        getattr(client, operation)(**params)
import sys
import botocore.client
print(logs.tracer is None or logs.tracer.disabled,
      type(botocore.client.BaseClient.__dict__["_make_api_call"]).__name__,
      "aws_xray_sdk.core" in sys.modules)
"""


def test_in_lambda_each_aws_call_is_a_subsegment_of_the_invocation():
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(5)
    with daemon:
        port = daemon.getsockname()[1]
        result = _run(CALLS, LAMBDA_TASK_ROOT=str(ROOT),
                      AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{port}",
                      _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;"
                                       "Parent=53995c3f42cd8ad8;Sampled=1")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["False", "FunctionWrapper", "True"]
        sent = []
        while len(sent) < 4:
            sent.append(json.loads(daemon.recv(65536).decode().split("\n", 1)[1]))
    assert sorted((s["name"], s["namespace"], s["aws"]["operation"]) for s in sent) == [
        ("dynamodb", "aws", "GetItem"), ("email", "aws", "SendEmail"),  # SES: its endpoint
        ("s3", "aws", "HeadObject"), ("sqs", "aws", "SendMessage")]
    assert {s["trace_id"] for s in sent} == {"1-5759e988-bd862e3fe1be46a994272793"}
    assert {s["parent_id"] for s in sent} == {"53995c3f42cd8ad8"}
    assert "segment" not in result.stderr.lower()


@pytest.mark.parametrize("env", [{}, {"LAMBDA_TASK_ROOT": str(ROOT),
                                      "POWERTOOLS_TRACE_DISABLED": "true"}],
                         ids=["outside-lambda", "disabled"])
def test_off_without_lambda_patching_nothing_and_logging_no_xray_error(env):
    result = _run("import app\n" + CALLS, **env)
    assert result.returncode == 0, result.stderr
    # Outside Lambda the X-Ray SDK is not even imported (it would build an X-Ray client).
    assert result.stdout.split() == ["True", "function", str("LAMBDA_TASK_ROOT" in env)]
    for text in ("segment", "context", "xray", "X-Ray"):
        assert text not in result.stderr, result.stderr


# --- alarms ----------------------------------------------------------------------------------

@pytest.mark.package
def test_every_alarm_goes_to_the_topic_and_a_stage_without_an_address_still_deploys(doc):
    resources = doc["Resources"]
    alarms = {n: r for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) >= 9
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}], name
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    subscriptions = [r for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscriptions == [{"Type": "AWS::SNS::Subscription", "Condition": "HasAlarmEmail",
                              "Properties": {"TopicArn": {"Ref": "AlarmTopic"},
                                             "Protocol": "email",
                                             "Endpoint": {"Ref": "AlarmEmail"}}}]
    # No address (the default): the condition is false and the subscription is not created.
    assert doc["Parameters"]["AlarmEmail"]["Default"] == ""
    assert re.fullmatch(doc["Parameters"]["AlarmEmail"]["AllowedPattern"], "")
    assert re.fullmatch(doc["Parameters"]["AlarmEmail"]["AllowedPattern"], "ops@example.org")
    assert doc["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert doc["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}


@pytest.mark.package
def test_the_throttles_alarm_watches_every_function(doc):
    metrics = doc["Resources"]["LambdaThrottlesAlarm"]["Properties"]["Metrics"]
    watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"] for m in metrics
               if "MetricStat" in m}
    assert watched == {n for n, r in doc["Resources"].items()
                       if r["Type"] == "AWS::Serverless::Function"}


@pytest.mark.package
def test_every_dead_letter_queue_and_stream_consumer_has_its_alarm(doc):
    alarms = [r["Properties"] for r in doc["Resources"].values()
              if r["Type"] == "AWS::CloudWatch::Alarm"]

    def watched(metric: str) -> set[str]:
        return {next(iter(d["Value"].values())) if "Ref" in d["Value"]
                else d["Value"]["Fn::GetAtt"][0]
                for a in alarms if a.get("MetricName") == metric for d in a["Dimensions"]}

    resources = doc["Resources"]
    dead_letter = {r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                   for r in resources.values()
                   if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]}
    dead_letter |= {e["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
                    ["Fn::GetAtt"][0]
                    for r in resources.values() if r["Type"] == "AWS::Serverless::Function"
                    for e in r["Properties"].get("Events", {}).values()
                    if "DestinationConfig" in e["Properties"]}
    assert len(dead_letter) >= 4
    assert dead_letter <= watched("ApproximateNumberOfMessagesVisible")
    assert stream_functions(doc) <= watched("IteratorAge")

