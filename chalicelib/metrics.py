"""CloudWatch metrics in the embedded metric format (EMF).

A metric is one JSON log line with an ``_aws`` member; CloudWatch Logs turns it into metric data,
with no API call and no IAM permission beyond writing the function's own logs. Emitted only where
``METRICS_NAMESPACE`` is set (the deployment template sets it); locally nothing is written.
"""
from __future__ import annotations

import logging
import os
import time

from chalicelib import logs

log = logging.getLogger("signup.metrics")


def emit(values: dict[str, int | float], **dimensions: str) -> None:
    """Counts in ``values``, per stage, and per stage and ``dimensions`` when given."""
    namespace = os.environ.get("METRICS_NAMESPACE")
    if not namespace or not values:
        return
    dims = {"Stage": os.environ.get("STAGE", "local"), **dimensions}
    sets = [["Stage"]] + ([sorted(dims)] if dimensions else [])
    logs.event(log, "metrics", _aws={
        "Timestamp": int(time.time() * 1000),
        "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": sets,
                               "Metrics": [{"Name": name, "Unit": "Count"} for name in values]}],
    }, **dims, **values)
