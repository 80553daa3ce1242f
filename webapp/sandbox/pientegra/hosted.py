"""Pientegra's hosted deposit page, the ``depositUrl`` of a deposit intent (§2.3, deposit-page).

``GET /pientegra/d/<token>`` shows what the document lists: the amount, the account holder, the
IBAN, the reference to write on the transfer (``referenceNo``), the time left until
``expiresAt`` (server-rendered minutes, no script) and a button "Ödemeyi yaptım" (I have made
the payment) that moves a RESERVED intent to PENDING_REVIEW. An expired or decided intent shows
its outcome instead. There is no return URL: the document has none.

Mounted inside the API blueprint, so below ``/pientegra``, but a blueprint of its own: the
sandbox's fault rules simulate the External API and leave this page alone.

Trust boundary: the opaque token in the URL is the customer's only credential, as a payment
link's is; pressing the button twice, or from a forged form, only repeats the same claim.
"""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from ..services import current
from . import intents, wire

bp = Blueprint("pientegra_hosted", __name__)

# The sandbox's receiving account (a valid Turkish IBAN that belongs to nobody).
ACCOUNT_HOLDER = "Pientegra Sandbox Ödeme Hizmetleri A.Ş."
ACCOUNT_IBAN = "TR710006701234567890123456"


@bp.get("/d/<token>")
def deposit_page(token: str) -> ResponseReturnValue:
    intents.expire_due()
    intent = intents.by_page_token(token)
    if intent is None:
        return render_template("sandbox/pientegra/deposit.html", intent=None), 404
    seconds_left = (intent["expiresAt"] - current().clock.now()).total_seconds()
    return render_template(
        "sandbox/pientegra/deposit.html",
        intent=intent,
        amount=wire.lira(intent["amount"]),
        holder=ACCOUNT_HOLDER,
        iban=ACCOUNT_IBAN,
        minutes_left=max(0, math.ceil(seconds_left / 60)),
    )


@bp.post("/d/<token>")
def payment_made(token: str) -> ResponseReturnValue:
    intents.expire_due()
    intent = intents.by_page_token(token)
    if intent is not None and intent["status"] == intents.RESERVED:
        intents.customer_confirmed(intent["id"])
    return redirect(url_for(".deposit_page", token=token), code=303)
