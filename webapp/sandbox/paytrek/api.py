"""Paytrek's merchant API (paytrek-api.txt "Referans", public-notes §4.2), below ``/paytrek``.

``/api/v2/sale/`` (POST 201, GET list), ``/api/v2/sale/<sale_token>/`` (GET), ``/api/v2/charge/``,
``/api/v2/direct_charge/``, ``/api/v2/charge_with_token/``, ``/api/v2/capture/``,
``/api/v2/cancel/``, ``/api/v2/refund/`` (POST 200) and ``/api/v2/installments/`` (GET).
Each passes the gate in ``blueprint``; ``sales`` holds the rules.

A charge the bank declines is still a processed request: 200 with ``succeeded: false`` and the
code, like the document's ``succeeded``/``error_message`` fields; 4xx is for requests refused
before any card is processed. With 3-D (the sale's ``secure_option``) the answer carries
``forward_url``, the sandbox's 3-D page, and nothing is charged until the customer passes it.

Trust boundary: merchant input behind Basic auth; card numbers are read, never kept.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue

from ..store import Record
from . import installments, representations, sales, validation
from .blueprint import bp, merchant_call, merchant_input
from .vault import card_from_fields, get_entry, store_card
from .wire import json_response, money_number, money_text, sys_time

_CARD_ONLY = ("number", "expiration", "cvc", "card_holder_name", "save_card")


@bp.route("/api/v2/sale/", methods=["GET", "POST"])
def sale_collection() -> ResponseReturnValue:
    if request.method == "POST":
        record = sales.create(merchant_input(validation.SALE_FIELDS))
        return json_response(representations.sale(record), 201)
    merchant_call()
    results = [representations.sale(record) for record in sales.all_sales()]
    return json_response(
        {"count": len(results), "next": None, "previous": None, "results": results}
    )


@bp.get("/api/v2/sale/<sale_token>/")
def sale_detail(sale_token: str) -> ResponseReturnValue:
    merchant_call()
    return json_response(representations.sale(sales.get(sale_token)))


def _charged(sale_token: str, card: Record, save_card: bool) -> tuple[Record, dict[str, Any]]:
    """Charge as the sale says; ``(sale, charge answer)`` with a card_token when one was saved."""
    record, session = sales.charge(sale_token, card)
    forward_url = url_for(".three_d_page", session_id=session, _external=True) if session else None
    answer = representations.charge(record, card, forward_url)
    if save_card and (session or answer["succeeded"]):
        answer["card_token"] = store_card(card)["card_token"]
    return record, answer


@bp.post("/api/v2/charge/")
def charge() -> ResponseReturnValue:
    fields = merchant_input(validation.CHARGE_FIELDS)
    _, answer = _charged(fields["sale_token"], card_from_fields(fields), fields["save_card"])
    return json_response(answer)


@bp.post("/api/v2/direct_charge/")
def direct_charge() -> ResponseReturnValue:
    """A sale and its charge in one call; the answer is the sale object plus the charge fields."""
    fields = merchant_input(validation.DIRECT_CHARGE_FIELDS)
    sale_fields = {name: value for name, value in fields.items() if name not in _CARD_ONLY}
    created = sales.create({**sale_fields, "hosted_payment": False})
    card = card_from_fields(fields)
    record, answer = _charged(created["sale_token"], card, fields["save_card"])
    return json_response({**representations.sale(record), **answer})


@bp.post("/api/v2/charge_with_token/")
def charge_with_token() -> ResponseReturnValue:
    fields = merchant_input(validation.CHARGE_WITH_TOKEN_FIELDS)
    card = get_entry(fields["card_token"])["card"]
    _, answer = _charged(fields["sale_token"], card, save_card=False)
    return json_response(answer)


@bp.post("/api/v2/capture/")
def capture() -> ResponseReturnValue:
    record = sales.capture(merchant_input(validation.SALE_ACTION_FIELDS)["sale_token"])
    return json_response(
        {
            "sale_token": record["sale_token"],
            "amount": money_text(record["amount"]),
            "sale_amount": money_text(record["amount"]),
            "sale_id": record["id"],
            "succeeded": True,
        }
    )


@bp.post("/api/v2/cancel/")
def cancel() -> ResponseReturnValue:
    record, amount = sales.cancel(merchant_input(validation.SALE_ACTION_FIELDS)["sale_token"])
    return json_response(
        {
            "sale_token": record["sale_token"],
            "amount": money_number(amount),
            "sale_amount": money_number(record["amount"]),
            "succeeded": True,
        }
    )


@bp.post("/api/v2/refund/")
def refund() -> ResponseReturnValue:
    """The fuller of the document's two refund examples (the one under "Response Headers")."""
    fields = merchant_input(validation.REFUND_FIELDS)
    record, amount = sales.refund(fields["sale_token"], fields["amount"])
    return json_response(
        {
            "total_refunded_amount": money_number(record["refunded_amount"]),
            "succeeded": True,
            "sale_token": record["sale_token"],
            "sale_amount": money_number(record["amount"]),
            "sale_id": record["id"],
            "amount": money_number(amount),
        }
    )


@bp.get("/api/v2/installments/")
def installment_options() -> ResponseReturnValue:
    merchant_call()
    query = validation.validated(request.args.to_dict(), validation.INSTALLMENTS_FIELDS)
    return json_response(
        {
            "sys_time": sys_time(sales.now()),
            "language_code": "en-us",
            "bin_number": query["bin_number"],
            "amount": money_text(query["amount"]),
            "banks": installments.options(query["bin_number"], query["amount"]),
        }
    )
