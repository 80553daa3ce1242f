"""Pientegra's reconciliation step: ask about deposits and withdrawals no webhook settled.

``reconcile_pientegra`` runs inside ``flask --app webapp reconcile`` (``reconcile.STEPS``). Webhooks
stay the primary channel; this asks Pientegra's status lookups (public-notes §2.5) about what has
been pending longer than the given age and applies the answers through the same functions as the
webhooks (``apply_intent``, ``apply_withdrawal``), with the reconciliation as the cause:

- deposits: ``GET /external/intents/{id}`` for each started attempt; an attempt whose create was
  never confirmed has no deposit page the customer could have seen, so it is abandoned;
- withdrawals: one walk of ``GET /external/withdrawals`` filtered by creation time and the
  statuses that move a payout (SENT, REJECTED, RETURNED), instead of one lookup per payout: it
  spends far less of the 60-a-minute budget;
- payouts still ``requested`` are resent by the provider-neutral payout step in ``reconcile``.

Idempotent: a second run finds nothing changed and changes nothing. Each item commits on its own,
so one provider error is reported and the rest goes on.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Payout, PayoutStatus
from webapp.models.types import utcnow
from webapp.payments import clients
from webapp.payments.attempts import settle
from webapp.payments.pientegra_deposits import PROVIDER, apply_intent
from webapp.payments.pientegra_webhooks import WITHDRAWAL_OUTCOMES, apply_withdrawal
from webapp.payments.status import Cause
from webapp.payments.transactions import release_before_call
from webapp.providers.errors import ProviderError

if TYPE_CHECKING:
    from webapp.payments.reconcile import Report

log = logging.getLogger(__name__)
A, P = AttemptStatus, PayoutStatus
# Pientegra's createdAt is stamped after our row was made; this margin covers clocks that differ.
CLOCK_MARGIN = timedelta(hours=1)


def reconcile_pientegra(older_than: timedelta, cause: Cause, report: Report) -> None:
    cutoff = utcnow() - older_than
    _deposits(cutoff, cause, report)
    _withdrawals(cutoff, cause, report)


def _deposits(cutoff, cause: Cause, report: Report) -> None:
    statement = select(Attempt).where(
        Attempt.provider == PROVIDER, Attempt.status == A.STARTED, Attempt.created_at < cutoff
    )
    for attempt in db.session.execute(statement).scalars().all():
        if not attempt.provider_reference:
            note = "the deposit was never confirmed, so no customer saw its page"
            settle(attempt, A.ABANDONED, cause, note=note)
            db.session.commit()
            report.settled += 1
            continue
        report.asked += 1
        intent_id = attempt.provider_reference
        release_before_call()
        try:
            intent = clients.pientegra().get_intent(intent_id)
        except ProviderError as error:
            db.session.rollback()
            report.errors.append(f"pientegra intent {attempt.provider_order_id}: {error}")
            continue
        applied = apply_intent(attempt, intent, cause)
        db.session.commit()
        report.settled += applied.changed


def _withdrawals(cutoff, cause: Cause, report: Report) -> None:
    statement = select(Payout).where(
        Payout.provider == PROVIDER,
        Payout.status == P.PENDING,
        Payout.provider_reference.is_not(None),
        Payout.created_at < cutoff,
    )
    pending = {p.provider_reference: p for p in db.session.execute(statement).scalars().all()}
    if not pending:
        return
    report.asked += len(pending)
    oldest = min(payout.created_at for payout in pending.values())
    release_before_call()
    try:
        withdrawals = list(
            clients.pientegra().iter_withdrawals(
                oldest - CLOCK_MARGIN, None, statuses=tuple(WITHDRAWAL_OUTCOMES)
            )
        )
    except ProviderError as error:
        report.errors.append(f"pientegra withdrawals list: {error}")
        return
    for withdrawal in withdrawals:
        payout = pending.get(withdrawal.withdrawal_id)
        if payout is None or withdrawal.status not in WITHDRAWAL_OUTCOMES:
            continue
        applied = apply_withdrawal(payout, withdrawal, cause, withdrawal.status)
        db.session.commit()
        report.settled += applied.changed
