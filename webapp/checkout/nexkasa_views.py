"""Paying by bank transfer through NexKasa: the sender's name, then where to send the money.

``/pay/<id>/transfer/nexkasa`` asks the customer to confirm the sender's full name (prefilled
from the payer's first and last name), opens the deposit with ``nexkasa_deposits.start_deposit``
and then shows, on the same address, the bank account to transfer to with copy buttons. The
pending page asks ``.../status`` every few seconds (``static/js/transfer.js``) and moves on to
the result page once NexKasa's callback (or staff) decided; without JavaScript it refreshes.

Trust boundary: the browser only ever brings a name and clicks; what NexKasa decided comes from
its verified callback, never from this page.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.checkout.views import bp
from webapp.models import Checkout, CheckoutStatus
from webapp.payments import nexkasa_deposits as deposits
from webapp.payments.attempts import NotPayable
from webapp.payments.checkouts import find_by_public_id

R = deposits.Refusal


class SenderForm(FlaskForm):
    full_name = StringField(
        _l("Sender's full name"), validators=[DataRequired(), Length(min=3, max=255)]
    )


def _messages() -> dict[str, str]:
    return {
        R.INVALID: _("NexKasa cannot take this payment. Please choose another payment method."),
        R.UNAVAILABLE: _(
            "Bank transfer through NexKasa is unavailable right now. "
            "Please choose another payment method."
        ),
        R.NO_ACCOUNT: _(
            "NexKasa has no bank account for this amount right now. "
            "Please try another amount or another payment method."
        ),
        R.ALREADY_PENDING: _(
            "Another bank transfer of yours is still pending. Finish it or wait until it is "
            "decided, or choose another payment method."
        ),
        R.BUSY: _("NexKasa is busy. Please try again in a minute."),
        R.NOT_SENT: _(
            "NexKasa is not answering right now. "
            "Please try again shortly or choose another payment method."
        ),
    }


def _checkout(checkout_id: str) -> Checkout:
    checkout = find_by_public_id(checkout_id)
    if checkout is None:
        abort(404)
    return checkout


def _closed(checkout: Checkout) -> bool:
    return checkout.status not in (CheckoutStatus.OPEN, CheckoutStatus.PENDING)


@bp.route("/<checkout_id>/transfer/nexkasa", methods=["GET", "POST"])
def nexkasa_transfer(checkout_id: str):
    checkout = _checkout(checkout_id)
    if _closed(checkout):
        return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)
    if not deposits.offered(checkout):
        return redirect(url_for("checkout.show", checkout_id=checkout_id), 303)
    attempt = deposits.current_deposit(checkout)
    if attempt is not None:
        return render_template(
            "checkout/nexkasa_pending.html",
            checkout=checkout,
            attempt=attempt,
            bank=attempt.bank_details or {},
            state=_state(checkout),
        )
    form = SenderForm()
    if request.method == "GET":
        names = (checkout.customer_first_name, checkout.customer_last_name)
        form.full_name.data = " ".join(name for name in names if name)
    error = None
    if form.validate_on_submit():
        try:
            deposits.start_deposit(checkout, form.full_name.data.strip(), request.remote_addr)
        except NotPayable:
            return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)
        except deposits.DepositRefused as refused:
            if refused.field == "full_name":
                form.full_name.errors = [
                    _("Enter the full name of the bank account you will send the money from.")
                ]
            else:
                error = _messages()[refused.reason]
        else:
            return redirect(url_for("checkout.nexkasa_transfer", checkout_id=checkout_id), 303)
    return render_template(
        "checkout/nexkasa.html", checkout=checkout, form=form, error=error
    ), 400 if form.errors or error else 200


@bp.post("/<checkout_id>/transfer/nexkasa/check")
def nexkasa_check_again(checkout_id: str):
    """The customer asks us to find out whether NexKasa got a request that went unanswered."""
    checkout = _checkout(checkout_id)
    if not _closed(checkout) and deposits.offered(checkout):
        try:
            attempt = deposits.check_again(checkout)
        except deposits.DepositRefused as refused:
            flash(_messages()[refused.reason], "error")
        else:
            if attempt is not None and attempt.outcome_unknown:
                flash(_("We could not confirm it yet. Please check again in a minute."), "info")
    return redirect(url_for("checkout.nexkasa_transfer", checkout_id=checkout_id), 303)


@bp.get("/<checkout_id>/transfer/nexkasa/status")
def nexkasa_status(checkout_id: str):
    """What the pending page polls: ``state`` changes when the page should move on."""
    checkout = _checkout(checkout_id)
    state = _state(checkout)
    page = "checkout.result" if state == "decided" else "checkout.nexkasa_transfer"
    return jsonify(state=state, next=url_for(page, checkout_id=checkout_id))


def _state(checkout: Checkout) -> str:
    attempt = None if _closed(checkout) else deposits.current_deposit(checkout)
    if attempt is None:
        return "decided"
    return "unknown" if attempt.outcome_unknown else "pending"
