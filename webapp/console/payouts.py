"""Console payout pages: the list (filtered by status), one payout with its timeline, and the
staff actions the providers leave to people: resend, and settle by hand after checking the
provider's panel (NexKasa has no status lookup). Routes live on the console ``bp``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.console.views import PAGE_SIZE, bp
from webapp.extensions import db
from webapp.models import Payout, PayoutStatus, ReviewFlag
from webapp.payments.payout_sending import NotRetryable, retry_payout
from webapp.payments.payouts import find_payout_by_public_id, mask_iban, settle_payout
from webapp.payments.status import Cause, timeline

P = PayoutStatus
# What staff may decide by hand, and from where (the status machine has the last word).
SETTLE_TARGETS = (P.SENT, P.REJECTED, P.FAILED, P.RETURNED)


def payout_status_label(status: str) -> str:
    try:
        return PayoutStatus(status).label
    except ValueError:
        return status


@bp.get("/payouts")
def payouts():
    status = request.args.get("status", "")
    statement = select(Payout).order_by(Payout.id.desc()).limit(PAGE_SIZE)
    if status in set(PayoutStatus):
        statement = statement.where(Payout.status == status)
    return render_template(
        "console/payouts.html",
        payouts=db.session.execute(statement).scalars().all(),
        status=status,
        statuses=list(PayoutStatus),
        label=payout_status_label,
    )


@bp.get("/payouts/<payout_id>")
def payout_detail(payout_id: str):
    payout = _payout(payout_id)
    flags = db.session.execute(
        select(ReviewFlag)
        .where(ReviewFlag.entity_type == "payout", ReviewFlag.entity_id == payout.id)
        .order_by(ReviewFlag.id)
    ).scalars()
    return render_template(
        "console/payout.html",
        payout=payout,
        events=timeline(payout),
        flags=list(flags),
        masked_iban=mask_iban(payout.iban),
        label=payout_status_label,
        settle_targets=SETTLE_TARGETS,
    )


@bp.post("/payouts/<payout_id>/retry")
def payout_retry(payout_id: str):
    payout = _payout(payout_id)
    try:
        retry_payout(payout, _cause(), panel_checked=request.form.get("panel_checked") == "yes")
    except NotRetryable:
        flash(_("This payout cannot be sent again as it stands."), "error")
    else:
        flash(_("Sent again: the status below is the provider's answer."), "info")
    return redirect(url_for("console.payout_detail", payout_id=payout_id), 303)


@bp.post("/payouts/<payout_id>/settle")
def payout_settle(payout_id: str):
    payout = _payout(payout_id)
    target = request.form.get("target", "")
    if target not in SETTLE_TARGETS:
        abort(400)
    note = request.form.get("note", "").strip()[:300] or None
    if settle_payout(payout, PayoutStatus(target), _cause(), note):
        flash(_("The payout's status was changed."), "info")
    else:
        flash(_("That change is not allowed from the payout's current status."), "error")
    return redirect(url_for("console.payout_detail", payout_id=payout_id), 303)


def _payout(payout_id: str) -> Payout:
    payout = find_payout_by_public_id(payout_id)
    if payout is None:
        abort(404)
    return payout


def _cause() -> Cause:
    return Cause.staff(current_user.user.email)
