"""Staff operations on card payments: capture, cancel, refund, and reading the sale again.

Paytrek's capture, cancel and refund take no idempotency key (paytrek-api.txt), so none is ever
resent automatically. When one times out or gets a 5xx, its outcome is unknown: it is recorded
as such, and no further operation is allowed on that sale until ``reread`` has asked Paytrek
for the sale's status and refunded amount.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from webapp.extensions import db
from webapp.i18n import format_money
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus, Refund
from webapp.money import Money
from webapp.payments import clients
from webapp.payments.status import Cause, lock, transition
from webapp.payments.transactions import release_before_call
from webapp.providers.errors import ProviderError, ProviderUnavailable
from webapp.providers.paytrek import Sale

A, C = AttemptStatus, CheckoutStatus
# A voided sale. The document's one word for it is REJECTED: "Eğer bir satış fraud kararı sonucu
# REVIEW da ise ve bu satış iptal edilirse satışa ait REJECTED a çevrilir" (paytrek-api.txt Cancel).
VOIDED_STATUSES = frozenset({"REJECTED", "Cancelled", "Voided"})


class OperationRefused(Exception):
    """Not allowed now; the message is for staff."""


class ProviderRefused(OperationRefused):
    """Paytrek refused the operation; the message is Paytrek's own (English) words."""


class OutcomeUnknown(Exception):
    """The provider did not answer; read the sale again before doing anything else."""


def settled_attempt(checkout: Checkout) -> Attempt | None:
    """The card attempt that paid or authorised this checkout."""
    statement = (
        select(Attempt)
        .where(
            Attempt.checkout_id == checkout.id,
            Attempt.provider == "paytrek",
            Attempt.status.in_((A.SUCCEEDED, A.AUTHORIZED)),
        )
        .order_by(Attempt.number)
    )
    return db.session.execute(statement).scalars().first()


def capture(checkout: Checkout, staff_email: str) -> None:
    attempt, checkout = _ready(checkout, {C.AUTHORIZED})
    sale = _call(
        attempt,
        "capture",
        attempt.amount,
        staff_email,
        lambda client: client.capture(attempt.provider_reference, comments=staff_email),
    )
    transition(attempt, A.SUCCEEDED, Cause.staff(staff_email))
    transition(checkout, C.PAID, Cause.staff(staff_email), note="captured")
    _record_sale(attempt, sale)
    db.session.commit()


def cancel(checkout: Checkout, staff_email: str) -> None:
    """Void an authorisation, or cancel a paid sale in full (Paytrek refunds it whole)."""
    attempt, checkout = _ready(checkout, {C.AUTHORIZED, C.PAID})
    remaining = attempt.amount - Money.from_minor(attempt.refunded_minor, attempt.currency)
    sale = _call(
        attempt,
        "cancel",
        remaining,
        staff_email,
        lambda client: client.cancel(attempt.provider_reference, comments=staff_email),
    )
    if checkout.status == C.AUTHORIZED:
        transition(checkout, C.CANCELLED, Cause.staff(staff_email), note="authorisation voided")
    else:
        attempt.refunded_minor = attempt.amount_minor
        transition(checkout, C.REFUNDED, Cause.staff(staff_email), note="cancelled in full")
    _record_sale(attempt, sale)
    db.session.commit()


def refund(checkout: Checkout, amount: Money, staff_email: str) -> None:
    attempt, checkout = _ready(checkout, {C.PAID, C.PARTIALLY_REFUNDED})
    remaining = attempt.amount - Money.from_minor(attempt.refunded_minor, attempt.currency)
    if amount.currency != attempt.currency or not amount.is_positive:
        raise OperationRefused(_("The refund amount must be positive and in the sale's currency."))
    if amount > remaining:
        raise OperationRefused(
            _("At most %(amount)s can be refunded.", amount=format_money(remaining))
        )
    partial = amount != attempt.amount
    sale = _call(
        attempt,
        "refund",
        amount,
        staff_email,
        lambda client: client.refund(
            attempt.provider_reference, amount if partial else None, comments=staff_email
        ),
    )
    attempt.refunded_minor += amount.minor
    full = attempt.refunded_minor >= attempt.amount_minor
    target = C.REFUNDED if full else C.PARTIALLY_REFUNDED
    transition(checkout, target, Cause.staff(staff_email), note=f"refund {amount.amount}")
    _record_sale(attempt, sale)
    db.session.commit()


def reread(checkout: Checkout, staff_email: str) -> None:
    """Ask Paytrek for the sale and bring our record in line (after an unknown outcome)."""
    attempt = settled_attempt(checkout)
    if attempt is None:
        raise OperationRefused(_("This checkout has no card payment to read."))
    token = attempt.provider_reference
    release_before_call()
    sale = clients.paytrek().get_sale(token)
    attempt = lock(Attempt, attempt.id)
    checkout = lock(Checkout, checkout.id)
    cause = Cause.staff(staff_email)
    refunded = sale.refunded_amount.minor
    for pending in [r for r in attempt.refunds if r.status == "unknown"]:
        done = _unknown_operation_happened(pending, sale, refunded, attempt)
        pending.status = "succeeded" if done else "failed"
    attempt.refunded_minor = refunded
    attempt.provider_status = sale.status
    attempt.outcome_unknown = False
    if checkout.status == C.AUTHORIZED and sale.status in ("Paid", "Ready to Send"):
        transition(attempt, A.SUCCEEDED, cause)
        transition(checkout, C.PAID, cause, note="captured (read again)")
    if refunded >= attempt.amount_minor and checkout.status in (C.PAID, C.PARTIALLY_REFUNDED):
        transition(checkout, C.REFUNDED, cause, note="refunded (read again)")
    elif refunded > 0 and checkout.status == C.PAID:
        transition(checkout, C.PARTIALLY_REFUNDED, cause, note="refunded (read again)")
    elif checkout.status == C.AUTHORIZED and sale.status in VOIDED_STATUSES:
        transition(checkout, C.CANCELLED, cause, note="voided (read again)")
    db.session.commit()


def _ready(checkout: Checkout, statuses: set[CheckoutStatus]) -> tuple[Attempt, Checkout]:
    checkout = lock(Checkout, checkout.id)
    attempt = settled_attempt(checkout)
    if attempt is None or checkout.status not in statuses:
        raise OperationRefused(
            _(
                "Not possible while the payment is %(status)s.",
                status=CheckoutStatus(checkout.status).label,
            )
        )
    attempt = lock(Attempt, attempt.id)
    if attempt.outcome_unknown:
        raise OperationRefused(_("An earlier operation's outcome is unknown: read the sale first."))
    return attempt, checkout


def _call(attempt: Attempt, kind: str, amount: Money, staff_email: str, operation) -> Sale | None:
    record = Refund(
        attempt_id=attempt.id,
        kind=kind,
        amount_minor=amount.minor,
        currency=amount.currency,
        status="succeeded",
        staff_email=staff_email,
    )
    db.session.add(record)
    try:
        return operation(clients.paytrek())
    except ProviderUnavailable as error:
        record.status, record.message = "unknown", str(error)[:300]
        attempt.outcome_unknown = True
        db.session.commit()
        raise OutcomeUnknown(str(error)) from None
    except ProviderError as error:
        record.status, record.error_code = "failed", error.code
        record.message = (error.merchant_message or str(error))[:300]
        db.session.commit()
        raise ProviderRefused(record.message) from None


def _record_sale(attempt: Attempt, sale: Sale | None) -> None:
    if sale is not None:
        attempt.provider_status = sale.status


def _unknown_operation_happened(pending: Refund, sale: Sale, refunded: int, attempt) -> bool:
    if pending.kind == "capture":
        return sale.status in ("Paid", "Ready to Send")
    return refunded > attempt.refunded_minor
