"""CloudWatch embedded-metric-format lines (Powertools' Metrics, on stdout): bulk rows and resume
outcomes."""
from __future__ import annotations

import json

import pytest

from chalicelib import clients, metrics
from tests import pdf_corpus
from tests.test_resumes import deliver, s3_event, sign_up


def emf_lines(capsys) -> list[dict]:
    """The EMF lines written to stdout since the last call, checked for the format CloudWatch Logs
    extracts metrics from; a metric's value is a list of the values (Powertools' shape)."""
    lines = []
    for text in capsys.readouterr().out.splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict) and "_aws" in line:
            lines.append(line)
    for line in lines:
        spec, = line["_aws"]["CloudWatchMetrics"]
        assert isinstance(line["_aws"]["Timestamp"], int)
        for dimension_set in spec["Dimensions"]:
            assert all(isinstance(line[d], str) for d in dimension_set)
        for metric in spec["Metrics"]:
            assert metric["Unit"] == "Count"
            assert all(isinstance(v, (int, float)) for v in line[metric["Name"]])
    return lines


@pytest.fixture
def namespace(monkeypatch):
    monkeypatch.setenv("METRICS_NAMESPACE", "professionals")


def test_nothing_is_emitted_without_a_namespace(monkeypatch, capsys):
    monkeypatch.delenv("METRICS_NAMESPACE", raising=False)
    metrics.emit({"RowsCreated": 1})
    assert emf_lines(capsys) == []


def test_one_line_per_emit_with_its_own_dimensions(namespace, capsys):
    metrics.emit({"ResumesRejected": 1}, Reason="not_pdf")
    metrics.emit({"ResumesRejected": 1}, Reason="too_large")
    metrics.emit({"ResumesReady": 1})
    first, second, third = emf_lines(capsys)
    assert (first["Reason"], second["Reason"]) == ("not_pdf", "too_large")
    assert first["ResumesRejected"] == second["ResumesRejected"] == [1]
    assert "Reason" not in third and "ResumesRejected" not in third  # nothing carried over
    assert third["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stage"]]


def test_bulk_rows_are_counted_per_outcome_and_caller(api, namespace, capsys):
    rows = [{"full_name": "A", "email": "a@example.com"}, {"full_name": "B", "email": "bad"},
            {"full_name": "C", "email": "c@example.com"}]
    api.call("POST", "/professionals/bulk?dry_run=true", who="partner", body=rows)
    assert emf_lines(capsys) == []  # a dry run writes nothing, counts nothing
    assert api.call("POST", "/professionals/bulk", who="partner", body=rows).status_code == 207
    line, = emf_lines(capsys)
    assert {k: line[k] for k in ("RowsCreated", "RowsUpdated", "RowsUnchanged", "RowsFailed")} \
        == {"RowsCreated": [2], "RowsUpdated": [0], "RowsUnchanged": [0], "RowsFailed": [1]}
    assert line["Stage"] == "test" and line["Caller"] == "partner"
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "professionals"
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stage"], ["Stage", "Caller"]]


def test_resume_outcomes_are_counted(api, namespace, capsys):
    good, bad = sign_up(api), sign_up(api, email="other@example.com")
    clients.s3().put_object(Bucket="professionals-resumes-test",
                            Key=good["resume_upload"]["key"], Body=pdf_corpus.pdf(1))
    clients.s3().put_object(Bucket="professionals-resumes-test",
                            Key=bad["resume_upload"]["key"], Body=b"MZ" + b"\0" * 200)
    deliver(api, s3_event(good["resume_upload"]["key"]), s3_event(bad["resume_upload"]["key"]))
    lines = emf_lines(capsys)
    assert [line.get("ResumesReady") for line in lines if "ResumesReady" in line] == [[1]]
    rejected, = [line for line in lines if "ResumesRejected" in line]
    assert rejected["Reason"] == "not_pdf"
