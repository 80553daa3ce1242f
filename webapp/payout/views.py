"""Customer payout pages. Views are thin: verify the link, call one use case, render or redirect.

``/payout/link?...`` is a merchant-signed link (``webapp.payments.payout_links``): a tampered or
foreign link gets an error page (400), an expired one 410, and a link that already made its
payout goes to that payout's status page, so a replayed link sends nothing twice.
``/payout/<id>`` shows the payout's status (the id is unguessable; the IBAN is shown masked).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from webapp.models import PayoutStatus
from webapp.payments import links, payout_links
from webapp.payments.checkouts import SpecError
from webapp.payments.payout_sending import NEXKASA_QUEUED
from webapp.payments.payouts import find_payout_by_public_id, mask_iban
from webapp.payout.forms import (
    FIELD_MESSAGES,
    GENERIC_MESSAGE,
    REQUIRED_MESSAGES,
    PayoutRequestForm,
)

bp = Blueprint("payout", __name__, url_prefix="/payout")

WAITING = (PayoutStatus.REQUESTED, PayoutStatus.PENDING)


@bp.route("/link", methods=["GET", "POST"])
def open_link():
    try:
        link = payout_links.open_payout_link(links.parse_query(request.query_string.decode()))
    except links.LinkError:
        return _link_error(expired=False)
    existing = payout_links.payout_of(link)
    if existing is not None:
        return redirect(url_for("payout.status", payout_id=existing.public_id), 303)
    if link.expired:
        return _link_error(expired=True)
    form = PayoutRequestForm()
    if form.validate_on_submit():
        try:
            payout = payout_links.submit(
                link, form.iban.data or "", form.holder_name.data or "", form.amount.data or ""
            )
        except payout_links.FieldErrors as failed:
            _show(form, failed.errors)
        except payout_links.LinkExpired:
            return _link_error(expired=True)
        except links.LinkError:
            return _link_error(expired=False)
        else:
            return redirect(url_for("payout.status", payout_id=payout.public_id), 303)
    status = 400 if form.errors else 200
    return render_template("payout/request.html", form=form, link=link), status


@bp.get("/<payout_id>")
def status(payout_id: str):
    payout = find_payout_by_public_id(payout_id)
    if payout is None:
        abort(404)
    return render_template(
        "payout/status.html",
        payout=payout,
        masked_iban=mask_iban(payout.iban),
        waiting=payout.status in WAITING,
        in_queue=payout.status == PayoutStatus.PENDING and payout.provider_status == NEXKASA_QUEUED,
    )


def _link_error(*, expired: bool):
    return render_template("payout/link_error.html", expired=expired), 410 if expired else 400


def _show(form: PayoutRequestForm, errors: dict[str, SpecError]) -> None:
    for name, error in errors.items():
        if error.code == "required":
            message = REQUIRED_MESSAGES.get(name, GENERIC_MESSAGE)
        else:
            message = FIELD_MESSAGES.get(error.code, GENERIC_MESSAGE)
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)
