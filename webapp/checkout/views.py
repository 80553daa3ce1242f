"""Customer pages. Views are thin: they read the form, call one use case, render or redirect.

No page trusts the browser about a payment: the return page asks Paytrek (``card.confirm_return``)
and the result page shows what the database holds after that.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale

from webapp.checkout import customer_details
from webapp.checkout.declines import STILL_STARTING, customer_message
from webapp.checkout.forms import CardTokenForm
from webapp.extensions import csrf, db
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus
from webapp.models.types import utcnow
from webapp.payments import card, checkout_links, links
from webapp.payments.attempts import NotPayable, next_order_id
from webapp.payments.checkouts import find_by_public_id
from webapp.payments.methods import Method
from webapp.payments.status import Cause
from webapp.providers.errors import ProviderError
from webapp.security import allow_sources, cross_site_allowed
from webapp.urls import public_url

bp = Blueprint("checkout", __name__, url_prefix="/pay")

# Bank-transfer methods each have their own page (registered by their own module on ``bp``),
# reached from the checkout page once the payer's details are in.
TRANSFER_PAGES = {
    Method.PIENTEGRA_TRANSFER: "checkout.pientegra_transfer",
    Method.NEXKASA_TRANSFER: "checkout.nexkasa_transfer",
}


def _available(checkout: Checkout) -> list[Method]:
    """The merchant's methods that this site can run (a transfer page must be registered)."""
    methods = []
    for name in checkout.methods:
        method = Method(name)
        page = TRANSFER_PAGES.get(method)
        if page is None or page in current_app.view_functions:
            methods.append(method)
    return methods


def _checkout(checkout_id: str, *, locked: bool = False) -> Checkout:
    """The checkout or 404; ``locked`` for a POST that may start a payment, which takes the row
    lock anyway: one read instead of a plain one and then a locking one."""
    checkout = find_by_public_id(checkout_id, locked=locked)
    if checkout is None:
        abort(404)
    return checkout


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _return_url(checkout: Checkout) -> str:
    return public_url("checkout.provider_return", checkout_id=checkout.public_id)


def _is_unsettled_card(attempt: Attempt) -> bool:
    """Card attempts are confirmed by asking Paytrek; transfers wait for their webhooks."""
    return (
        attempt.provider == "paytrek"
        and attempt.status == AttemptStatus.STARTED
        and attempt.provider_reference is not None
    )


def _refresh_pending(checkout: Checkout) -> None:
    """Ask Paytrek about unsettled attempts, so a paid or declined one shows as such. A sale not
    yet paid stays started: the customer may still be paying in another tab."""
    if checkout.status != CheckoutStatus.PENDING:
        return
    for attempt in list(checkout.attempts):
        if _is_unsettled_card(attempt):
            card.refresh(attempt, Cause.customer(attempt.provider_order_id), customer_back=False)
    db.session.refresh(checkout)


@bp.get("/link")
def open_link():
    try:
        checkout = checkout_links.open_link(links.parse_query(request.query_string.decode()))
    except checkout_links.LinkExpired:
        return render_template("checkout/link_error.html", expired=True), 410
    except links.LinkError:
        return render_template("checkout/link_error.html", expired=False), 400
    return redirect(url_for("checkout.show", checkout_id=checkout.public_id), 303)


@bp.route("/<checkout_id>", methods=["GET", "POST"])
def show(checkout_id: str):
    checkout = _checkout(checkout_id, locked=request.method == "POST")
    if request.method == "GET":
        _refresh_pending(checkout)
    if checkout.status not in (CheckoutStatus.OPEN, CheckoutStatus.PENDING):
        return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)
    form = customer_details.form_for(checkout, _available(checkout))
    error = None
    if form.validate_on_submit():
        customer_details.save(checkout, form)
        method = Method(form.method.data)
        if method == Method.CARD_3DS:
            return redirect(url_for("checkout.card_form", checkout_id=checkout_id), 303)
        if method in TRANSFER_PAGES:
            return redirect(url_for(TRANSFER_PAGES[method], checkout_id=checkout_id), 303)
        try:
            target = card.start_hosted(
                checkout, customer_details.customer(checkout, _language()), _return_url(checkout)
            )
        except card.CardStartFailed as failed:
            error = customer_message(failed.attempt.error_code, failed.attempt.customer_message)
        except card.CardStartPending:
            error = STILL_STARTING
        except NotPayable:
            return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)
        else:
            return redirect(target, 303)
    allow_sources("form-action", _origin(current_app.config["PAYTREK_HOSTED_URL"]))
    return render_template(
        "checkout/show.html",
        checkout=checkout,
        form=form,
        error=error,
        given=customer_details.given(checkout),
        form_labels=customer_details.labels(),
    ), 400 if form.errors or error else 200


@bp.route("/<checkout_id>/card", methods=["GET", "POST"])
def card_form(checkout_id: str):
    """3-D Secure card form: PaytrekJS tokenises the card in the browser; we only see a token."""
    checkout = _checkout(checkout_id)
    if checkout.status not in (CheckoutStatus.OPEN, CheckoutStatus.PENDING):
        return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)
    if Method.CARD_3DS not in checkout.methods or not customer_details.complete(checkout):
        return redirect(url_for("checkout.show", checkout_id=checkout_id), 303)
    paytrek = _origin(current_app.config["PAYTREK_BASE_URL"])
    for directive in ("script-src", "connect-src", "frame-src", "form-action"):
        allow_sources(directive, paytrek)
    form = CardTokenForm()
    error = None
    if form.validate_on_submit():
        try:
            options = card.installment_options(form.card_token.data, checkout.amount)
        except ProviderError:
            options = ()
        choices = [(option.count, option) for option in options if option.count > 1]
        if choices and form.installment.data is None:
            return render_template(
                "checkout/installments.html", checkout=checkout, form=form, options=choices
            )
        try:
            target = card.start_3ds(
                checkout,
                customer_details.customer(checkout, _language()),
                _return_url(checkout),
                form.card_token.data,
                form.installment.data or 1,
            )
        except card.CardStartFailed as failed:
            error = customer_message(failed.attempt.error_code, failed.attempt.customer_message)
        except card.CardStartPending:
            error = STILL_STARTING
        except NotPayable:
            return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)
        else:
            return redirect(target, 303)
    return render_template(
        "checkout/card.html",
        checkout=checkout,
        form=form,
        error=error,
        paytrek_js=current_app.config["PAYTREK_BASE_URL"] + "/static/v2/js/paytrek.js",
        paytrek_sri=current_app.config["PAYTREK_JS_SRI"],
        order_id=next_order_id(checkout),
        current_year=utcnow().year,
    ), 400 if error else 200


@bp.route("/<checkout_id>/return", methods=["GET", "POST"])
@cross_site_allowed
@csrf.exempt
def provider_return(checkout_id: str):
    """Where Paytrek sends the customer back, possibly by a cross-site POST without our cookie:
    the checkout comes from the URL and the token, and Paytrek itself says what happened."""
    token = request.values.get("token", "")
    if not token or len(token) > 128:
        abort(400)
    try:
        card.confirm_return(checkout_id, token)
    except card.ForeignToken:
        return render_template("checkout/link_error.html", expired=False, foreign=True), 400
    except ProviderError:
        pass  # the result page shows "we are checking" and asks again
    return redirect(url_for("checkout.result", checkout_id=checkout_id), 303)


@bp.get("/<checkout_id>/result")
def result(checkout_id: str):
    checkout = _checkout(checkout_id)
    last = checkout.attempts[-1] if checkout.attempts else None
    if last is None and checkout.status == CheckoutStatus.OPEN:
        return redirect(url_for("checkout.show", checkout_id=checkout_id), 303)
    if checkout.status == CheckoutStatus.PENDING and last is not None and _is_unsettled_card(last):
        card.refresh(last, Cause.customer(last.provider_order_id), customer_back=False)
        db.session.refresh(checkout)
    return render_template(
        "checkout/result.html",
        checkout=checkout,
        last=last,
        merchant_url=_merchant_url(checkout),
        decline=_decline_message(last),
        opener_origins=checkout.merchant.allowed_return_origins,
    )


def _merchant_url(checkout: Checkout) -> str | None:
    """The merchant's success or cancel URL with a signed result it can verify."""
    settled = checkout.status in (
        CheckoutStatus.PAID,
        CheckoutStatus.AUTHORIZED,
        CheckoutStatus.PARTIALLY_REFUNDED,
    )
    target = checkout.success_url if settled else checkout.cancel_url
    if not target or checkout.status == CheckoutStatus.PENDING:
        return None
    params = {
        "checkout_id": checkout.public_id,
        "order_id": checkout.order_id,
        "status": checkout.status,
    }
    query = links.signed_query(params, checkout.merchant.link_secret, links.RESULT)
    return f"{target}{'&' if urlsplit(target).query else '?'}{query}"


def _decline_message(attempt: Attempt | None) -> str | None:
    if attempt is None or attempt.status != AttemptStatus.FAILED:
        return None
    return customer_message(attempt.error_code, attempt.customer_message)


def _language() -> str:
    return str(get_locale() or "tr")
