"""HTTP routes of the professional sign-up API. Each parses, calls chalicelib, and answers."""
from __future__ import annotations

import os
import time
import uuid

from chalice import Chalice, Rate, Response

from chalicelib import (apidocs, auth, bulk, db, gateway_auth, idempotency, listing, logs, metrics,
                        payloads, professionals, resume_processor, resume_vectors, resumes,
                        staff_users)
from chalicelib.imports import api as imports_api, worker as imports_worker
from chalicelib.history import read as history
from chalicelib.search import indexer, similar
from chalicelib.stats import consumer as stats_consumer, counters as stats, report as stats_report
from chalicelib import mail_delivery
from chalicelib import confirmation, purge
from chalicelib.auth import PARTNER, STAFF, TOKEN
from chalicelib.errors import ApiError, NotFound, Unavailable, envelope
from chalicelib.settings import get_settings

# app.log is the Powertools logger of chalicelib.logs (same name): Chalice leaves it alone.
app = Chalice(app_name=logs.SERVICE, configure_logs=False)
log = logs.log

ANY = ["*/*"]  # media types are checked in chalicelib.payloads, after authentication


@app.middleware("http")
def api_boundary(event, get_response):
    request_id = (event.context or {}).get("requestId") or uuid.uuid4().hex
    logs.start_request(request_id)  # auth.identify names the caller, if the route asks who it is
    started = time.monotonic()
    try:
        response = get_response(event)
    except ApiError as exc:
        response = _error(exc.status, exc.body())
        if getattr(exc, "retry_after", None) is not None:  # errors.RateLimited
            response.headers["Retry-After"] = str(exc.retry_after)
    except db.StoreUnavailable:  # throttled, unreachable or contended past its retries
        log.warning("store unavailable", exc_info=True)
        response = _error(503, Unavailable("The data store is busy; please retry.").body())
    except Exception:  # the one place an unexpected error becomes a clean 500
        log.exception("unhandled error")
        response = _internal_error(request_id)
    response = _envelope_chalice_errors(response, request_id)
    response.headers["X-Request-Id"] = request_id
    log.info("request", method=event.method, path=event.context.get("resourcePath"),
             status=response.status_code, ms=round((time.monotonic() - started) * 1000, 1))
    return response


@app.route("/health", methods=["GET"])
def health():
    payloads.check_query(app.current_request.query_params, ())
    try:
        ready = db.exists(db.READY_MARKER)
    except db.StoreUnavailable as exc:
        raise Unavailable("The table is unreachable.") from exc
    if not ready and get_settings().ready_marker:
        raise Unavailable("The local stack is still creating resources and demo data.")
    return {"status": "ok"}


@app.route("/professionals", methods=["POST"], content_types=ANY)
def create_professional():
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require_write(caller)  # open to anyone, but not to a staff viewer
    payloads.check_query(request.query_params, ())
    body = payloads.json_body(request.headers, request.raw_body)
    kept = idempotency.request_of(request, caller)
    if caller.role not in (PARTNER, STAFF):
        auth.can_sign()  # the 201 carries a token: no record is written without the key for it

    def create() -> Response:
        item = professionals.create(body, caller,
                                    idempotency_record=kept and idempotency.record_id(kept))
        resource = professionals.to_resource(item)
        if caller.role not in (PARTNER, STAFF):
            resource["access_token"] = auth.issue_access_token(item)
        if item.resume_upload:
            resource["resume_upload"] = resumes.upload_form(item)
        return Response(resource, status_code=201,
                        headers={"Location": f"/professionals/{item.id}"})

    return idempotency.run(kept, create, lambda_context=request.lambda_context)


@app.route("/professionals/bulk", methods=["POST"], content_types=ANY)
def bulk_upsert():
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, PARTNER, STAFF, write=True)
    params = payloads.check_query(request.query_params, ("dry_run",))
    rows = payloads.bulk_rows(request.headers, request.raw_body)
    dry_run = payloads.flag(params, "dry_run")

    def upsert() -> Response:
        result = bulk.bulk_upsert(rows, caller, dry_run=dry_run)
        if not dry_run:
            summary = result["summary"]
            metrics.emit({"RowsCreated": summary["created"], "RowsUpdated": summary["updated"],
                          "RowsUnchanged": summary["unchanged"], "RowsFailed": summary["failed"]},
                         Caller=caller.role)
            stats.count(stats.today(), stats.bulk_counts(summary), what="bulk")
        return Response(result, status_code=207)

    return idempotency.run(idempotency.request_of(request, caller), upsert,
                           lambda_context=request.lambda_context)


@app.route("/professionals", methods=["GET"])
def list_professionals():
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER)
    return listing.list_professionals(request.query_params or {}, caller)


@app.route("/professionals/{professional_id}", methods=["GET"])
def get_professional(professional_id):
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER, TOKEN, professional_id=professional_id)
    payloads.check_query(request.query_params, ())
    item = professionals.get(professional_id, caller)
    return {**professionals.to_resource(item), "resume_text": resumes.resume_text(item)}


@app.route("/professionals/{professional_id}/history", methods=["GET"])
def get_history(professional_id):
    """Who changed the record, when, and what from what to what (newest first)."""
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER)
    return history.history(professional_id, request.query_params or {}, caller)


@app.route("/professionals/{professional_id}/similar", methods=["GET"])
def get_similar(professional_id):
    """Up to 10 professionals whose resumes are nearest in meaning to this one's (staff)."""
    request = app.current_request
    auth.require(auth.identify(request.headers), STAFF)
    payloads.check_query(request.query_params, ())
    return similar.similar(professional_id)


@app.route("/professionals/{professional_id}", methods=["PATCH"], content_types=ANY)
def patch_professional(professional_id):
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER, TOKEN, professional_id=professional_id,
                 write=True)
    payloads.check_query(request.query_params, ())
    body = payloads.json_body(request.headers, request.raw_body)
    return professionals.to_resource(professionals.patch(professional_id, body, caller))


@app.route("/professionals/{professional_id}", methods=["DELETE"])
def delete_professional(professional_id):
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER, TOKEN, professional_id=professional_id,
                 write=True)
    payloads.check_query(request.query_params, ())
    professionals.delete(professional_id, caller)
    return Response(body="", status_code=204)


@app.route("/professionals/{professional_id}/resume", methods=["POST"], content_types=ANY)
def start_resume_upload(professional_id):
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER, TOKEN, professional_id=professional_id,
                 write=True)
    payloads.check_query(request.query_params, ())
    body = payloads.json_body(request.headers, request.raw_body)
    item = resumes.start_upload(professional_id, body, caller)
    resource = {**professionals.to_resource(item), "resume_upload": resumes.upload_form(item)}
    # The body is the professional (with the new attempt): that is the resource it points to.
    return Response(resource, status_code=201, headers={"Location": f"/professionals/{item.id}"})


@app.route("/imports", methods=["POST"], content_types=ANY)
def create_import():
    """A job for a CSV or XLSX file of up to 100,000 rows, with the form that uploads it."""
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER, write=True)
    payloads.check_query(request.query_params, ())
    job = imports_api.create(payloads.json_body(request.headers, request.raw_body), caller)
    return Response(job, status_code=201, headers={"Location": f"/imports/{job['id']}"})


@app.route("/imports", methods=["GET"])
def list_imports():
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER)
    return imports_api.list_jobs(request.query_params or {}, caller)


@app.route("/imports/{import_id}", methods=["GET"])
def get_import(import_id):
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER)
    payloads.check_query(request.query_params, ())
    return imports_api.read(import_id, caller).resource()


@app.route("/imports/{import_id}/errors", methods=["GET"])
def get_import_errors(import_id):
    """303 to a presigned GET of the CSV: it can outgrow what a Lambda response may carry."""
    request = app.current_request
    caller = auth.identify(request.headers)
    auth.require(caller, STAFF, PARTNER)
    payloads.check_query(request.query_params, ())
    link = imports_api.errors_link(import_id, caller)
    return Response(link, status_code=303, headers={"Location": link["url"],
                                                    "Content-Type": "application/json"})


@app.route("/sessions", methods=["POST"], content_types=ANY)
def open_session():
    """The mailed link's email token -> an access token; the address counts as confirmed."""
    request = app.current_request
    payloads.check_query(request.query_params, ())
    item, token = confirmation.open_session(payloads.json_body(request.headers, request.raw_body))
    return {"access_token": token, "professional": professionals.to_resource(item)}


@app.route("/access-links", methods=["POST"], content_types=ANY)
def request_access_link():
    """Anyone: the same 202 whether or not someone has the address; the mail says the rest."""
    request = app.current_request
    payloads.check_query(request.query_params, ())
    confirmation.request_access_link(payloads.json_body(request.headers, request.raw_body))
    return Response({"status": "sent"}, status_code=202)


@app.schedule(Rate(1, unit=Rate.HOURS), name="purge_unconfirmed")
def purge_unconfirmed(event):
    """Erase anonymous sign-ups whose address was not confirmed within 30 days."""
    purge.purge_unconfirmed()


@app.route("/professionals/{professional_id}/resume", methods=["GET"])
def download_resume(professional_id):
    request = app.current_request
    auth.require(auth.identify(request.headers), STAFF)
    payloads.check_query(request.query_params, ())
    return resumes.download_link(professionals.get(professional_id))


@app.on_sqs_message(queue=os.environ.get("UPLOAD_QUEUE_NAME", "professionals-uploads"),
                    batch_size=5)
def process_resume_uploads(event):
    """S3 ObjectCreated (uploads/) -> SQS -> here; failed records go back for a retry alone."""
    failed = resume_processor.handle_sqs_records([record.to_dict() for record in event])
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


# One record per invocation: a job runs for up to the function's 15 minutes. Deployed, the
# template adds ReportBatchItemFailures and points the event source at the imports queue.
@app.on_sqs_message(queue=os.environ.get("IMPORT_QUEUE_NAME", "professionals-imports"),
                    batch_size=1, name="process_imports")
def process_imports(event):
    """S3 ObjectCreated (imports/) or a continuation -> SQS -> here: the job advances."""
    failed = imports_worker.handle_sqs_records([record.to_dict() for record in event],
                                               event.context)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


# Deployed, the template adds ReportBatchItemFailures to this function's SQS event source.
@app.on_sqs_message(queue=os.environ.get("MAIL_QUEUE_NAME", "professionals-mail"), batch_size=10,
                    name="send_mail")
def send_mail(event):
    """The mail queue -> SES; a failed send goes back to the queue and is tried again later."""
    failed = mail_delivery.handle_sqs_records([record.to_dict() for record in event])
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


# The stream indexer names professionals whose ready resume changed or who are gone; each
# message makes the vector store match the record. Deployed, the template adds
# ReportBatchItemFailures (a failed message is retried alone, then dead-lettered).
@app.on_sqs_message(queue=os.environ.get("EMBED_QUEUE_NAME", "professionals-embed"), batch_size=5,
                    name="embed_resumes")
def embed_resumes(event):
    """The embed queue -> the resumes' passages embedded into (or removed from) S3 Vectors."""
    failed = resume_vectors.handle([record.to_dict() for record in event])
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}


# Deployed, the template points this at the table's stream (Fn::GetAtt StreamArn) and adds
# bisection, bounded retries and the on-failure queue; locally infra's stream worker calls it.
@app.on_dynamodb_record(stream_arn=os.environ.get("PROFESSIONALS_STREAM_ARN", indexer.PLACEHOLDER_ARN),
                        batch_size=100, starting_position="TRIM_HORIZON", name="index_search")
def index_search(event):
    """The professionals table's stream -> the search index; failures are retried from the first."""
    failed = indexer.handle_stream_records(event.to_dict().get("Records", []))
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


# The stream's second consumer, with its own event source mapping (its own place in the
# stream). Deployed, the template adds the real stream ARN, a tumbling window (so the event
# names its shard), bisection, bounded retries and an on-failure queue.
@app.on_dynamodb_record(stream_arn=os.environ.get("PROFESSIONALS_STREAM_ARN", indexer.PLACEHOLDER_ARN),
                        batch_size=100, starting_position="TRIM_HORIZON", name="count_stats")
def count_stats(event):
    """The professionals table's stream -> the daily counters (sign-ups, resumes, erasures)."""
    return stats_consumer.handle_stream_event(event.to_dict())


@app.route("/stats", methods=["GET"])
def get_stats():
    """Daily counters for a range of UTC days (staff)."""
    request = app.current_request
    auth.require(auth.identify(request.headers), STAFF)
    return stats_report.read(request.query_params)


@app.lambda_function(name="key_authorizer")
def key_authorizer(event, context):
    """API Gateway REQUEST authorizer (deployed only): names the usage-plan key; never denies."""
    return gateway_auth.authorize(event)


@app.route("/auth/config", methods=["GET"])
def auth_config():
    """Anyone: which Cognito pool and app client the staff sign in with (the SPA asks at start)."""
    payloads.check_query(app.current_request.query_params, ())
    return staff_users.public_config()


@app.route("/openapi.json", methods=["GET"])
def openapi_document():
    payloads.check_query(app.current_request.query_params, ())
    return Response(apidocs.openapi_document(), headers={"Content-Type": "application/json"})


@app.route("/docs", methods=["GET"])
def docs():
    payloads.check_query(app.current_request.query_params, ())
    return Response(apidocs.docs_html(), headers={"Content-Type": "text/html; charset=utf-8"})


@app.route("/docs/assets/{name}", methods=["GET"])
def docs_asset(name):
    payloads.check_query(app.current_request.query_params, ())
    found = apidocs.asset_text(name)
    if found is None:
        raise NotFound(f"No documentation asset '{name}'.")
    content, content_type = found
    return Response(content, headers={"Content-Type": content_type,
                                      "Cache-Control": "public, max-age=86400"})


_CHALICE_ERRORS = {
    400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited",
}


def _error(status: int, body: dict) -> Response:
    return Response(body, status_code=status, headers={"Content-Type": "application/json"})


def _internal_error(request_id: str) -> Response:
    return _error(500, envelope("internal_error", f"Something went wrong on our side; quote "
                                f"request id {request_id} when reporting it.",
                                {"request_id": request_id}))


def _envelope_chalice_errors(response: Response, request_id: str) -> Response:
    """Chalice answers some errors itself ({"Code", "Message"}); give them the envelope."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    if response.status_code >= 500:
        return _internal_error(request_id)
    code = _CHALICE_ERRORS.get(response.status_code, "bad_request")
    fixed = _error(response.status_code, envelope(code, str(body["Message"])))
    fixed.headers.update({k: v for k, v in response.headers.items() if k.lower() == "allow"})
    return fixed
