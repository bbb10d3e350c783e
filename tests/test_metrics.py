"""CloudWatch embedded-metric-format lines: bulk rows and resume outcomes."""
from __future__ import annotations

import json
import logging

import pytest

from chalicelib import clients, logs, metrics
from tests import pdf_corpus
from tests.test_resumes import deliver, s3_event, sign_up


def emf_lines(caplog):
    lines = [json.loads(logs.JsonFormatter().format(r)) for r in caplog.records
             if r.name == "signup.metrics"]
    for line in lines:  # the format CloudWatch Logs extracts metrics from
        spec, = line["_aws"]["CloudWatchMetrics"]
        assert isinstance(line["_aws"]["Timestamp"], int)
        for dimension_set in spec["Dimensions"]:
            assert all(isinstance(line[d], str) for d in dimension_set)
        for metric in spec["Metrics"]:
            assert isinstance(line[metric["Name"]], (int, float)) and metric["Unit"] == "Count"
    return lines


@pytest.fixture
def namespace(monkeypatch, caplog):
    monkeypatch.setenv("METRICS_NAMESPACE", "professionals")
    caplog.set_level(logging.INFO, logger="signup.metrics")


def test_nothing_is_emitted_without_a_namespace(monkeypatch, caplog):
    monkeypatch.delenv("METRICS_NAMESPACE", raising=False)
    caplog.set_level(logging.INFO, logger="signup.metrics")
    metrics.emit({"RowsCreated": 1})
    assert emf_lines(caplog) == []


def test_bulk_rows_are_counted_per_outcome_and_caller(api, namespace, caplog):
    rows = [{"full_name": "A", "email": "a@example.com"}, {"full_name": "B", "email": "bad"},
            {"full_name": "C", "email": "c@example.com"}]
    api.call("POST", "/professionals/bulk?dry_run=true", who="partner", body=rows)
    assert emf_lines(caplog) == []  # a dry run writes nothing, counts nothing
    assert api.call("POST", "/professionals/bulk", who="partner", body=rows).status_code == 207
    line, = emf_lines(caplog)
    assert {k: line[k] for k in ("RowsCreated", "RowsUpdated", "RowsUnchanged", "RowsFailed")} \
        == {"RowsCreated": 2, "RowsUpdated": 0, "RowsUnchanged": 0, "RowsFailed": 1}
    assert line["Stage"] == "test" and line["Caller"] == "partner"
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "professionals"
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stage"], ["Caller", "Stage"]]


def test_resume_outcomes_are_counted(api, namespace, caplog):
    good, bad = sign_up(api), sign_up(api, email="other@example.com")
    clients.s3().put_object(Bucket="professionals-resumes-test",
                            Key=good["resume_upload"]["key"], Body=pdf_corpus.pdf(1))
    clients.s3().put_object(Bucket="professionals-resumes-test",
                            Key=bad["resume_upload"]["key"], Body=b"MZ" + b"\0" * 200)
    deliver(api, s3_event(good["resume_upload"]["key"]), s3_event(bad["resume_upload"]["key"]))
    lines = emf_lines(caplog)
    assert [line.get("ResumesReady") for line in lines if "ResumesReady" in line] == [1]
    rejected, = [line for line in lines if "ResumesRejected" in line]
    assert rejected["Reason"] == "not_pdf"
