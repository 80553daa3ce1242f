"""NexKasa's staff queue: items no callback settled, and staff settling them by hand.

NexKasa has no status endpoint and never retries a callback (public-notes §3.1, §3.5), so a lost
callback leaves a deposit or payout pending for ever. ``reconcile_nexkasa`` (a step of
``flask --app webapp reconcile``) flags every NexKasa deposit attempt and payout pending longer
than the given age as ``nexkasa_unconfirmed``, once per item; requests whose outcome is unknown
and callbacks that did not match are flagged by the callback and deposit modules. The console
queue lists the undecided items with such a flag, and a staff member settles each one after
checking NexKasa's panel; the cause records who.

Trust boundary: staff are authenticated by the console; the decision is theirs, so it is applied
through the same status machine (``settle``, ``apply_withdrawal_outcome``) as a callback would be.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout, Payout, PayoutStatus, ReviewFlag
from webapp.models.types import utcnow
from webapp.money import Money
from webapp.payments.attempts import settle
from webapp.payments.payouts import apply_withdrawal_outcome, find_payout_by_public_id
from webapp.payments.status import Cause, lock

if TYPE_CHECKING:
    from webapp.payments.reconcile import Report

log = logging.getLogger(__name__)
A, P = AttemptStatus, PayoutStatus
PROVIDER = "nexkasa"

UNCONFIRMED = "nexkasa_unconfirmed"  # pending longer than the reconcile age
OUTCOME_UNKNOWN = "nexkasa_outcome_unknown"  # a request that timed out or met a 5xx
MISMATCH = "nexkasa_mismatch"  # an authentic callback that did not match our record
# Flags that put an undecided item in the queue; a decision resolves the first two.
QUEUE_KINDS = (UNCONFIRMED, OUTCOME_UNKNOWN, MISMATCH)
_RESOLVED_BY_DECISION = (UNCONFIRMED, OUTCOME_UNKNOWN)
# Payouts NexKasa may hold: accepted (pending), or sent with no readable answer.
_UNDECIDED_PAYOUTS = (P.REQUESTED, P.PENDING, P.NEEDS_REVIEW)


class AlreadyDecided(Exception):
    """The item was settled meanwhile (a callback, another staff member): nothing was changed."""


class UnknownItem(Exception):
    """No NexKasa deposit or payout has that reference."""


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "deposit" | "payout"
    reference: str  # the attempt's provider order id or the payout's public id
    amount: Money
    customer: str
    nexkasa_id: str | None
    provider_status: str | None
    since: datetime
    notes: tuple[str, ...]


# --- flags ------------------------------------------------------------------------------------


def flag_once(entity_type: str, entity_id: int, kind: str, detail: str) -> bool:
    """Add a review flag unless one of this kind is still open for the item; True when added."""
    statement = select(ReviewFlag.id).where(
        ReviewFlag.entity_type == entity_type,
        ReviewFlag.entity_id == entity_id,
        ReviewFlag.kind == kind,
        ReviewFlag.resolved_at.is_(None),
    )
    if db.session.execute(statement).first() is not None:
        return False
    db.session.add(
        ReviewFlag(entity_type=entity_type, entity_id=entity_id, kind=kind, detail=detail[:2000])
    )
    db.session.flush()
    return True


def resolve_flags(
    entity_type: str, entity_id: int, by: str, kinds: tuple[str, ...] = _RESOLVED_BY_DECISION
) -> None:
    """Close the item's open queue flags: it was decided (by a callback or by ``by``)."""
    statement = select(ReviewFlag).where(
        ReviewFlag.entity_type == entity_type,
        ReviewFlag.entity_id == entity_id,
        ReviewFlag.kind.in_(kinds),
        ReviewFlag.resolved_at.is_(None),
    )
    for row in db.session.execute(statement).scalars():
        row.resolved_at, row.resolved_by = utcnow(), by[:254]


# --- the reconcile step -----------------------------------------------------------------------


def reconcile_nexkasa(older_than: timedelta, cause: Cause, report: Report) -> None:
    """Queue NexKasa items pending longer than ``older_than`` for staff; nothing is asked of
    NexKasa (it has no status endpoint) and no status changes: ``report.queued`` counts them."""
    cutoff = utcnow() - older_than
    queued = 0
    for attempt in _stale_deposits(cutoff):
        detail = (
            f"NexKasa deposit {attempt.provider_order_id} ({attempt.amount.amount} "
            f"{attempt.currency}) has had no callback since {attempt.created_at:%Y-%m-%d %H:%M} "
            "UTC: check NexKasa's panel and settle it in the queue."
        )
        queued += flag_once("attempt", attempt.id, UNCONFIRMED, detail)
    for payout in _stale_payouts(cutoff):
        detail = (
            f"NexKasa payout {payout.public_id} ({payout.amount.amount} {payout.currency}) has had "
            f"no callback since {payout.created_at:%Y-%m-%d %H:%M} UTC: check NexKasa's panel "
            "and settle it in the queue."
        )
        queued += flag_once("payout", payout.id, UNCONFIRMED, detail)
    db.session.commit()
    report.queued += queued


def _stale_deposits(cutoff: datetime) -> list[Attempt]:
    statement = select(Attempt).where(
        Attempt.provider == PROVIDER, Attempt.status == A.STARTED, Attempt.created_at < cutoff
    )
    return list(db.session.execute(statement).scalars())


def _stale_payouts(cutoff: datetime) -> list[Payout]:
    """Accepted payouts, and ones whose request may have reached NexKasa (outcome unknown)."""
    statement = select(Payout).where(
        Payout.provider == PROVIDER,
        Payout.created_at < cutoff,
        (Payout.status == P.PENDING)
        | (Payout.status.in_((P.REQUESTED, P.NEEDS_REVIEW)) & Payout.outcome_unknown.is_(True)),
    )
    return list(db.session.execute(statement).scalars())


# --- the queue --------------------------------------------------------------------------------


def queue_items() -> list[QueueItem]:
    """Undecided NexKasa items with an open queue flag, oldest first."""
    flags = db.session.execute(
        select(ReviewFlag)
        .where(ReviewFlag.kind.in_(QUEUE_KINDS), ReviewFlag.resolved_at.is_(None))
        .order_by(ReviewFlag.id)
    ).scalars()
    notes: dict[tuple[str, int], list[str]] = {}
    for row in flags:
        if row.entity_type in ("attempt", "payout"):
            notes.setdefault((row.entity_type, row.entity_id), []).append(row.detail)
    items = []
    for (entity_type, entity_id), details in notes.items():
        item = _deposit_item if entity_type == "attempt" else _payout_item
        found = item(entity_id, tuple(details))
        if found is not None:
            items.append(found)
    return sorted(items, key=lambda found: found.since)


def _deposit_item(attempt_id: int, notes: tuple[str, ...]) -> QueueItem | None:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.provider != PROVIDER or attempt.status != A.STARTED:
        return None
    checkout = attempt.checkout
    sender = (attempt.bank_details or {}).get("sender_name")
    return QueueItem(
        kind="deposit",
        reference=attempt.provider_order_id,
        amount=attempt.amount,
        customer=" · ".join(filter(None, [checkout.customer_ref, sender])),
        nexkasa_id=attempt.provider_transaction_id or attempt.provider_reference,
        provider_status=attempt.provider_status,
        since=attempt.created_at,
        notes=notes,
    )


def _payout_item(payout_id: int, notes: tuple[str, ...]) -> QueueItem | None:
    payout = db.session.get(Payout, payout_id)
    if payout is None or payout.provider != PROVIDER or payout.status not in _UNDECIDED_PAYOUTS:
        return None
    return QueueItem(
        kind="payout",
        reference=payout.public_id,
        amount=payout.amount,
        customer=f"{payout.customer_ref} · {payout.holder_name}",
        nexkasa_id=payout.provider_transaction_id or payout.provider_reference,
        provider_status=payout.provider_status,
        since=payout.created_at,
        notes=notes,
    )


# --- settling by hand -------------------------------------------------------------------------


def settle_deposit_by_hand(reference: str, approved: bool, staff_email: str) -> Attempt:
    """Staff saw the deposit approved (or rejected) in NexKasa's panel; raises ``UnknownItem``
    or ``AlreadyDecided``."""
    found = db.session.execute(
        select(Attempt).where(Attempt.provider == PROVIDER, Attempt.provider_order_id == reference)
    ).scalar_one_or_none()
    if found is None:
        raise UnknownItem(reference)
    lock(Checkout, found.checkout_id)  # checkout before attempt, as ``settle`` locks them
    attempt = lock(Attempt, found.id)
    if attempt.status != A.STARTED:
        db.session.rollback()
        raise AlreadyDecided(reference)
    cause = Cause.staff(staff_email)
    note = "settled by hand after checking NexKasa's panel"
    attempt.outcome_unknown = False
    if not approved:
        attempt.error_code = "rejected"
        attempt.merchant_message = "rejected in NexKasa's panel (settled by staff)"
    settle(attempt, A.SUCCEEDED if approved else A.FAILED, cause, note=note)
    resolve_flags("attempt", attempt.id, staff_email, QUEUE_KINDS)
    db.session.commit()
    return attempt


def settle_payout_by_hand(reference: str, approved: bool, staff_email: str) -> Payout:
    """Staff saw the withdrawal approved (sent) or rejected in NexKasa's panel."""
    payout = find_payout_by_public_id(reference)
    if payout is None or payout.provider != PROVIDER:
        raise UnknownItem(reference)
    payout = lock(Payout, payout.id)
    if payout.status not in _UNDECIDED_PAYOUTS:
        db.session.rollback()
        raise AlreadyDecided(reference)
    changed = apply_withdrawal_outcome(
        payout,
        P.SENT if approved else P.REJECTED,
        Cause.staff(staff_email),
        message="settled by hand after checking NexKasa's panel",
    )
    if not changed:
        db.session.rollback()
        raise AlreadyDecided(reference)
    resolve_flags("payout", payout.id, staff_email, QUEUE_KINDS)
    db.session.commit()
    return payout
