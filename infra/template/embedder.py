"""Resume intelligence's functions (contract 8.4): the embedder runtime layer and who runs it.

* ``EmbedderLayer``: ``infra/embedder_layer.py``'s zip (numpy, tokenizers, safetensors, the fp16
  model) as an ``AWS::Serverless::LayerVersion`` whose ``ContentUri`` is the local zip beside
  ``sam.json``: ``aws cloudformation package`` uploads it to the artifact bucket, as it does the
  app's zip, and the transform makes it an ``AWS::Lambda::LayerVersion`` with ``Content``
  from ``S3Bucket``/``S3Key`` (58 MiB zipped: over the 50 MiB of a direct upload). A changed
  zip is a new key, so a new version; an unchanged one (the build is deterministic) is none.
* The API gets the layer and ``EMBEDDING_MODEL_DIR`` (a semantic query embeds its text
  in-process); its vector grants are with its routes (``functions.py``).
* ``embed_resumes``: the embed queue's consumer (``chalicelib/resume_vectors.py``), with the
  layer, its role (the queue, the records and resume texts it reads, the index it writes),
  its size, and the event source (partial batch failures, bounded concurrency).

Runs after ``functions`` (it adds to the API function that part defined) and before the alarms
and the dashboard, which pick up its function and queues.
"""
from __future__ import annotations

from infra import embedder_layer
from infra.template import vectors
from infra.template.cfn import allow, getatt, leading_keys, policy, ref, sub
from infra.template.functions import (LAMBDA_RUNTIME, SQS_LAMBDA_ACTIONS, env, function,
                                      objects)
from infra.template.settings import APP
from infra.template.stack import Stack

LAYER = "EmbedderLayer"


def embedder(t: Stack) -> None:
    t.add(LAYER, "AWS::Serverless::LayerVersion", {
        "LayerName": f"{APP}-{t.stage}-embedder",
        "Description": "numpy, tokenizers, safetensors and all-MiniLM-L6-v2 (fp16, Apache-2.0) "
                       f"in {embedder_layer.MODEL_PATH}: infra/embedder_layer.py",
        "ContentUri": f"./{embedder_layer.LAYER_ZIP}",
        "CompatibleRuntimes": [LAMBDA_RUNTIME],
        "CompatibleArchitectures": ["x86_64"],
        # A replaced version is deleted once no function uses it; a rollback publishes the
        # old release's zip again from the artifact bucket (docs/operations.md).
        "RetentionPolicy": "Delete",
    })
    attach(t, t.f.api)
    if t.f.embed_function:
        embed_function(t)


def attach(t: Stack, logical_id: str) -> None:
    """The layer and the model's directory on a function this template already overrides."""
    props = t.resources[logical_id]["Properties"]
    props["Layers"] = [ref(LAYER)]
    props["Environment"]["Variables"].update(model_env())


def model_env() -> dict[str, str]:
    return {"EMBEDDING_MODEL_DIR": embedder_layer.MODEL_PATH}


def embed_function(t: Stack) -> None:
    """embed_resumes: a message names a professional; the record and its resume's text are
    read, the passages embedded and written, the leftovers (a shorter resume, a removed one)
    deleted by key."""
    queue = t.d.embed_queue
    function(t, t.f.embed_function, "ResumeEmbedderRole", policy(
        allow("ConsumeEmbedQueue", SQS_LAMBDA_ACTIONS, [getatt(queue.logical_id, "Arn")]),
        allow("ReadProfessionals", ["dynamodb:GetItem"],
              [getatt(t.d.table.logical_id, "Arn")], **leading_keys("PRO#")),
        allow("ReadResumeText", ["s3:GetObject"], objects(t, "text/")),
        # A missing text/ object (replaced since the message) answers 404, not 403.
        allow("SeeMissingObjectsAs404", ["s3:ListBucket"], [sub(t.bucket_arn)]),
        *vectors.write_grants(),
    ), t.s.embed_memory_mb, t.s.embed_timeout_s, env(
        t, **vectors.function_env(t), **model_env(),
        EMBED_QUEUE_NAME=getatt(queue.logical_id, "QueueName"),
    ), Layers=[ref(LAYER)], Events={t.f.embed_event: {"Properties": {
        # Chalice writes this ARN as a Fn::Sub of the queue name app.py saw: the same
        # intrinsic, with the stage's name.
        "Queue": sub("arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                     + queue.name),
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": t.s.embed_max_concurrency},
    }}})
