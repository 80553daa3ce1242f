"""The ``idempotent`` decorator: Idempotency-Key handling for every merchant API POST."""

from __future__ import annotations

from functools import wraps

from flask import Response, g, request

from webapp.api.responses import ApiError, error_response, json_body
from webapp.payments import idempotency

MAX_KEY_LENGTH = 255


def idempotent(required: bool):
    """Replay the first answer for a retried request carrying the same Idempotency-Key."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request.headers.get("Idempotency-Key")
            if key is None:
                if required:
                    raise ApiError(
                        400, "idempotency_key_required", "Send an Idempotency-Key header."
                    )
                return view(*args, **kwargs)
            if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
                rule = f"1 to {MAX_KEY_LENGTH} printable ASCII characters"
                raise ApiError(
                    400, "invalid_idempotency_key", f"The Idempotency-Key must be {rule}."
                )
            fingerprint = idempotency.request_fingerprint(request.method, request.path, json_body())
            try:
                claimed = idempotency.claim(g.merchant, key, fingerprint)
            except idempotency.KeyReused:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used for a different request.",
                ) from None
            except idempotency.KeyInFlight:
                raise ApiError(
                    409,
                    "idempotency_key_in_use",
                    "A request with this Idempotency-Key is still running; retry later.",
                ) from None
            if isinstance(claimed, idempotency.Replay):
                response = Response(claimed.body, claimed.status, mimetype="application/json")
                response.headers["Idempotent-Replayed"] = "true"
                return response
            try:
                response = view(*args, **kwargs)
            except ApiError as error:
                response = error_response(error)
            except Exception:
                idempotency.release(claimed)
                raise
            if response.status_code >= 500:
                idempotency.release(claimed)
            else:
                idempotency.complete(claimed, response.status_code, response.get_data())
            return response

        return wrapper

    return decorate
