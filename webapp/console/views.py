"""Console pages: payments with their timeline, and the staff actions on card payments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select

from webapp.console.forms import RefundForm
from webapp.extensions import db
from webapp.models import Checkout, CheckoutStatus, ReviewFlag
from webapp.money import Money, MoneyError
from webapp.payments import card_operations as ops
from webapp.payments.checkouts import find_by_public_id
from webapp.payments.status import timeline
from webapp.providers.errors import ProviderError, ProviderUnavailable

bp = Blueprint("console", __name__, url_prefix="/console")
PAGE_SIZE = 50


@bp.before_request
@login_required
def _require_staff() -> None:
    """Every console page needs a live staff session; the login view lives in ``webapp.auth``."""


def _staff_email() -> str:
    return current_user.user.email


@bp.get("/")
def index():
    open_flags = (
        db.session.execute(
            select(ReviewFlag)
            .where(ReviewFlag.resolved_at.is_(None))
            .order_by(ReviewFlag.id.desc())
        )
        .scalars()
        .all()
    )
    return render_template("console/index.html", flags=open_flags)


@bp.get("/checkouts")
def checkouts():
    status = request.args.get("status", "")
    statement = select(Checkout).order_by(Checkout.id.desc()).limit(PAGE_SIZE)
    if status in set(CheckoutStatus):
        statement = statement.where(Checkout.status == status)
    rows = db.session.execute(statement).scalars().all()
    return render_template(
        "console/checkouts.html", checkouts=rows, status=status, statuses=list(CheckoutStatus)
    )


def _checkout(checkout_id: str) -> Checkout:
    checkout = find_by_public_id(checkout_id)
    if checkout is None:
        abort(404)
    return checkout


@bp.get("/checkouts/<checkout_id>")
def checkout_detail(checkout_id: str):
    checkout = _checkout(checkout_id)
    attempt_ids = [attempt.id for attempt in checkout.attempts]
    about_this = or_(
        and_(ReviewFlag.entity_type == "checkout", ReviewFlag.entity_id == checkout.id),
        and_(ReviewFlag.entity_type == "attempt", ReviewFlag.entity_id.in_(attempt_ids)),
    )
    flags = db.session.execute(select(ReviewFlag).where(about_this)).scalars().all()
    return render_template(
        "console/checkout.html",
        checkout=checkout,
        events=timeline(checkout),
        attempt=ops.settled_attempt(checkout),
        flags=flags,
        refund_form=RefundForm(),
    )


@bp.post("/checkouts/<checkout_id>/<action>")
def checkout_action(checkout_id: str, action: str):
    checkout = _checkout(checkout_id)
    try:
        if action == "capture":
            ops.capture(checkout, _staff_email())
            flash(_("The payment was captured."), "info")
        elif action == "cancel":
            ops.cancel(checkout, _staff_email())
            flash(_("The payment was cancelled."), "info")
        elif action == "refund":
            form = RefundForm()
            if not form.validate_on_submit():
                flash(_("Enter an amount such as 150.00."), "error")
            else:
                amount = Money.parse_typed(form.amount.data, checkout.currency)
                ops.refund(checkout, amount, _staff_email())
                flash(_("The refund was made."), "info")
        elif action == "reread":
            ops.reread(checkout, _staff_email())
            flash(_("The sale was read again from Paytrek."), "info")
        else:
            abort(404)
    except ops.OutcomeUnknown:
        flash(
            _(
                "Paytrek did not answer, so we do not know whether it happened. "
                "Read the sale again before doing anything else."
            ),
            "error",
        )
    except ops.ProviderRefused as refused:
        flash(_("Paytrek refused: %(message)s", message=str(refused)), "error")
    except ops.OperationRefused as refused:
        flash(str(refused), "error")
    except MoneyError:
        flash(_("Enter an amount such as 150.00."), "error")
    except ProviderUnavailable:  # reading the sale again: nothing was changed
        flash(_("Paytrek did not answer. Nothing was changed; try again in a moment."), "error")
    except ProviderError as error:
        flash(
            _("Paytrek answered: %(message)s", message=error.merchant_message or error.code),
            "error",
        )
    return redirect(url_for("console.checkout_detail", checkout_id=checkout_id), 303)
