"""Pientegra's error answers, built in one place.

The documents name the error codes (public-notes §2.7: ``unauthorized``, ``validation_failed``,
``amount_below_min``, ``amount_above_max``, ``idempotency_key_reuse_with_different_body``,
``duplicate_idempotency_key``) but not the JSON around them, nor the 429 body. The sandbox's
choice, kept in ``error_body`` alone so that it is one edit when the real shape is known::

    {"error": {"code": "validation_failed", "message": "...", "details": {"field": "amount"}}}

Codes the documents do not name are the sandbox's own: ``idempotency_key_required`` (400, no
``Idempotency-Key`` on a POST), ``rate_limit_exceeded`` (429, with ``Retry-After`` in seconds and
``details.retryAfterSeconds``), ``not_found`` (404) and ``invalid_state`` (409: the object is not
in a status the action applies to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


class ApiError(Exception):
    """Stops a request with Pientegra's error answer (registered as an errorhandler)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body = error_body(code, message, details)
        self.headers = dict(headers or {})

    def response(self) -> Response:
        response = jsonify(self.body)
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def invalid(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "validation_failed", message, {"field": field} if field else None)


def not_found(what: str, object_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what} {object_id}")


def invalid_state(message: str) -> ApiError:
    return ApiError(409, "invalid_state", message)
