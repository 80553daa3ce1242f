"""Attempts: starting one on a checkout, and settling the checkout from an attempt's outcome.

Provider-neutral: the card, Pientegra and NexKasa flows all start attempts here and report what
the provider said through ``settle``. One checkout row lock covers both, so a double click, two
tabs, the return page and a webhook never make two attempts or two settlements.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus, ReviewFlag
from webapp.models.types import utcnow
from webapp.payments.methods import Method
from webapp.payments.status import Cause, lock, transition

A, C = AttemptStatus, CheckoutStatus
PAYABLE = frozenset({C.OPEN, C.PENDING})
SETTLED = frozenset({C.PAID, C.AUTHORIZED, C.PARTIALLY_REFUNDED, C.REFUNDED})
# A started attempt this recent is reused by a second click instead of starting another sale.
REUSE_WINDOW = timedelta(minutes=10)
# A started attempt with no answer from its provider yet: the request that is calling the provider
# is still running (its timeouts end it well within this), so a second click waits for it.
IN_FLIGHT_WINDOW = timedelta(seconds=30)
# Our own code for a provider that did not answer: not the customer's fault, not counted.
UNAVAILABLE = "provider_unavailable"


class NotPayable(Exception):
    """The checkout is paid, failed, expired or cancelled: show its status, not a form."""

    def __init__(self, checkout: Checkout) -> None:
        super().__init__(checkout.status)
        self.checkout = checkout


def lock_payable(checkout: Checkout) -> Checkout:
    """The checkout under its row lock, expired first if its time is up; NotPayable otherwise."""
    row = lock(Checkout, checkout.id)
    db.session.expire(row, ["attempts"])  # read them again, now under the lock
    if row.status in PAYABLE and row.expires_at <= utcnow():
        transition(row, C.EXPIRED, Cause.customer("expired"))
    if row.status not in PAYABLE:
        raise NotPayable(row)
    return row


def reusable_attempt(checkout: Checkout, method: Method) -> Attempt | None:
    """A started attempt of the same method from moments ago: the same click, or a second tab.

    One still waiting for its provider's answer (no redirect yet) counts only while that answer
    can still come: after ``IN_FLIGHT_WINDOW`` the request that was waiting for it is over."""
    now = utcnow()
    for attempt in reversed(checkout.attempts):
        if attempt.method != method or attempt.status != A.STARTED:
            continue
        window = REUSE_WINDOW if attempt.redirect_url is not None else IN_FLIGHT_WINDOW
        if attempt.created_at > now - window:
            return attempt
    return None


def next_order_id(checkout: Checkout) -> str:
    """The provider order id the checkout's next attempt will get.

    PaytrekJS is told it before the sale exists: its ``orderId`` is "Satış oluştururken
    kullanacağınız sipariş id bilgisi" (paytrek-api.txt, PaytrekJS)."""
    return _order_id(checkout, _next_number(checkout))


def new_attempt(checkout: Checkout, method: Method, customer_ip: str | None) -> Attempt:
    """Add the next attempt (the caller holds the checkout lock) and mark the checkout pending."""
    number = _next_number(checkout)
    attempt = Attempt(
        checkout_id=checkout.id,
        number=number,
        method=method,
        provider=method.provider,
        provider_order_id=_order_id(checkout, number),
        amount_minor=checkout.amount_minor,
        currency=checkout.currency,
        customer_ip=customer_ip,
    )
    db.session.add(attempt)
    db.session.flush()
    transition(checkout, C.PENDING, Cause.customer(attempt.provider_order_id))
    return attempt


def _next_number(checkout: Checkout) -> int:
    return max((attempt.number for attempt in checkout.attempts), default=0) + 1


def _order_id(checkout: Checkout, number: int) -> str:
    return f"{checkout.public_id}-{number}"


def settle(attempt: Attempt, outcome: AttemptStatus, cause: Cause, note: str | None = None) -> None:
    """Record an attempt's outcome and move its checkout accordingly, under the checkout lock.

    Only one attempt ever settles a checkout as paid: a success that arrives after another
    attempt was paid (or after the checkout expired) is recorded on the attempt and flagged to
    staff for a refund, never dropped and never applied.
    """
    checkout = lock(Checkout, attempt.checkout_id)
    if not transition(attempt, outcome, cause, note):
        return  # already recorded: the return page and the reconciler raced
    if outcome in (A.SUCCEEDED, A.AUTHORIZED):
        _settle_success(checkout, attempt, outcome, cause)
    elif checkout.status == C.PENDING and not _other_started(checkout, attempt):
        failed_for_good = (
            outcome == A.FAILED and _failed_attempts(checkout) >= checkout.merchant.attempt_limit
        )
        transition(checkout, C.FAILED if failed_for_good else C.OPEN, cause)


def flag(entity_type: str, entity_id: int, kind: str, detail: str) -> None:
    db.session.add(
        ReviewFlag(entity_type=entity_type, entity_id=entity_id, kind=kind, detail=detail)
    )


def _settle_success(checkout: Checkout, attempt: Attempt, outcome: AttemptStatus, cause) -> None:
    if checkout.status not in PAYABLE:
        flag(
            "checkout",
            checkout.id,
            "late_success",
            f"Attempt {attempt.provider_order_id} succeeded while the checkout was "
            f"{checkout.status}: refund it or decide by hand.",
        )
        return
    target = C.AUTHORIZED if outcome == A.AUTHORIZED else C.PAID
    checkout.method, checkout.provider = attempt.method, attempt.provider
    checkout.provider_reference = attempt.provider_reference
    transition(checkout, target, cause)


def _other_started(checkout: Checkout, attempt: Attempt) -> bool:
    statement = select(Attempt.id).where(
        Attempt.checkout_id == checkout.id, Attempt.id != attempt.id, Attempt.status == A.STARTED
    )
    return db.session.execute(statement).first() is not None


def _failed_attempts(checkout: Checkout) -> int:
    statement = select(func.count()).where(
        Attempt.checkout_id == checkout.id,
        Attempt.status == A.FAILED,
        func.coalesce(Attempt.error_code, "") != UNAVAILABLE,
    )
    return db.session.execute(statement).scalar_one()
