"""Reconciliation: settle what no customer came back for, and expire what ran out of time.

Run by ``flask --app webapp reconcile`` (cron, or any scheduler). Webhooks and return pages stay
the primary channel; this asks the providers about attempts pending longer than ``older_than``
and applies their answers through the same status machine. Running it twice changes nothing
the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus
from webapp.models.types import utcnow
from webapp.payments import card, idempotency, payout_sending
from webapp.payments.attempts import PAYABLE
from webapp.payments.nexkasa_reconcile import reconcile_nexkasa
from webapp.payments.pientegra_reconcile import reconcile_pientegra
from webapp.payments.status import Cause, lock, transition

log = logging.getLogger(__name__)


@dataclass
class Report:
    asked: int = 0
    settled: int = 0
    expired: int = 0
    queued: int = 0  # handed to staff: providers without a status lookup (NexKasa)
    pruned_keys: int = 0
    errors: list[str] = field(default_factory=list)


def reconcile(older_than: timedelta) -> Report:
    report = Report()
    cause = Cause.reconciliation()
    for provider_step in STEPS:
        provider_step(older_than, cause, report)
    for checkout in _expired_checkouts():
        checkout = lock(Checkout, checkout.id)
        if checkout.status in PAYABLE and not _has_started_attempt(checkout):
            transition(checkout, CheckoutStatus.EXPIRED, cause)
            report.expired += 1
        db.session.commit()
    report.pruned_keys = idempotency.prune()
    db.session.commit()
    return report


def reconcile_card_attempts(older_than: timedelta, cause: Cause, report: Report) -> None:
    """Paytrek: ask about sales nobody came back from; give up on requests never answered."""
    for attempt_id in [a.id for a in _stale_card_attempts(older_than, with_token=False)]:
        attempt = lock(Attempt, attempt_id)
        if card.unanswered([attempt]):  # asked again under the lock: its answer may have come
            card.give_up_unanswered(attempt, cause)
            report.settled += 1
        db.session.commit()
    for attempt in _stale_card_attempts(older_than, with_token=True):
        report.asked += 1
        before = attempt.status
        card.refresh(attempt, cause, customer_back=False)
        if attempt.status != before:
            report.settled += 1


# One step per provider, run in this order: each asks its provider (or queues for staff).
def resend_requested_payouts(older_than: timedelta, cause: Cause, report: Report) -> None:
    """Payouts whose request never got an answer: resent with the same key and body."""
    resent, settled = payout_sending.resend_requested(older_than, cause)
    report.asked += resent
    report.settled += settled


# Payouts go last: a withdrawal the provider steps just confirmed is no longer "requested".
STEPS = [reconcile_card_attempts, reconcile_pientegra, reconcile_nexkasa, resend_requested_payouts]


def _stale_card_attempts(older_than: timedelta, *, with_token: bool) -> list[Attempt]:
    token = Attempt.provider_reference
    statement = select(Attempt).where(
        Attempt.provider == "paytrek",
        Attempt.status == AttemptStatus.STARTED,
        token.is_not(None) if with_token else token.is_(None),
        Attempt.created_at < utcnow() - older_than,
    )
    return list(db.session.execute(statement).scalars())


def _expired_checkouts() -> list[Checkout]:
    statement = select(Checkout).where(
        Checkout.status.in_(tuple(PAYABLE)), Checkout.expires_at <= utcnow()
    )
    return list(db.session.execute(statement).scalars())


def _has_started_attempt(checkout: Checkout) -> bool:
    return any(a.status == AttemptStatus.STARTED for a in checkout.attempts)
