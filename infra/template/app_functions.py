"""What app.py defines, named the way ``chalice package`` names it in the SAM template."""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

from infra.template.settings import PROJECT_ROOT

AUTHORIZER_FUNCTION = "key_authorizer"  # @app.lambda_function(name=...) in app.py
MAIL_FUNCTION = "send_mail"  # @app.on_sqs_message(name=...) of the mail queue in app.py
IMPORT_FUNCTION = "process_imports"  # @app.on_sqs_message(name=...) of the imports queue
STATS_FUNCTION = "count_stats"  # @app.on_dynamodb_record(name=...): the daily counters
EMBED_FUNCTION = "embed_resumes"  # @app.on_sqs_message(name=...) of the embed queue


@dataclass(frozen=True)
class AppFunctions:
    """Logical ids of the resources ``chalice package`` generates for app.py, and its routes."""

    api: str
    routes: dict[str, list[str]]
    sqs_function: str
    sqs_event: str
    stream_function: str
    stream_event: str
    authorizer: str | None
    mail_function: str
    mail_event: str
    import_function: str
    import_event: str
    stats_function: str
    stats_event: str
    # Resume vectors (contract 8.4): None while app.py has no such handler.
    embed_function: str | None = None
    embed_event: str | None = None


def inspect_app() -> AppFunctions:
    """Read app.py's routes and functions the way Chalice names them in its template."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig
    from chalice.utils import to_cfn_resource_name
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    app = importlib.import_module("app").app
    sqs = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
    named = (MAIL_FUNCTION, IMPORT_FUNCTION, EMBED_FUNCTION)
    workers = [s for s in sqs if s.name not in named]
    embeds = [s for s in sqs if s.name == EMBED_FUNCTION]
    if len(workers) != 1 or len(sqs) != 3 + len(embeds):
        raise RuntimeError(f"expected the resume worker, {MAIL_FUNCTION}, {IMPORT_FUNCTION} "
                           f"(and {EMBED_FUNCTION}) as @app.on_sqs_message handlers, found "
                           f"{[s.name for s in sqs]}")
    embed_function = to_cfn_resource_name(EMBED_FUNCTION) if embeds else None
    sqs_function = to_cfn_resource_name(workers[0].name)
    mail_function = to_cfn_resource_name(MAIL_FUNCTION)
    import_function = to_cfn_resource_name(IMPORT_FUNCTION)
    all_streams = [s for s in app.event_sources if isinstance(s, DynamoDBEventConfig)]
    streams = [s for s in all_streams if s.name != STATS_FUNCTION]
    if len(streams) != 1 or len(all_streams) != 2:
        raise RuntimeError(f"expected the search indexer and {STATS_FUNCTION} as "
                           f"@app.on_dynamodb_record handlers, found "
                           f"{[s.name for s in all_streams]}")
    stream_function = to_cfn_resource_name(streams[0].name)
    stats_function = to_cfn_resource_name(STATS_FUNCTION)
    authorizers = [f for f in app.pure_lambda_functions if f.name == AUTHORIZER_FUNCTION]
    return AppFunctions(
        api="APIHandler",
        routes={path: sorted(methods) for path, methods in app.routes.items()},
        sqs_function=sqs_function,
        sqs_event=f"{sqs_function}SqsEventSource",
        stream_function=stream_function,
        stream_event=f"{stream_function}DynamodbEventSource",
        authorizer=to_cfn_resource_name(AUTHORIZER_FUNCTION) if authorizers else None,
        mail_function=mail_function,
        mail_event=f"{mail_function}SqsEventSource",
        import_function=import_function,
        import_event=f"{import_function}SqsEventSource",
        stats_function=stats_function,
        stats_event=f"{stats_function}DynamodbEventSource",
        embed_function=embed_function,
        embed_event=f"{embed_function}SqsEventSource" if embed_function else None,
    )
