"""The stage's CloudWatch dashboard (``professionals-<stage>``; docs/operations.md, 'Dashboard').

Derived from what the template holds when it runs (after the data, the functions and the API):
a panel per route of app.py (API Gateway's per-method metrics: ``MetricsEnabled`` in the stage's
method settings), the depths of every SQS queue, the iterator age of every function with a
stream event source, the errors and throttles of every function. A new route, queue or stream
consumer gets its panel without an edit here. The app's own metrics (namespace ``professionals``,
``chalicelib/metrics.py``) are named here by hand; tests/test_deploy_observability.py reads the
names the code emits and fails on a panel that names one nobody emits.

The body is JSON in a ``Fn::Sub``: ``${Logical}`` / ``${Logical.QueueName}`` name the resources.
"""
from __future__ import annotations

import json
from typing import Any

from infra.template.cfn import sub
from infra.template.settings import API_STAGE, APP
from infra.template.stack import Stack

WIDTH, HEIGHT, COLUMNS = 8, 6, 24
PERIOD = 300
PERCENTILES = ("p50", "p95", "p99")
DASHBOARD = "Dashboard"  # the logical id


def dashboard(t: Stack) -> None:
    app = (t.metrics_namespace, "Stage", t.stage)  # chalicelib/metrics.py's, per stage
    api = ("AWS/ApiGateway", "ApiName", t.api_name, "Stage", API_STAGE)
    panels = [
        graph("API requests and errors (all routes)", [
            [*api[:1], "Count", *api[1:], {"label": "requests"}],
            [*api[:1], "4XXError", *api[1:], {"label": "4xx"}],
            [*api[:1], "5XXError", *api[1:], {"label": "5xx"}]], stat="Sum"),
        graph("API latency (all routes, ms)", [
            [*api[:1], "Latency", *api[1:], {"stat": p, "label": p}] for p in PERCENTILES]),
        graph("Search latency (ms, the search alone)", [
            [*app[:1], "SearchLatency", *app[1:], {"stat": p, "label": p}]
            for p in PERCENTILES]),
        graph("Bulk rows by outcome (bulk requests and import jobs)", [
            [*app[:1], name, *app[1:], {"label": label}] for name, label in (
                ("RowsCreated", "created"), ("RowsUpdated", "updated"),
                ("RowsUnchanged", "unchanged"), ("RowsFailed", "failed"))],
              stat="Sum", stacked=True),
        graph("Resume outcomes", [
            [*app[:1], "ResumesReady", *app[1:], {"label": "ready"}],
            [*app[:1], "ResumesRejected", *app[1:], {"label": "rejected"}],
            # One line per reason (CloudWatch labels each with its Reason).
            [{"expression": search(app[0], ("Stage", "Reason"), "ResumesRejected", t.stage),
              "id": "reasons"}]], stat="Sum"),
        graph("Mail", [
            [*app[:1], name, *app[1:], {"label": label}] for name, label in (
                ("MailSent", "sent"), ("MailSuppressed", "suppressed (per-address limit)"),
                ("MailSendFailed", "send failed (retried)"),
                ("MailEnqueueFailed", "not queued"))], stat="Sum"),
        queue_depths(t, dead_letter=False),
        queue_depths(t, dead_letter=True),
        graph("Stream consumers: iterator age (ms, maximum)", [
            ["AWS/Lambda", "IteratorAge", "FunctionName", "${%s}" % fn, {"label": fn}]
            for fn in stream_consumers(t)], stat="Maximum"),
        graph("Functions: errors and throttles", [
            ["AWS/Lambda", metric, "FunctionName", "${%s}" % fn,
             {"label": f"{fn} {metric.lower()}"}]
            for fn in lambda_functions(t) for metric in ("Errors", "Throttles")], stat="Sum"),
    ]
    for path, methods in sorted(t.f.routes.items()):
        for method in methods:
            route = (*api, "Method", method, "Resource", path)
            panels.append(graph(f"API {method} {path}: latency (ms) and errors", [
                *([*route[:1], "Latency", *route[1:], {"stat": p, "label": p}]
                  for p in PERCENTILES),
                [*route[:1], "4XXError", *route[1:], {"stat": "Sum", "label": "4xx",
                                                      "yAxis": "right"}],
                [*route[:1], "5XXError", *route[1:], {"stat": "Sum", "label": "5xx",
                                                      "yAxis": "right"}]]))
    body = {"start": "-PT6H", "periodOverride": "inherit", "widgets": [
        {"type": "text", "x": 0, "y": 0, "width": COLUMNS, "height": 1, "properties": {
            "markdown": f"**{APP} {t.stage}**: what each panel means and what to do when it "
                        "turns red: docs/operations.md, 'Dashboard'. Alarms: 'Alarms'."}},
        *laid_out(panels, top=1)]}
    name = f"{APP}-{t.stage}"
    t.add(DASHBOARD, "AWS::CloudWatch::Dashboard", {
        "DashboardName": name,
        "DashboardBody": sub(json.dumps(body, separators=(",", ":")))})
    t.outputs["DashboardUrl"] = {"Value": sub(
        "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}"
        f"#dashboards/dashboard/{name}"), "Description": "the stage's CloudWatch dashboard"}


def graph(title: str, metrics: list[list[Any]], *, stat: str = "Average",
          stacked: bool = False) -> dict[str, Any]:
    return {"type": "metric", "properties": {
        "title": title, "region": "${AWS::Region}", "view": "timeSeries", "stacked": stacked,
        "period": PERIOD, "stat": stat, "metrics": metrics}}


def search(namespace: str, dimensions: tuple[str, ...], metric: str, stage: str) -> str:
    """A CloudWatch search expression: one line per value of the dimension not fixed here."""
    schema = ",".join((namespace, *dimensions))
    return f"SEARCH('{{{schema}}} MetricName=\"{metric}\" Stage=\"{stage}\"', 'Sum', {PERIOD})"


def laid_out(panels: list[dict[str, Any]], top: int) -> list[dict[str, Any]]:
    per_row = COLUMNS // WIDTH
    return [{**panel, "x": (i % per_row) * WIDTH, "y": top + (i // per_row) * HEIGHT,
             "width": WIDTH, "height": HEIGHT} for i, panel in enumerate(panels)]


def queue_depths(t: Stack, *, dead_letter: bool) -> dict[str, Any]:
    """Messages waiting in every queue (and how old the oldest is), or in every dead-letter
    queue: a queue is one when another queue redrives to it or an event source sends its failed
    batches to it."""
    targets = dead_letter_queues(t)
    queues = [q for q in sqs_queues(t) if (q in targets) == dead_letter]
    metrics: list[list[Any]] = []
    for queue in queues:
        name = "${%s.QueueName}" % queue
        metrics.append(["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name,
                        {"label": queue}])
        if not dead_letter:
            metrics.append(["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", name,
                            {"label": f"{queue} oldest (s)", "yAxis": "right"}])
    title = ("Dead-letter queues: messages waiting (should be 0)" if dead_letter
             else "Queues: messages waiting, and the oldest one's age (s)")
    return graph(title, metrics, stat="Maximum")


def sqs_queues(t: Stack) -> list[str]:
    return [name for name, r in t.resources.items() if r.get("Type") == "AWS::SQS::Queue"]


def dead_letter_queues(t: Stack) -> set[str]:
    found = set()
    for resource in t.resources.values():
        props = resource.get("Properties", {})
        found |= set(_referenced(props.get("RedrivePolicy", {}).get("deadLetterTargetArn")))
        for event in props.get("Events", {}).values():
            destination = event.get("Properties", {}).get("DestinationConfig", {})
            found |= set(_referenced(destination.get("OnFailure", {}).get("Destination")))
    return found & set(sqs_queues(t))


def lambda_functions(t: Stack) -> list[str]:
    """Chalice's functions, as this template overrides them (no type here: Chalice's is kept)."""
    return [name for name, r in t.resources.items()
            if "Type" not in r and "Runtime" in r.get("Properties", {})]


def stream_consumers(t: Stack) -> list[str]:
    return [name for name in lambda_functions(t)
            if any("Stream" in event.get("Properties", {})
                   for event in t.resources[name]["Properties"].get("Events", {}).values())]


def _referenced(value: Any) -> list[str]:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return [value["Fn::GetAtt"][0]]
    if isinstance(value, dict) and "Ref" in value:
        return [value["Ref"]]
    return []
