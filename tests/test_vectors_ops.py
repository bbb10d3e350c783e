"""Operator commands for the resume vectors (infra/vectors_ops.py): ``python -m infra vectors
reindex`` (resumable, removes orphans) and the vector checks of ``python -m infra verify``;
moto for the table, S3, SQS and S3 Vectors, the real model on short texts."""
from __future__ import annotations

import json

import pytest

from chalicelib import clients, professionals, resume_vectors, vectors
from infra import vectors_ops
from infra.__main__ import main
from tests import search_sync
from tests.test_resume_vectors import STAFF, create, embed_env, make_ready, stored  # noqa: F401

ONE = [[1.0] + [0.0] * (vectors.DIMENSION - 1)]


@pytest.fixture
def people(embed_env):
    """Five professionals with a ready resume, two without."""
    ready = [create(full_name=f"Worker {n}") for n in range(5)]
    for n, person in enumerate(ready):
        make_ready(person.id, f"Welder number {n}. Pipes and steel frames.")
    search_sync.sync_search_index()  # (verify checks the search index too)
    return ready, [create(full_name="No Resume"), create(full_name="Nor This")]


def test_reindex_is_resumable_and_removes_orphans(people, monkeypatch, capsys):
    ready, others = people
    vectors.put_passages("ghost", "internal", ONE, ["gone"], created_at=ready[0].created_at)
    vectors.put_passages(others[0].id, "internal", ONE, ["stale"],
                         created_at=others[0].created_at)
    # 14 items (7 professionals, their e-mail guards), 3 a page: 4 pages hold 3 to 5 resumes
    monkeypatch.setattr(vectors_ops, "PAGE", 3)
    first = vectors_ops.reindex(say=lambda line: None, stop_after_pages=4)  # interrupted
    assert 3 <= first["resumes"] <= 5
    assert vectors_ops.CHECKPOINT.load()["done"] == first["resumes"]
    assert main(["vectors", "reindex"]) == 0  # goes on where it stopped
    out = capsys.readouterr().out
    # 5 in all: the second run counted on from the first, it did not start again
    assert "resuming the vectors reindex" in out and "vectors reindexed: 5 resumes" in out
    assert "2 orphan owner(s) removed" in out
    assert all(list(stored(p.id)) == [0] for p in ready)
    assert stored("ghost") == stored(others[0].id) == {}
    assert vectors_ops.CHECKPOINT.load() is None
    assert main(["vectors", "reindex", "--restart"]) == 0  # again from the start: harmless
    assert "vectors reindexed: 5 resumes, 5 passages, 0 orphan" in capsys.readouterr().out


def test_verify_finds_a_missing_vector_an_orphan_and_dead_letters(people, monkeypatch, capsys):
    ready, others = people
    for person in ready:
        resume_vectors.sync(person.id)
    blank = create(full_name="Blank Page")
    make_ready(blank.id, "  \n ")  # a resume of no words has no vector: no problem
    search_sync.sync_search_index()
    assert main(["verify", "--whole"]) == 0
    out = capsys.readouterr().out
    assert "vectors: 6 of 6 ready resumes checked, 5 owner(s) of vectors seen" in out

    vectors.delete_professional(ready[1].id)
    vectors.put_passages("ghost", "internal", ONE, ["gone"], created_at=ready[0].created_at)
    dlq = clients.sqs().create_queue(QueueName="professionals-embed-test-dlq")["QueueUrl"]
    clients.sqs().send_message(QueueUrl=dlq, MessageBody=json.dumps({"id": ready[2].id}))
    monkeypatch.setenv("EMBED_DLQ_URL", dlq)
    assert main(["verify", "--whole"]) == 1
    out = capsys.readouterr().out
    assert f"1 ready resume(s) of 6 checked without vector #0, e.g. {ready[1].id}" in out
    assert "1 professional(s) with vectors and no ready resume (1 no longer in the table), " \
           "e.g. ghost" in out
    assert "embed dead-letter queue: 1 message(s)" in out
    report = vectors_ops.check(sample=2)  # a sample: two resumes, the first page of vectors
    assert report["checked"] == 2 and report["orphans"] == ["ghost"]


def test_a_deleted_professional_still_holding_vectors_is_an_orphan(people, capsys):
    ready, _ = people
    resume_vectors.sync(ready[0].id)
    professionals.delete(ready[0].id, STAFF)  # the embed message never came
    report = vectors_ops.check(sample=None)
    assert report["orphans"] == [ready[0].id]
    assert report["missing"] == sorted(p.id for p in ready[1:])  # never synced


def test_verify_without_a_vector_index_is_no_problem_while_no_resume_is_ready(store, capsys):
    """Tables without a vector store (tools, older tests): nothing to check, said so."""
    assert main(["verify"]) == 0
    assert "not checked" in capsys.readouterr().out
