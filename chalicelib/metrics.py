"""CloudWatch metrics in the embedded metric format (EMF), written by Powertools' ``Metrics``.

A metric is one JSON line with an ``_aws`` member on stdout; CloudWatch Logs turns it into metric
data, with no API call and no IAM permission beyond writing the function's own logs. Emitted only
where ``METRICS_NAMESPACE`` is set (the deployment template sets it); locally nothing is written.

The names are string literals at the call (``emit({"MailSent": 1}, Kind=kind)``,
``duration("SearchLatency", ms)``): the deployed dashboard's test reads them from the source, so
that no panel names a metric nobody emits (tests/test_deploy_observability.py).
"""
from __future__ import annotations

import os

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit


def emit(values: dict[str, int | float], **dimensions: str) -> None:
    """Counts in ``values``, per stage, and per stage and ``dimensions`` when given.

    Each call is flushed at once, as one line, by a Metrics of its own (``EphemeralMetrics``):
    ``Metrics`` instances share one metric set across threads and requests, and each call has
    dimensions of its own (a bulk request's ``Caller``, a rejected resume's ``Reason``). Nothing
    is left to flush at the end of a request or event, even one that fails afterwards.
    """
    _flush(values, MetricUnit.Count, dimensions)


def duration(name: str, ms: float, **dimensions: str) -> None:
    """One duration in milliseconds (CloudWatch gives its percentiles), as ``emit`` counts."""
    _flush({name: ms}, MetricUnit.Milliseconds, dimensions)


def _flush(values: dict[str, int | float], unit: MetricUnit, dimensions: dict[str, str]) -> None:
    namespace = os.environ.get("METRICS_NAMESPACE")
    if not namespace or not values:
        return
    stage = os.environ.get("STAGE", "local")
    metrics = EphemeralMetrics(namespace=namespace)
    metrics.add_dimension(name="Stage", value=stage)
    if dimensions:
        metrics.add_dimensions(Stage=stage, **dimensions)
    for name, value in values.items():
        metrics.add_metric(name=name, unit=unit, value=value)
    metrics.flush_metrics()
