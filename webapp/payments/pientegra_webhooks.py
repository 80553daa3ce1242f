"""Pientegra's signed webhooks: verify, store once, apply, in one transaction.

Trust boundary: the body and ``Pientegra-Signature`` header are the caller's until
``verify_signature`` accepts them: HMAC-SHA256 over the raw bytes, constant-time, any ``v1``
against ``PIENTEGRA_WEBHOOK_SECRET`` and, during a rotation, ``PIENTEGRA_WEBHOOK_SECRET_PREVIOUS``.
Only then is the JSON parsed. A forgery (or a malformed header) is refused and changes nothing.

Timestamps: ``t`` must be within ``PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS`` of our clock. Pientegra's
replay resends the same signed body with its old ``t`` (public-notes §2.5). An authentic stale body
whose ``eventId`` we already stored is answered 2xx and changes nothing, like any duplicate: a
refusal would only make Pientegra retry it until it gives up. One whose ``eventId`` is new is
refused, unless ``PIENTEGRA_ACCEPT_REPLAYS`` is on. The signature is always checked first.

Every verified event is stored in the inbox under its ``eventId`` (unique) in the same transaction
that applies it, and answered 2xx, including types we take no action on (``withdrawal.created``)
and events that arrive after a terminal status (recorded, ignored). One we cannot read, or whose
ids we could not store or look up as sent (a NUL, an unpaired surrogate, an ``eventId`` longer
than the inbox key), is stored raw under ``unreadable:<sha256>``, flagged for staff and answered
2xx too: retrying it would fail the same way. ``intent.*`` events go to
``pientegra_deposits.apply_intent``; ``withdrawal.*`` to the payouts' ``apply_withdrawal_outcome``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from flask import current_app

from webapp.extensions import db
from webapp.models import Payout, PayoutStatus
from webapp.payments import inbox
from webapp.payments.attempts import flag
from webapp.payments.payouts import apply_withdrawal_outcome, find_payout_by_provider_reference
from webapp.payments.pientegra_deposits import PROVIDER, Applied, apply_intent, find_attempt
from webapp.payments.status import Cause
from webapp.providers.pientegra import (
    Event,
    EventError,
    SignatureError,
    Withdrawal,
    parse_event,
    verify_signature,
)

log = logging.getLogger(__name__)

# Withdrawal statuses (§2.5) that move a payout; the event types announce the same (§2.6).
WITHDRAWAL_OUTCOMES = {
    "SENT": PayoutStatus.SENT,
    "REJECTED": PayoutStatus.REJECTED,
    "RETURNED": PayoutStatus.RETURNED,
}
_BY_EVENT_TYPE = {f"withdrawal.{status.lower()}": status for status in WITHDRAWAL_OUTCOMES}
UNREADABLE = "pientegra_unreadable"  # the flag on an authentic event we could not read


@dataclass(frozen=True)
class Receipt:
    """What to answer Pientegra: ``status`` is the HTTP status, ``code`` a word for its logs."""

    status: int
    code: str
    message: str = ""


def receive(raw_body: bytes, signature: str | None) -> Receipt:
    """Verify, store and apply one delivery; commits. Never raises for a bad delivery."""
    config = current_app.config
    secrets = [config["PIENTEGRA_WEBHOOK_SECRET"], config["PIENTEGRA_WEBHOOK_SECRET_PREVIOUS"]]
    if not signature:
        return Receipt(400, "unsigned", "Pientegra-Signature header missing")
    try:
        verified = verify_signature(
            raw_body,
            signature,
            [secret for secret in secrets if secret],
            now_ms=int(time.time() * 1000),
            tolerance_ms=config["PIENTEGRA_WEBHOOK_TOLERANCE_SECONDS"] * 1000,
            allow_stale=True,  # authentic but stale: judged below, once its eventId is known
        )
    except SignatureError as refused:
        return _refused(refused.reason)
    refuse_stale = verified.stale and not config["PIENTEGRA_ACCEPT_REPLAYS"]
    try:
        event = parse_event(raw_body)
    except EventError as unreadable:
        if refuse_stale:
            return _refused("stale")
        return _store_unreadable(raw_body, str(unreadable))
    if refuse_stale and not inbox.known(PROVIDER, event.event_id):
        return _refused("stale")
    stored = inbox.receive(PROVIDER, event.event_id, raw_body, event.event_type[:64])
    if stored is None:
        db.session.rollback()
        return Receipt(200, "duplicate")
    if verified.stale:
        log.info("pientegra webhook %s accepted as a replay (stale t)", event.event_id)
    entity, applied = _apply(event, Cause.webhook(event.event_id))
    if entity is not None:
        stored.entity_type, stored.entity_id = entity
    if applied.changed:
        inbox.mark_applied(stored, stored.entity_type, stored.entity_id, applied.outcome)
    else:
        inbox.mark_unapplied(stored, applied.outcome)
    db.session.commit()
    return Receipt(200, "applied" if applied.changed else "recorded", applied.outcome)


def apply_withdrawal(payout: Payout, withdrawal: Withdrawal, cause: Cause, status: str) -> Applied:
    """A withdrawal's status (webhook or lookup) through the payouts' status rules."""
    target = WITHDRAWAL_OUTCOMES.get(status)
    if target is None:
        return Applied(False, f"no action for withdrawal {status}")
    if withdrawal.amount is not None and withdrawal.amount != payout.amount:
        flag(
            "payout",
            payout.id,
            "amount_mismatch",
            f"Pientegra reports withdrawal {withdrawal.reference_no or withdrawal.withdrawal_id} "
            f"{status} for {withdrawal.amount.amount} TRY; the payout is {payout.amount.amount}.",
        )
    reason = withdrawal.raw.get("rejectedReason")
    changed = apply_withdrawal_outcome(
        payout,
        target,
        cause,
        provider_status=status,
        message=reason if isinstance(reason, str) else None,
    )
    return Applied(changed, f"payout {target}" if changed else f"ignored: payout {payout.status}")


def _apply(event: Event, cause: Cause) -> tuple[tuple[str, int] | None, Applied]:
    if event.intent is not None:
        attempt = find_attempt(event.intent.intent_id)
        if attempt is None:
            return None, Applied(False, f"no deposit with intent {event.intent.intent_id}")
        applied = apply_intent(attempt, event.intent, cause, occurred_at=event.occurred_at)
        return ("checkout", attempt.checkout_id), applied
    if event.withdrawal is not None:
        withdrawal = event.withdrawal
        payout = find_payout_by_provider_reference(PROVIDER, withdrawal.withdrawal_id)
        if payout is None:
            return None, Applied(False, f"no payout with withdrawal {withdrawal.withdrawal_id}")
        status = _BY_EVENT_TYPE.get(event.event_type)
        if status is None:  # withdrawal.created, or a type we do not know: stored only
            return ("payout", payout.id), Applied(False, f"no action for {event.event_type}")
        return ("payout", payout.id), apply_withdrawal(payout, withdrawal, cause, status)
    return None, Applied(False, f"no action for {event.event_type}")


def _refused(reason: str) -> Receipt:
    log.warning("pientegra webhook refused: %s", reason)
    return Receipt(400, "bad_signature", reason)


def _store_unreadable(raw_body: bytes, problem: str) -> Receipt:
    """Authentic but not an event we can read, or store as sent: kept whole for staff, keyed by
    its digest, and flagged (once: a repeat finds it stored). Answered 2xx, since every delivery
    of the same bytes would fail the same way."""
    log.error("pientegra webhook verified but unreadable: %s", problem)
    key = "unreadable:" + hashlib.sha256(raw_body).hexdigest()
    stored = inbox.receive(PROVIDER, key, raw_body, None)
    if stored is not None:
        inbox.mark_unapplied(stored, f"unreadable: {problem}"[:500])
        detail = f"Pientegra webhook verified but unreadable: {problem}"
        flag("event", stored.id, UNREADABLE, f"{detail} (provider event {stored.id})")
    db.session.commit()
    return Receipt(200, "unreadable", problem)
