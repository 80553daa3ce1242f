"""Bank-transfer deposits through Pientegra: start one, and apply what Pientegra says about it.

A deposit is an attempt whose provider object is a Pientegra intent. Its Idempotency-Key (a UUID
v4, never derived from our ids) and a hash of the body are stored and committed *before* the first
``POST /external/deposits``, so a retry after a timeout or a crash sends the same key with the
same body and gets the same intent back (public-notes §2.2). Pientegra's hosted page has no return
URL: the signed webhook (``pientegra_webhooks``) and the status lookup (``pientegra_reconcile``)
decide, both through ``apply_intent``.

Trust boundary: callers pass intents that came from a verified webhook or from our own
authenticated lookup; amounts are still compared with what we asked for, and an intent whose
money is not exactly the checkout's never marks it paid.

Columns used on the attempt: ``provider_reference`` = intentId, ``provider_transaction_id`` =
referenceNo, ``redirect_url`` = depositUrl, ``requested_minor`` = requestedAmount, ``expires_at``
= expiresAt, ``credited_minor`` = the approved ``amount``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus, ReviewFlag
from webapp.models.types import utcnow
from webapp.money import MoneyError
from webapp.payments import clients
from webapp.payments.attempts import (
    PAYABLE,
    UNAVAILABLE,
    NotPayable,
    flag,
    lock_payable,
    new_attempt,
    settle,
)
from webapp.payments.methods import TRANSFER_CURRENCY, Method
from webapp.payments.status import Cause, annotate, can_transition, lock, transition
from webapp.payments.transactions import release_before_call
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from webapp.providers.pientegra import (
    DepositRequest,
    IdempotencyConflict,
    IdempotencyInFlight,
    Intent,
)
from webapp.providers.pientegra_wire import deposit_to_wire, request_hash

log = logging.getLogger(__name__)
A, C = AttemptStatus, CheckoutStatus
PROVIDER = "pientegra"
METHOD = Method.PIENTEGRA_TRANSFER
LABEL_MAX = 128  # externalUserLabel, §2.3

# Intent statuses (§2.5) and what each means for the attempt.
APPROVED, REJECTED = "APPROVED", "REJECTED"
AUTO_CANCELLED, LATE_ARRIVAL = "AUTO_CANCELLED", "LATE_ARRIVAL"


class DepositNotOffered(Exception):
    """This checkout does not offer Pientegra (method, currency or customer id missing)."""


class DepositUnavailable(Exception):
    """Pientegra did not answer, or is still creating the deposit: try again with the same key."""


class DepositRefused(Exception):
    """Pientegra refused the deposit (or cannot take this amount); the attempt is failed."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(attempt.error_code)
        self.attempt = attempt


@dataclass(frozen=True)
class Applied:
    """What an intent did to our records: ``changed`` is False for a repeat or an ignored event."""

    changed: bool
    outcome: str


def offered(checkout: Checkout) -> bool:
    return (
        METHOD in checkout.methods
        and checkout.currency == TRANSFER_CURRENCY
        and bool(checkout.customer_ref)
    )


def current_deposit(checkout: Checkout) -> Attempt | None:
    """The checkout's Pientegra deposit the customer can still pay into, if there is one."""
    for attempt in reversed(checkout.attempts):
        if (
            attempt.method == METHOD
            and attempt.status == A.STARTED
            and attempt.redirect_url
            and (attempt.expires_at is None or attempt.expires_at > utcnow())
        ):
            return attempt
    return None


def find_attempt(intent_id: str) -> Attempt | None:
    statement = select(Attempt).where(
        Attempt.provider == PROVIDER, Attempt.provider_reference == intent_id
    )
    return db.session.execute(statement).scalar_one_or_none()


def start_deposit(checkout: Checkout, customer_ip: str | None) -> Attempt:
    """A Pientegra deposit for the checkout, with its depositUrl; reuses an open one.

    Raises ``NotPayable``, ``DepositNotOffered``, ``DepositUnavailable`` (nothing lost: the next
    try resends the stored key and body) or ``DepositRefused``.
    """
    try:
        row = lock_payable(checkout)
    except NotPayable:
        db.session.commit()  # keep the expiry lock_payable may have just recorded
        raise
    if not offered(row):
        db.session.rollback()
        raise DepositNotOffered
    open_deposit = current_deposit(row)
    if open_deposit is not None:
        db.session.commit()
        return open_deposit
    attempt = _unconfirmed(row) or _new_deposit(row, customer_ip)
    db.session.commit()  # key and body hash are stored before anything is sent
    return _create(attempt)


def _unconfirmed(checkout: Checkout) -> Attempt | None:
    """A deposit whose POST we sent but never heard back from: it is retried, not duplicated."""
    for attempt in reversed(checkout.attempts):
        if (
            attempt.method == METHOD
            and attempt.status == A.STARTED
            and attempt.idempotency_key
            and not attempt.provider_reference
        ):
            if attempt.request_hash == request_hash(deposit_to_wire(_request(attempt))):
                return attempt
            # The body would differ (the merchant was renamed): the customer never saw that
            # deposit's page, so nobody can pay into it; leave it and start afresh.
            settle(attempt, A.ABANDONED, Cause.customer(attempt.provider_order_id))
    return None


def _new_deposit(checkout: Checkout, customer_ip: str | None) -> Attempt:
    attempt = new_attempt(checkout, METHOD, customer_ip)
    try:
        body = deposit_to_wire(_request(attempt))
    except (MoneyError, ValueError) as error:  # e.g. below Pientegra's range: nothing to send
        raise _refused(attempt, error) from None
    attempt.idempotency_key = str(uuid.uuid4())
    attempt.request_hash = request_hash(body)
    return attempt


def _create(attempt: Attempt) -> Attempt:
    request, key, attempt_id = _request(attempt), attempt.idempotency_key, attempt.id
    release_before_call()
    try:
        deposit = clients.pientegra().create_deposit(request, key)
    except (ProviderUnavailable, ProviderRateLimited, IdempotencyInFlight) as error:
        attempt = lock(Attempt, attempt_id)
        log.warning("pientegra deposit %s not confirmed: %s", attempt.provider_order_id, error)
        attempt.outcome_unknown = True
        attempt.merchant_message = str(error)[:300]
        db.session.commit()
        raise DepositUnavailable from None
    except ProviderError as error:
        raise _refused(lock(Attempt, attempt_id), error) from None
    attempt = lock(Attempt, attempt_id)
    attempt.provider_reference = deposit.intent_id
    attempt.provider_transaction_id = deposit.reference_no[:64]
    attempt.redirect_url = deposit.deposit_url
    attempt.requested_minor = deposit.requested_amount.minor
    attempt.expires_at = deposit.expires_at
    attempt.provider_status = "RESERVED"
    attempt.outcome_unknown = False
    attempt.merchant_message = None
    db.session.commit()
    return attempt


def _refused(attempt: Attempt, error: Exception) -> DepositRefused:
    """Pientegra certainly created nothing: the attempt fails and the customer may try again."""
    if isinstance(error, ProviderAuthError):
        code = UNAVAILABLE  # our configuration, not the customer: not counted as a decline
    elif isinstance(error, IdempotencyConflict):
        log.error("pientegra deposit %s: key reused with another body", attempt.provider_order_id)
        code = "idempotency_conflict"
    elif isinstance(error, ProviderError):
        code = error.code or "rejected"
    else:
        code = "amount_out_of_range" if isinstance(error, MoneyError) else "invalid_request"
    attempt.error_code = code[:32]
    attempt.merchant_message = str(error)[:300]
    settle(attempt, A.FAILED, Cause.customer(attempt.provider_order_id), note=str(error)[:300])
    db.session.commit()
    return DepositRefused(attempt)


def _request(attempt: Attempt) -> DepositRequest:
    checkout = attempt.checkout
    return DepositRequest(
        external_user_id=checkout.customer_ref or "",
        external_user_label=_label(checkout),
        amount=attempt.amount,
    )


def _label(checkout: Checkout) -> str:
    """What support searches for: the merchant, its order id and our checkout id (≤128)."""
    ids = f"{checkout.order_id} {checkout.public_id}"[:LABEL_MAX]
    room = LABEL_MAX - len(ids) - 1
    name = checkout.merchant.name.strip()[:room] if room > 0 else ""
    return f"{name} {ids}" if name else ids


# --- what Pientegra says about an intent ---------------------------------------------------------


def apply_intent(
    attempt: Attempt, intent: Intent, cause: Cause, occurred_at: datetime | None = None
) -> Applied:
    """Apply an intent's status to its attempt and checkout; the caller commits.

    ``occurred_at`` is the event's time (a lookup gives ``approvedAt`` instead): an approval after
    the deposit's ``expiresAt`` is money that came late, never a payment of the checkout.
    """
    checkout = lock(Checkout, attempt.checkout_id)
    attempt = lock(Attempt, attempt.id)
    status = intent.status
    if status == APPROVED:
        return _approved(checkout, attempt, intent, cause, intent.approved_at or occurred_at)
    if status == REJECTED:
        return _rejected(attempt, intent, cause)
    if status in (AUTO_CANCELLED, LATE_ARRIVAL):
        changed = _expired(checkout, attempt, cause, status)
        if status == LATE_ARRIVAL:
            what = f"Pientegra reports {intent.amount.amount} TRY arrived"
            changed |= _flag_late(checkout, attempt, what, cause)
            return Applied(changed, "late arrival flagged to staff" if changed else "repeat")
        return Applied(changed, "deposit expired" if changed else f"ignored: {attempt.status}")
    attempt.provider_status = status[:32]
    return Applied(False, f"no change for {status}")


def _approved(
    checkout: Checkout,
    attempt: Attempt,
    intent: Intent,
    cause: Cause,
    approved_at: datetime | None,
) -> Applied:
    credited = intent.amount
    if not can_transition(A(attempt.status), A.SUCCEEDED):
        flag(
            "checkout",
            checkout.id,
            "approved_after_final",
            f"Pientegra approved {credited.amount} TRY for deposit {_ref(attempt)} after we "
            f"had recorded it as {attempt.status}: refund it or decide by hand.",
        )
        return Applied(False, f"ignored: attempt already {attempt.status}; flagged")
    if attempt.status == A.SUCCEEDED:
        return Applied(False, "repeat")
    attempt.provider_status = APPROVED
    attempt.credited_minor = credited.minor
    expected = checkout.amount
    exact = (
        credited == expected
        and intent.requested_amount in (None, expected)
        and attempt.requested_minor in (None, expected.minor)
    )
    after_expiry = (
        approved_at is not None
        and attempt.expires_at is not None
        and approved_at > attempt.expires_at
    )
    if after_expiry or checkout.status not in PAYABLE:
        transition(attempt, A.SUCCEEDED, cause, note=f"late approval: {credited.amount} TRY")
        _expired(checkout, attempt, cause, LATE_ARRIVAL)
        _flag_late(checkout, attempt, f"Pientegra approved {credited.amount} TRY", cause)
        return Applied(True, "late approval flagged to staff")
    if not exact:
        transition(attempt, A.SUCCEEDED, cause, note=f"credited {credited.amount} TRY")
        flag(
            "checkout",
            checkout.id,
            "amount_mismatch",
            f"Pientegra credited {credited.amount} TRY for deposit {_ref(attempt)}; the checkout "
            f"is for {expected.amount} {checkout.currency}.",
        )
        if checkout.status in PAYABLE:
            transition(checkout, C.NEEDS_REVIEW, cause, note=f"credited {credited.amount} TRY")
        return Applied(True, f"amount mismatch: credited {credited.amount}")
    settle(attempt, A.SUCCEEDED, cause)
    return Applied(True, "paid")


def _rejected(attempt: Attempt, intent: Intent, cause: Cause) -> Applied:
    if not can_transition(A(attempt.status), A.FAILED):
        return Applied(False, f"ignored: attempt already {attempt.status}")
    if attempt.status == A.FAILED:
        return Applied(False, "repeat")
    attempt.provider_status = REJECTED
    attempt.error_code = "deposit_rejected"
    attempt.merchant_message = (intent.rejected_reason or "rejected by Pientegra")[:300]
    settle(attempt, A.FAILED, cause, note=f"Pientegra: {attempt.merchant_message}")
    return Applied(True, "deposit rejected")


def _expired(checkout: Checkout, attempt: Attempt, cause: Cause, status: str) -> bool:
    """AUTO_CANCELLED (or money after it): the attempt lapses and the checkout expires."""
    changed = False
    if attempt.status == A.STARTED:
        attempt.provider_status = status
        changed = transition(attempt, A.ABANDONED, cause, note=f"Pientegra {status}")
    if attempt.status == A.FAILED:
        return changed  # rejected first: that deposit never held the checkout
    if checkout.status in PAYABLE and not _other_started(checkout, attempt):
        changed |= transition(checkout, C.EXPIRED, cause, note=f"Pientegra {status}")
    return changed


def _flag_late(checkout: Checkout, attempt: Attempt, what: str, cause: Cause) -> bool:
    """One late-arrival flag per deposit, however many events and lookups repeat it."""
    marker = f"deposit {_ref(attempt)}"
    existing = db.session.execute(
        select(ReviewFlag.id).where(
            ReviewFlag.entity_type == "checkout",
            ReviewFlag.entity_id == checkout.id,
            ReviewFlag.kind == "late_arrival",
            ReviewFlag.detail.contains(marker, autoescape=True),
        )
    ).first()
    if existing is not None:
        return False
    detail = (
        f"{what} for {marker}, too late to pay the checkout, which is {checkout.status}: "
        "refund the customer or decide by hand."
    )
    flag("checkout", checkout.id, "late_arrival", detail)
    annotate(checkout, cause, detail)
    return True


def _other_started(checkout: Checkout, attempt: Attempt) -> bool:
    statement = select(Attempt.id).where(
        Attempt.checkout_id == checkout.id, Attempt.id != attempt.id, Attempt.status == A.STARTED
    )
    return db.session.execute(statement).first() is not None


def _ref(attempt: Attempt) -> str:
    reference = attempt.provider_transaction_id or attempt.provider_reference
    return f"{reference} ({attempt.provider_order_id})"
