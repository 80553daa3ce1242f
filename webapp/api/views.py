"""Merchant API views: authenticate, validate, call one use case, answer JSON."""

from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, Response, g, request
from sqlalchemy import select

from webapp.api.responses import ApiError, authenticate_merchant, error_response, json_body
from webapp.api.serializers import checkout_json
from webapp.extensions import csrf, db
from webapp.models import Checkout
from webapp.payments import idempotency
from webapp.payments.checkouts import OrderExists, SpecError, create_checkout, parse_spec
from webapp.security import cross_site_allowed

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # Bearer-authenticated: no cookies, so no cross-site forgery to guard against
bp.before_request(authenticate_merchant)
bp.register_error_handler(ApiError, error_response)

MAX_KEY_LENGTH = 255


def _json(payload: dict, status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


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
            if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
                raise ApiError(400, "invalid_idempotency_key", "The Idempotency-Key is malformed.")
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


@bp.post("/checkouts")
@cross_site_allowed
@idempotent(required=False)
def create():
    try:
        checkout = create_checkout(g.merchant, parse_spec(json_body()))
    except SpecError as error:
        raise ApiError(422, error.code, error.message, error.field) from None
    except OrderExists as exists:
        raise ApiError(
            422,
            "order_exists",
            f"Checkout {exists.checkout.public_id} already exists for this order_id.",
            "order_id",
        ) from None
    db.session.commit()
    return _json(checkout_json(checkout), 201)


@bp.get("/checkouts/<checkout_id>")
def show(checkout_id: str):
    checkout = db.session.execute(
        select(Checkout).where(
            Checkout.public_id == checkout_id, Checkout.merchant_id == g.merchant.id
        )
    ).scalar_one_or_none()
    if checkout is None:
        raise ApiError(404, "not_found", "No such checkout.")
    return _json(checkout_json(checkout), 200)
