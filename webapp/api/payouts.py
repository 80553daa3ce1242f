"""Merchant payout API: ``POST /api/v1/payouts`` (Idempotency-Key required) and ``GET`` one.

Trust boundary: the merchant is authenticated by ``views.bp``'s Bearer check; the body is
validated by ``webapp.payments.payouts``. A payout is sent to its provider at once; whatever the
provider answered is in the returned status (``requested`` with ``outcome_unknown`` means we
will resend with the same Idempotency-Key, never a second withdrawal).
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import Response, g

from webapp.api.idempotent import idempotent
from webapp.api.responses import ApiError, json_body
from webapp.api.views import bp
from webapp.models import Payout
from webapp.money import Money
from webapp.payments.checkouts import SpecError
from webapp.payments.payouts import (
    ReferenceExists,
    find_payout_by_public_id,
    mask_iban,
    parse_payout_spec,
    request_payout,
)
from webapp.payments.status import Cause
from webapp.security import cross_site_allowed


@bp.post("/payouts")
@cross_site_allowed
@idempotent(required=True)
def create_payout():
    try:
        spec = parse_payout_spec(json_body())
        payout = request_payout(g.merchant, spec, Cause.merchant_api(g.merchant.public_id))
    except SpecError as error:
        raise ApiError(422, error.code, error.message, error.field) from None
    except ReferenceExists as exists:
        raise ApiError(
            422,
            "reference_exists",
            f"Payout {exists.payout.public_id} already exists for this reference.",
            "reference",
        ) from None
    return _json(payout_json(payout), 201)


@bp.get("/payouts/<payout_id>")
def show_payout(payout_id: str):
    payout = find_payout_by_public_id(payout_id)
    if payout is None or payout.merchant_id != g.merchant.id:
        raise ApiError(404, "not_found", "No such payout.")
    return _json(payout_json(payout), 200)


def payout_json(payout: Payout) -> dict:
    return {
        "id": payout.public_id,
        "object": "payout",
        "status": payout.status,
        "amount": str(Money.from_minor(payout.amount_minor, payout.currency).amount),
        "currency": payout.currency,
        "reference": payout.reference,
        "customer_id": payout.customer_ref,
        "provider": payout.provider,
        "provider_reference": payout.provider_reference,
        "provider_status": payout.provider_status,
        "reference_no": payout.reference_no,
        "iban": mask_iban(payout.iban),
        "holder_name": payout.holder_name,
        "outcome_unknown": payout.outcome_unknown,
        "error": (
            {"code": payout.error_code, "message": payout.error_message}
            if payout.error_code
            else None
        ),
        "created_at": _time(payout.created_at),
        "updated_at": _time(payout.updated_at),
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _json(payload: dict, status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")
