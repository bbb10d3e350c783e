"""Schemathesis against the running local stack: every operation of the OpenAPI document the API
serves (`/api/openapi.json`), as staff, as a partner, anonymously and with an access token, with
valid and invalid input.

Every response must be no 5xx and match the document (a documented status code, content type,
headers and body schema); invalid input must be rejected with a 4xx; a method a path does not have
must be a 405 with `Allow`; every error must be the contract's envelope with the code that goes
with its status (`error_envelope`: it also covers the 404s and 405s that Schemathesis does not hold
against the document); and in a bulk upsert every invalid row must fail alone (`bulk_rows`).

Schemathesis runs through its engine (what its CLI runs: the examples, coverage and fuzzing
phases), not its pytest integration: `schemathesis.pytest.from_fixture`, the only way to load the
document from a server that a fixture starts, uses pytest's private `Function._nodeid`, which
pytest 9.2 no longer has. Generation is deterministic (the same cases on every run) and small:
`MAX_EXAMPLES` per operation in the fuzzing phase, plus the boundary and invalid cases the coverage
phase derives from the document.
"""
from __future__ import annotations

import itertools
import json
import secrets
from collections import Counter, defaultdict

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.engine import Status, events

from tests.e2e.conftest import unique_email, wait_until
from tests.e2e.pdf import tiny_pdf
from tests.test_openapi import CONTRACT_ERROR_CODES as ERROR_CODES  # docs/api.md, Errors

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 15

# Methods a path does not declare, sent by the coverage phase (a 405 with `Allow` is expected).
UNEXPECTED_METHODS = ["get", "put", "post", "delete", "patch", "options", "trace", "query"]

CHECKS = [
    "not_a_server_error",  # no 5xx
    "status_code_conformance",  # a status the operation documents
    "content_type_conformance",  # the documented media type
    "response_headers_conformance",  # documented headers (e.g. Location on 201) match
    "response_schema_conformance",  # the body matches the documented schema
    "negative_data_rejection",  # invalid input is a 4xx (bulk rows: see `bulk_rows`)
    "unsupported_method",  # an undeclared method is a 405 with Allow
    "error_envelope",  # every error in the contract's envelope
    "bulk_rows",  # every invalid bulk row fails alone
]
# Besides the check's defaults: more than 1000 bulk rows is a 413 (the contract's answer).
NEGATIVE_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428",
                     "429"]

# What each operation answers when it works: every run must get there, not only to errors.
SUCCESS = {
    "GET /health": 200, "GET /openapi.json": 200, "GET /docs": 200, "GET /docs/assets/{name}": 200,
    "POST /professionals": 201, "GET /professionals": 200, "POST /professionals/bulk": 207,
    "GET /professionals/{id}": 200, "PATCH /professionals/{id}": 200,
    "DELETE /professionals/{id}": 204, "POST /professionals/{id}/resume": 201,
    "GET /professionals/{id}/resume": 200, "POST /access-links": 202,
    "POST /imports": 201, "GET /imports": 200,
}
# POST /sessions is reached only with a mailed link's token (tests/test_self_service.py, the SPA's
# e2e): here it answers 400, and its checks (envelope, no 5xx, schema) still run.
PUBLIC = ["GET /health", "GET /openapi.json", "GET /docs", "GET /docs/assets/{name}",
          "POST /access-links"]
# Operations an anonymous caller cannot use (401) besides bulk; a partner uses them on its own.
KEY_ONLY = ["listProfessionals", "getProfessional", "updateProfessional", "deleteProfessional",
            "requestResumeUpload", "getResumeDownload", "createImport", "listImports",
            "getImport", "getImportErrors"]


@schemathesis.check
def error_envelope(ctx, response, case):
    """Every error is `{"error": {"code", "message", "details"}}`, its code the status's."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body: "
                             f"{response.content[:300]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, \
        f"{response.status_code} is not the error envelope: {body!r}"
    assert isinstance(error["message"], str) and error["message"], body
    assert isinstance(error["details"], dict), body
    assert error["code"] in ERROR_CODES.get(response.status_code, ()), \
        f"{response.status_code} with code {error['code']!r}"
    return None


def _json_schema(schema):
    """OpenAPI 3.0's `nullable` as JSON Schema."""
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {k: _json_schema(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def valid(case, name: str, value) -> bool:
    """Whether `value` matches the document's schema `name` (formats checked, as Schemathesis
    does when it decides what is invalid)."""
    raw = case.operation.schema.raw_schema
    document = _json_schema({"$ref": f"#/components/schemas/{name}",
                             "components": raw["components"]})
    return jsonschema_rs.Draft4Validator(document, validate_formats=True).is_valid(value)


def without_source(value):
    return {k: v for k, v in value.items() if k != "source"} if isinstance(value, dict) else value


# Partner keys: their `source`, whatever it is, is ignored (docs/api.md: "Partner keys always get
# `partner`, whatever the body says"; docs/decisions.md), in a sign-up and in bulk rows alike.
PARTNER_KEYS: set[str] = set()


def sent_by_partner(response) -> bool:
    return response.request.headers.get("X-Api-Key") in PARTNER_KEYS


@schemathesis.check
def bulk_rows(ctx, response, case):
    """A bulk upsert answers 207 even when rows are invalid (the contract: rows are independent),
    so `negative_data_rejection` cannot judge it; instead, every row the document's `BulkRow`
    does not admit must fail with `validation_error`, and there is one result per row."""
    if case.operation.label != "POST /professionals/bulk" or response.status_code != 207 \
            or not isinstance(case.body, list):
        return None
    body = json.loads(response.content)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(case.body))), body
    assert sum(body["summary"].values()) == len(results), body
    partner = sent_by_partner(response)
    for row, result in zip(case.body, results):
        if not valid(case, "BulkRow", without_source(row) if partner else row):
            assert result["status"] == "failed" and result["error"]["code"] == "validation_error", \
                f"an invalid row was not rejected: {row!r} -> {result!r}"
    return None


def load(stack, headers: dict[str, str], *, brief: bool = False, **extra):
    """The served document, with the config for one caller. `brief`: a few valid cases only."""
    config = schemathesis.Config.from_dict({
        "headers": headers,
        "generation": {
            "mode": "positive" if brief else "all",  # valid and invalid input
            "max-examples": 3 if brief else MAX_EXAMPLES,
            "deterministic": True,  # the same cases on every run
            "database": "none",
            # No generated X-Api-Key or bearer token: each run is one caller's credentials.
            "with-security-parameters": False,
        },
        # No ids taken from earlier responses (the list): the stack is shared with the other e2e
        # tests, so PATCH and DELETE only reach what this file created (see `realistic`).
        "phases": {
            "examples": {"enabled": True, "extra-data-sources": {"responses": False}},
            "coverage": {"enabled": not brief, "unexpected-methods": UNEXPECTED_METHODS,
                         "extra-data-sources": {"responses": False}},
            "fuzzing": {"enabled": True, "extra-data-sources": {"responses": False}},
            "stateful": {"enabled": False},
        },
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS},
                   "negative_data_rejection": {"enabled": True,
                                               "expected-statuses": NEGATIVE_STATUSES}},
        "cache": {"enabled": False},  # no `.schemathesis/` folder, no replays of earlier runs
        # too_slow: generation on a busy 2-core machine; filter_too_much: an operation whose only
        # input is a path id (GET .../similar) soon runs out of distinct examples
        "suppress-health-check": ["too_slow", "filter_too_much"],
        "base-url": stack.api,
        "continue-on-failure": True,
        "workers": 1,
        "request-timeout": 30,
        **extra,
    })
    # Loaded from the served document's content rather than its URL: Schemathesis leaves out the
    # operation its document was loaded from, and `GET /openapi.json` is one to test too.
    served = requests.get(f"{stack.api}/openapi.json", timeout=30)
    assert served.status_code == 200, served.text
    schema = schemathesis.openapi.from_dict(served.json(), config=config)
    if headers.get("X-Api-Key") == stack.keys["partner"]:
        PARTNER_KEYS.add(stack.keys["partner"])

    @schema.hook
    def filter_failure(context, failure, case, response):
        label = context.operation.label
        # Bulk rows are judged by `bulk_rows`: a 207 for an array of invalid rows is the contract.
        if label == "POST /professionals/bulk" and isinstance(failure, AcceptedNegativeData) \
                and response.status_code == 207 and isinstance(case.body, list):
            return False
        # A partner's sign-up with nothing wrong but its `source` is not invalid data.
        if label == "POST /professionals" and isinstance(failure, AcceptedNegativeData) \
                and sent_by_partner(response) \
                and valid(case, "ProfessionalCreate", without_source(case.body)):
            return False
        return True

    return schema


CONTACT_BODIES = ["POST /professionals", "POST /professionals/bulk", "PATCH /professionals/{id}"]


def realistic(schema, existing_ids: dict[str, list[str]] | None = None):
    """Hooks that get more valid cases past validation, uniqueness and existence. Fuzzing phase:
    valid bodies often get a fresh email and a real phone number (the document cannot say what a
    phone number is, generated emails soon repeat, and a new record needs one of the two), and
    with `existing_ids`, `{id}` often names a professional that exists. Coverage phase: valid
    `{id}`s are an existing professional's."""
    # Drawn outside Hypothesis: a deterministic run would repeat its values on every run.
    fresh_email = st.builds(lambda: unique_email("st"))
    phone = st.builds(real_phone)
    absent = object()

    def contact(fields, *, add: bool, consent: bool = False):
        if not isinstance(fields, dict):
            return st.just(fields)
        drawn = {k: st.just(v) for k, v in fields.items()}
        if consent:  # an anonymous sign-up needs "consent": true; three times in four, give it
            drawn["consent"] = st.integers(0, 3).flatmap(
                lambda n, value=fields.get("consent", absent): st.just(True) if n
                else st.just(value))
        for name, fresh in (("email", fresh_email), ("phone", phone)):
            value = fields.get(name, absent)
            if isinstance(value, str) or (add and value in (absent, None)):
                # Three times in four, a fresh one.
                drawn[name] = st.integers(0, 3).flatmap(
                    lambda n, value=value, fresh=fresh: fresh if n else st.just(value))
        return st.fixed_dictionaries(drawn).map(
            lambda d: {k: v for k, v in d.items() if v is not absent})

    def flatmap_case(context, case):
        if case.meta is None:
            return st.just(case)
        modes = {location.value: info.mode.value for location, info in case.meta.components.items()}
        strategies = {}
        label = context.operation.label
        if modes.get("body") == "positive" and label in CONTACT_BODIES:
            add = label != "PATCH /professionals/{id}"  # a new record, or a bulk row
            if isinstance(case.body, list):
                strategies["body"] = st.tuples(*(contact(row, add=add) for row in case.body)) \
                    .map(list)
            else:
                strategies["body"] = contact(case.body, add=add,
                                             consent=label == "POST /professionals")
        path = case.path_parameters or {}
        if existing_ids and modes.get("path") == "positive" and "id" in path:
            pool = existing_ids["disposable" if case.method.upper() == "DELETE" else "keep"]
            strategies["id"] = st.one_of(st.just(path["id"]), st.sampled_from(pool))
        if not strategies:
            return st.just(case)

        def apply(drawn):
            if "body" in drawn:
                case.body = drawn["body"]
            if "id" in drawn:
                case.path_parameters = {**case.path_parameters, "id": drawn["id"]}
            return case

        return st.fixed_dictionaries(strategies).map(apply)

    schema.hook(flatmap_case)
    if not existing_ids:
        return

    @schema.hook
    def map_case(context, case):
        # The coverage phase's valid cases (boundary values) on a record that exists, so they are
        # written and answered in full rather than stopping at 404. Not DELETE's.
        if case.meta is not None and case.meta.phase.name.value == "coverage" \
                and case.method.upper() != "DELETE" and "id" in (case.path_parameters or {}) \
                and case.meta.components.get(ParameterLocation.PATH) is not None \
                and case.meta.components[ParameterLocation.PATH].mode.value == "positive":
            case.path_parameters = {**case.path_parameters, "id": existing_ids["keep"][0]}
        return case


def run(schema) -> dict[str, Counter]:
    """Run every phase; fail listing every failed check. Returns status counts per operation."""
    failures: list[str] = []
    statuses: dict[str, Counter] = defaultdict(Counter)
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for interaction in recorder.interactions.values():
                # Not the undeclared methods the coverage phase sends to the same path.
                if interaction.response is not None \
                        and recorder.label.startswith(f"{interaction.request.method} "):
                    statuses[recorder.label][interaction.response.status_code] += 1
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        interaction = recorder.interactions.get(case_id)
                        status = interaction.response.status_code \
                            if interaction and interaction.response else None
                        failures.append(f"{recorder.label} [{check.name}] -> {status}: "
                                        f"{failure.title}\n{failure.message}\n"
                                        f"{check.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error {event.info.title}\n{event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            failures += [f"{f.operation}: {f.title}\n{f.message}" for f in event.failures]
    for label, counts in sorted(statuses.items()):
        print(f"{label}: {dict(sorted(counts.items()))}")
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} failed checks:\n\n" + "\n\n".join(unique)
    return statuses


def real_phone() -> str:
    # Not 555-01xx: the demo professionals' numbers, which other tests read.
    return f"+1 415 555 {2000 + secrets.randbelow(8000):04d}"


def create(stack, headers: dict[str, str], **fields) -> dict:
    body = {"full_name": "Schema Thesis", "email": unique_email("st"), "consent": True, **fields}
    response = requests.post(f"{stack.api}/professionals", json=body, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def staff(stack) -> dict[str, str]:
    return {"X-Api-Key": stack.keys["staff"]}


@pytest.fixture(scope="module")
def existing(stack):
    """Professionals for the `{id}` operations to find: some kept, some for DELETE to remove,
    and one with a ready resume (so the download and a complete `resume` object are exercised)."""
    keep = [create(stack, staff(stack), phone=None if n % 2 else real_phone(),
                   company_name="Analytical Engines Ltd", job_title="Engineer")["id"]
            for n in range(3)]
    disposable = [create(stack, staff(stack))["id"] for _ in range(4)]
    pdf = tiny_pdf("Resume for schemathesis")
    with_resume = create(stack, staff(stack), resume={"filename": "cv.pdf",
                                                      "content_type": "application/pdf",
                                                      "size_bytes": len(pdf)})
    upload = with_resume["resume_upload"]
    sent = requests.post(upload["url"], data=upload["fields"], timeout=30,
                         files={"file": ("cv.pdf", pdf, "application/pdf")})
    assert sent.status_code in (200, 201, 204), sent.text

    def ready():
        record = requests.get(f"{stack.api}/professionals/{with_resume['id']}",
                              headers=staff(stack), timeout=30).json()
        return record["resume"]["status"] == "ready"

    assert wait_until(ready, timeout=60), stack.log_tail()
    # The one with a resume thrice: the download is the only operation it serves.
    return {"keep": keep + [with_resume["id"]] * 3, "disposable": disposable}


def reached(statuses: dict[str, Counter], expected: dict[str, int]) -> None:
    missing = {label: status for label, status in expected.items()
               if status not in statuses.get(label, {})}
    assert not missing, f"never answered: {missing}; got {dict(statuses)}"


def test_staff_key(stack, existing):
    schema = load(stack, staff(stack))
    realistic(schema, existing)
    reached(run(schema), SUCCESS)  # every operation, and each of them worked


@pytest.fixture(scope="module")
def partners_own(stack):
    """Professionals the partner key created: the `{id}` operations it may use (docs/api.md, Partners)."""
    key = {"X-Api-Key": stack.keys["partner"]}
    return {"keep": [create(stack, key, phone=real_phone())["id"] for _ in range(3)],
            "disposable": [create(stack, key)["id"] for _ in range(4)]}


def test_partner_key(stack, partners_own):
    """What partners may do, in full, on the records they created (docs/api.md, Partners); the staff-only
    resume download briefly (403s)."""
    staff_only = ["getResumeDownload"]
    schema = load(stack, {"X-Api-Key": stack.keys["partner"]})
    realistic(schema, partners_own)
    allowed = [k for k in SUCCESS if k != "GET /professionals/{id}/resume"]
    reached(run(schema.exclude(operation_id=staff_only)), {k: SUCCESS[k] for k in allowed})
    others = load(stack, {"X-Api-Key": stack.keys["partner"]}, brief=True)
    reached(run(others.include(operation_id=staff_only)),
            {k: 403 for k in SUCCESS if k not in allowed})


def test_anonymous(stack):
    """Sign-up and the public operations in full; the others briefly (401s)."""
    schema = load(stack, {})
    realistic(schema)
    dropped = itertools.count()

    @schema.hook
    def map_case(context, case):
        # Anonymous requests with Idempotency-Key are a 400 (the contract), and the generator
        # adds the optional header to nearly every case: three times in four, leave it out, so
        # sign-ups get through too.
        if case.headers and "Idempotency-Key" in case.headers and next(dropped) % 4:
            case.headers = {k: v for k, v in case.headers.items() if k != "Idempotency-Key"}
        return case

    allowed = PUBLIC + ["POST /professionals"]
    others = KEY_ONLY + ["bulkUpsertProfessionals"]
    reached(run(schema.exclude(operation_id=others)), {k: SUCCESS[k] for k in allowed})
    reached(run(load(stack, {}, brief=True).include(operation_id=others)),
            {k: 401 for k in SUCCESS if k not in allowed})


def test_access_token(stack):
    """An anonymous sign-up's token on its own record: read it, correct it, start a resume
    upload (erasure is left to tests/test_self_service.py: it would end the run's record)."""
    created = create(stack, {})
    schema = load(stack, {"Authorization": f"Bearer {created['access_token']}"},
                  parameters={"path.id": created["id"]})
    reached(run(schema.include(operation_id=["getProfessional", "updateProfessional",
                                             "requestResumeUpload"])),
            {"GET /professionals/{id}": 200, "PATCH /professionals/{id}": 200,
             "POST /professionals/{id}/resume": 201})
