"""The CloudFormation merge template of a stage, generated from ``infra/resources.define(stage)``.

``chalice package --merge-template`` deep-merges this template into the SAM template Chalice
generates (the functions, the REST API, the SQS event source): what is a dict here is merged key by
key into Chalice's, anything else replaces it. So this template both adds resources and overrides
parts of Chalice's own:

* data: the table (on-demand, point-in-time recovery, deletion protection on ``prod``, a stream of
  new and old images for the search indexer), the search index's own table (the same, plus TTL on
  ``expires_at`` and SSE with the AWS-managed KMS key), the private
  resume bucket (public access blocked, SSE, CORS for the SPA origin only, lifecycle for abandoned
  uploads, TLS only), the upload queue, its dead-letter queue and redrive, the queue policy that
  lets the bucket notify the queue (the bucket depends on it: S3 checks it when the notification
  is configured);
* the functions (Chalice's ``APIHandler``, the SQS handler, the stream handler that indexes for
  search, the ``key_authorizer`` function):
  hand-written least-privilege roles (``.chalice/config.json`` says ``manage_iam_role: false``, so
  Chalice generates none), memory, timeouts, their log groups, the stage's environment (table,
  bucket, queue names; no secret: the API and ``send_mail``, which sign and verify, get the
  signing secret's ARN and may read its value, no other function may), and
  ``FunctionResponseTypes: [ReportBatchItemFailures]`` on the SQS event source; on the stream's
  event source the real stream ARN (Chalice writes the literal string ``app.py`` saw at import
  time), bisection, bounded retries and record age, and an on-failure SQS queue
  (``infra/search_dlq.py`` replays it);
* the daily counters: their table (on-demand, TTL on ``expires_at``), the stream's second
  consumer ``count_stats`` with its own event source mapping (a tumbling window only so that
  the event names its shard), its on-failure queue, and ADD-only grants on the day items;
* the history: its table (on-demand, TTL on ``expires_at``, SSE), written by ``count_stats``
  (put-if-absent entries, an erased person's entries rewritten), read by the API (one Query a
  page), and a delete's marker put there by the API and the purge;
* the REST API: regional endpoint, stage throttling, gateway responses in the contract's error
  envelope, a REQUEST authorizer that names the usage-plan key of each request
  (``apiKeySource: AUTHORIZER``), usage plans (partner: per key; staff; public), and an ANY method
  on every path so that a wrong method reaches Chalice, which answers 405 with ``Allow``;
* the SPA: a private bucket behind CloudFront (origin access control), the API under ``/api`` on
  the same distribution (one origin, as locally);
* mail: the mail queue and its dead-letter queue, the ``send_mail`` function (SES
  ``SendEmail`` from the ``MailFrom`` stack parameter's identity only);
* an AWS WAF web ACL on the API stage that rate-limits, per client address (the viewer's, which
  a CloudFront function passes on in ``X-Viewer-Ip``, and the connection's), every request
  without an API key: staff-token-shaped ones against a higher limit of their own;
* alarms (dead-letter queues, stalled uploads, 5xx rate, throttles, worker errors, the indexer's
  iterator age and its on-failure queue) to an SNS topic (``AlarmEmail`` subscribes an address);
* a CloudWatch dashboard: API latency and errors per route, bulk rows, resume outcomes, mail,
  search latency, queue and dead-letter depths, stream consumers' iterator age, functions'
  errors (derived from the template's routes, queues and functions).

One module per part, each adding its resources to the ``Stack`` being built (``stack.py``), as
a CDK app splits constructs: ``data`` (tables, resume bucket, queues, signing secret),
``functions`` (functions, roles, event sources), ``api`` (REST API, gateway responses, usage
plans, access logs), ``spa`` (SPA bucket, CloudFront), ``waf``, ``alarms``, ``dashboard``,
``cognito`` (staff accounts), ``vectors`` (the resume passages' S3 Vectors bucket and index),
``embedder`` (the embedder runtime layer on the API and ``embed_resumes``, that function),
``outputs``; shared:
``cfn`` (intrinsics, IAM statements), ``settings`` (per-stage sizes and limits),
``app_functions`` (what app.py defines). This module composes them.

Command line: ``python -m infra.template --stage dev [-o dist/dev/merge.json]``.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from infra import resources as res
from infra.template import (alarms, api, cognito, dashboard, data, embedder,
                            functions as functions_, outputs, spa, vectors, waf)
from infra.template.api import (ACCESS_LOG_FORMAT, AUTHORIZER_NAME, GATEWAY_ERRORS,
                                gateway_responses, usage_key_value)
from infra.template.app_functions import (AUTHORIZER_FUNCTION, MAIL_FUNCTION, AppFunctions,
                                          inspect_app)
from infra.template.cfn import ref
from infra.template.data import resume_bucket_name
from infra.template.settings import (API_STAGE, APP, STAGE_SETTINGS, DeploySettings, Throttle,
                                     settings_for)
from infra.template.spa import ALL_VIEWER_EXCEPT_HOST_HEADER, CACHING_DISABLED
from infra.template.stack import Stack
from infra.template.waf import STAFF_TOKEN_PATTERN, VIEWER_IP_HEADER

# What other code and the tests import from ``infra.template`` (the package's parts are modules
# of their own: infra.template.api, .data, .functions, .spa, .waf, .alarms, .dashboard, .outputs).
__all__ = [
    "ACCESS_LOG_FORMAT", "ALL_VIEWER_EXCEPT_HOST_HEADER", "API_STAGE", "AUTHORIZER_FUNCTION",
    "AUTHORIZER_NAME", "AppFunctions", "CACHING_DISABLED", "DeploySettings", "GATEWAY_ERRORS",
    "MAIL_FUNCTION", "STAFF_TOKEN_PATTERN", "STAGE_SETTINGS", "Throttle", "VIEWER_IP_HEADER",
    "build", "gateway_responses", "inspect_app", "main", "render", "resume_bucket_name",
    "settings_for", "usage_key_value", "write",
]


def build(stage: str, *, functions: AppFunctions | None = None,
          settings: DeploySettings | None = None) -> dict[str, Any]:
    """The merge template of ``stage`` (a dict, ready for ``json.dumps``)."""
    functions = functions or inspect_app()
    if functions.authorizer is None:
        raise RuntimeError(
            f"app.py defines no @app.lambda_function(name='{AUTHORIZER_FUNCTION}'): the partner "
            "usage plan needs it (docs/operations.md, 'Keys')")
    settings = settings or settings_for(stage)
    spa_origin = "https://${SpaDistribution.DomainName}"
    defined = res.define(stage, origins=[spa_origin], bucket_name=resume_bucket_name(stage))
    # AWS: a queue feeding Lambda should stay invisible for >= 6x the function's timeout.
    defined = replace(defined, upload_queue=replace(
        defined.upload_queue, visibility_timeout=max(defined.upload_queue.visibility_timeout,
                                                     6 * settings.worker_timeout_s)),
        mail_queue=replace(defined.mail_queue, visibility_timeout=max(
            defined.mail_queue.visibility_timeout, 6 * settings.mail_timeout_s)),
        import_queue=replace(defined.import_queue, visibility_timeout=max(
            defined.import_queue.visibility_timeout, 6 * settings.import_timeout_s)),
        embed_queue=replace(defined.embed_queue, visibility_timeout=max(
            defined.embed_queue.visibility_timeout, 6 * settings.embed_timeout_s)))
    return render(Stack(stage, defined, functions, settings))


def render(t: Stack) -> dict[str, Any]:
    """Each part adds its resources, in the order they were always added (the JSON's order)."""
    data.data(t)
    data.secret(t)
    functions_.functions(t)
    embedder.embedder(t)
    api.api(t)
    spa.spa(t)
    waf.waf(t)
    alarms.alarms(t)
    dashboard.dashboard(t)
    cognito.cognito(t)
    vectors.vectors(t)
    outputs.outputs(t)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP} ({t.stage}): generated by infra/template",
        "Parameters": {
            "AlarmEmail": {
                "Type": "String", "Default": "",
                "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+$",
                "Description": "Where alarms are e-mailed (empty: no subscription)"},
            "MailFrom": {
                "Type": "String", "AllowedPattern": r"^[^@\s]+@[^@\s]+$",
                "Description": "The sender of every mail: an address, or an address of a "
                               "domain, verified in SES in this region (docs/operations.md, "
                               "'Mail')"},
        },
        "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]}},
        "Resources": t.resources,
        "Outputs": t.outputs,
    }


def write(stage: str, path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build(stage, **kwargs), indent=2, sort_keys=False) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.template", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.output:
        print(write(args.stage, Path(args.output)))
    else:
        print(json.dumps(build(args.stage), indent=2))
    return 0
