"""Domain errors and the contract's error envelope.

Every error leaves the API as ``{"error": {"code", "message", "details"}}``; routes raise these
and one handler in app.py turns them into responses.
"""
from __future__ import annotations

from typing import Any

from chalice.app import ChaliceUnhandledError


class ApiError(ChaliceUnhandledError):
    """An error the client can act on. Chalice lets this base class through to the middleware
    in app.py, which answers with the envelope."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class ValidationFailed(ApiError):
    status, code = 400, "validation_error"

    def __init__(self, fields: dict[str, list[str]], message: str | None = None):
        names = ", ".join(sorted(fields))
        super().__init__(message or f"Invalid value for: {names}.", {"fields": fields})
        self.fields = fields


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


class Conflict(ApiError):
    status, code = 409, "conflict"

    def __init__(self, conflicts: list[dict[str, str]], message: str | None = None):
        names = " and ".join(c["field"] for c in conflicts)
        super().__init__(message or f"The {names} is already registered to another professional.",
                         {"conflicts": conflicts})
        self.conflicts = conflicts


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class RateLimited(ApiError):
    """Too many attempts; ``retry_after``: whole seconds until one more is allowed (the
    middleware sends it as the Retry-After header)."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int, details: dict[str, Any] | None = None):
        super().__init__(message, {**(details or {}), "retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(ApiError):
    status, code = 503, "unavailable"


def envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}
