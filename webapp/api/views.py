"""Merchant API views: authenticate, validate, call one use case, answer JSON."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g
from sqlalchemy import select

from webapp.api.idempotent import idempotent
from webapp.api.responses import ApiError, authenticate_merchant, error_response, json_body
from webapp.api.serializers import checkout_json
from webapp.extensions import csrf, db
from webapp.models import Checkout
from webapp.payments.checkouts import OrderExists, SpecError, create_checkout, parse_spec
from webapp.security import cross_site_allowed

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # Bearer-authenticated: no cookies, so no cross-site forgery to guard against
bp.before_request(authenticate_merchant)
bp.register_error_handler(ApiError, error_response)


def _json(payload: dict, status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


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
