"""The local stand-in for API Gateway: Chalice's LocalGateway plus the gateway responses that
the deployed API is configured with, so both answer unknown routes and oversized bodies alike."""
from __future__ import annotations

import json
import uuid
from typing import Any

from chalice.local import LocalGateway, LocalGatewayException

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit


def gateway_error(status: int, code: str, message: str) -> dict[str, Any]:
    request_id = uuid.uuid4().hex
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "X-Request-Id": request_id},
        "multiValueHeaders": {},
        "body": json.dumps({"error": {"code": code, "message": message, "details": {}}}),
    }


class EnvelopeGateway(LocalGateway):
    def _has_user_defined_options_method(self, lambda_event: Any) -> bool:
        # Chalice's local gateway answers every OPTIONS itself (200, empty). Deployed, an ANY
        # method hands it to the app, which answers 405 in the envelope: do the same here.
        return True

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        if body and len(body) > MAX_BODY_BYTES:
            return gateway_error(413, "payload_too_large",
                                 f"The request body is over {MAX_BODY_BYTES} bytes.")
        try:
            return super().handle_request(method, path, headers, body)
        except LocalGatewayException:
            # Chalice raises this only when no route matches (we use no authorizers).
            return gateway_error(404, "not_found", f"No route for {method} {path.split('?')[0]}.")
