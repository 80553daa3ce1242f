"""Bank transfer through Pientegra: confirm, then a pending page that waits for the webhook.

``GET /pay/<id>/transfer/pientegra`` shows the confirmation (a CSRF-protected button) or, once a
deposit exists, the pending page: Pientegra's hosted deposit page (bank account, reference,
countdown) opens in a new window from the customer's click (``static/js/pientegra.js``), with a
plain link when a popup is blocked, and this tab follows the outcome by polling
``.../status`` (JSON, our database only: no provider call per poll). Without JavaScript the page
refreshes itself. The webhook decides; the result page is the cards' one.

Trust boundary: the checkout id in the URL is the customer's only credential, as for cards; the
browser is never believed about a payment, it only learns what the database holds.
"""

from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from webapp.checkout.views import bp
from webapp.extensions import client_address
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus
from webapp.payments import pientegra_deposits as deposits
from webapp.payments.attempts import NotPayable
from webapp.payments.checkouts import find_by_public_id

POLL_SECONDS = 3  # the pending page asks our status endpoint this often
NOSCRIPT_REFRESH_SECONDS = 10
UNAVAILABLE = _l(
    "The bank transfer service did not answer. Nothing was charged; please try again in a moment."
)
REFUSED = _l("Bank transfer is not available for this payment. Please choose another method.")


class StartTransferForm(FlaskForm):
    """Only the CSRF token: the amount and the customer come from the checkout."""


def _checkout(checkout_id: str) -> Checkout:
    checkout = find_by_public_id(checkout_id)
    if checkout is None:
        abort(404)
    return checkout


def _watched(checkout: Checkout) -> Attempt | None:
    """The Pientegra attempt a pending page watches: ``?attempt=<n>``, else the latest one."""
    number = request.args.get("attempt", type=int)
    for attempt in reversed(checkout.attempts):
        if attempt.method == deposits.METHOD and number in (None, attempt.number):
            return attempt
    return None


def _result(checkout: Checkout):
    return redirect(url_for("checkout.result", checkout_id=checkout.public_id), 303)


@bp.route("/<checkout_id>/transfer/pientegra", methods=["GET", "POST"])
def pientegra_transfer(checkout_id: str):
    checkout = _checkout(checkout_id)
    if checkout.status not in (CheckoutStatus.OPEN, CheckoutStatus.PENDING):
        return _result(checkout)
    if not deposits.offered(checkout):
        return redirect(url_for("checkout.show", checkout_id=checkout_id), 303)
    watched = _watched(checkout) if "attempt" in request.args else None
    if watched is not None and watched.status != AttemptStatus.STARTED:
        return _result(checkout)  # the no-script refresh of a pending page that has an answer
    form = StartTransferForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            attempt = deposits.start_deposit(checkout, client_address())
        except NotPayable:
            return _result(checkout)
        except deposits.DepositNotOffered:
            return redirect(url_for("checkout.show", checkout_id=checkout_id), 303)
        except deposits.DepositUnavailable:
            error, status = UNAVAILABLE, 503
        except deposits.DepositRefused:
            error, status = REFUSED, 400
        else:
            return redirect(_pending_url(checkout, attempt), 303)
    deposit = deposits.current_deposit(checkout) if error is None else None
    if deposit is not None:
        return render_template(
            "checkout/pientegra_pending.html",
            checkout=checkout,
            deposit=deposit,
            status_url=url_for(
                "checkout.pientegra_status", checkout_id=checkout_id, attempt=deposit.number
            ),
            refresh_url=_pending_url(checkout, deposit),
            poll_seconds=POLL_SECONDS,
            refresh_seconds=NOSCRIPT_REFRESH_SECONDS,
        )
    return render_template(
        "checkout/pientegra.html", checkout=checkout, form=form, error=error
    ), status


@bp.get("/<checkout_id>/transfer/pientegra/status")
def pientegra_status(checkout_id: str):
    """What the pending page polls: ``done`` once the deposit or the checkout has an answer."""
    checkout = _checkout(checkout_id)
    attempt = _watched(checkout)
    settled = checkout.status not in (CheckoutStatus.OPEN, CheckoutStatus.PENDING)
    done = settled or attempt is None or attempt.status != AttemptStatus.STARTED
    return jsonify(
        status=checkout.status,
        done=done,
        next=url_for("checkout.result", checkout_id=checkout_id),
    )


def _pending_url(checkout: Checkout, attempt: Attempt) -> str:
    return url_for(
        "checkout.pientegra_transfer", checkout_id=checkout.public_id, attempt=attempt.number
    )
