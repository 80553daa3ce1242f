"""NexKasa callbacks: verify, store, then apply to the deposit or payout the URL names.

Job: the callback URL we give NexKasa is ``/hooks/nexkasa/<our reference>?token=<secret>``
(``webapp.urls.nexkasa_callback_url``): deposits echo the customer's user_id as ``external_id``,
nothing of ours, so the path carries our attempt's provider order id or our payout's public id.
``receive`` verifies the caller (token in constant time, address allowlist, signature when
present), parses the body (amounts as Decimal), checks amount, type, external id and NexKasa's
transaction id against our record, and applies APPROVED / REJECTED / WAITING_ASSIGNMENT through
the status machine, storing the raw event in the same transaction.

NexKasa sends two callbacks per decision (one signed with a JSON number amount, one plain with a
string) and never retries (public-notes §3.5): the inbox key is ``<transaction_id>:<status>``, so
the second is a duplicate answered 200. Every callback that passes verification is answered
200 OK, whatever applying it does: the guide asks for exactly that (nexkasa-api.txt §4, Önemli
Notlar 1; anything else "may be sent again"), and NexKasa only logs the answer. One that does not
match, names no reference of ours, cannot be read or fails to apply is stored unapplied (under a
key of its own, so it can never shadow the real one) and flagged for staff: nothing that
verified is lost, and what was recorded before is untouched. Only a failed check gets a 403
(nothing stored), and a callback we cannot store at all a 5xx. For a deposit answered in the
newer ``transaction_token`` shape, or a payout whose answer carried no id, the numeric
transaction id is learned from the first callback that matches.

Trust boundary: everything but our configuration is untrusted until ``verify_callback`` returns.
The token is never logged or echoed. Commits its own transaction; never touches the request.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout, Payout, PayoutStatus
from webapp.payments import inbox
from webapp.payments.attempts import settle
from webapp.payments.nexkasa_reconcile import MISMATCH, flag_once, resolve_flags
from webapp.payments.payouts import apply_withdrawal_outcome, find_payout_by_public_id
from webapp.payments.status import Cause, can_transition, lock
from webapp.providers.nexkasa import Callback, CallbackRejected, parse_callback, verify_callback

log = logging.getLogger(__name__)
A, P = AttemptStatus, PayoutStatus
PROVIDER = "nexkasa"
CONFLICT = "nexkasa_conflict"  # a decision that contradicts one already applied
UNMATCHED = "nexkasa_unmatched"  # authentic, but for no reference of ours, or unreadable

_DEPOSIT_OUTCOMES = {"APPROVED": A.SUCCEEDED, "REJECTED": A.FAILED}
_PAYOUT_OUTCOMES = {
    "APPROVED": P.SENT,
    "REJECTED": P.REJECTED,
    "WAITING_ASSIGNMENT": P.PENDING,  # in the operator queue
    "PENDING": P.PENDING,  # assigned to a dealer
}


@dataclass(frozen=True)
class Answer:
    """What the hook answers NexKasa (which only logs it)."""

    status: int
    code: str
    message: str = ""


def receive(
    reference: str, raw_body: bytes, *, token: str | None, remote_addr: str, signature: str | None
) -> Answer:
    """Verify, store and apply one callback; the answer for NexKasa."""
    config = current_app.config
    try:
        verify_callback(
            token_presented=token,
            token_expected=config["NEXKASA_CALLBACK_TOKEN"],
            remote_addr=remote_addr,
            allowed_networks=config["NEXKASA_CALLBACK_IPS"],
            signature=signature,
            raw_body=raw_body,
            webhook_secret=config.get("NEXKASA_WEBHOOK_SECRET"),
        )
    except CallbackRejected as rejected:
        log.warning(
            "nexkasa callback for %s refused: %s check failed (from %s)",
            reference,
            rejected.reason,
            remote_addr,
        )
        return Answer(403, "forbidden", "callback refused")
    try:
        callback = parse_callback(raw_body)
    except CallbackRejected:
        detail = f"unreadable callback for {reference}"
        _store_unmatched(reference, raw_body, "malformed", None, detail)
        return Answer(200, "malformed", "unreadable callback, kept for staff")
    try:
        return _apply(reference, callback, raw_body)
    except Exception:  # a bug of ours must not lose an authentic callback: keep it for staff
        log.exception("nexkasa callback for %s could not be applied", reference)
        db.session.rollback()
        key = f"{callback.transaction_id}:{callback.status}"
        detail = f"callback {key} for {reference} failed to apply"
        _store_unmatched(reference, raw_body, key, _event_type(callback), detail)
        return Answer(200, "stored", "kept for staff")
    finally:
        db.session.rollback()  # anything not committed on purpose (a duplicate's nested work)


def _apply(reference: str, callback: Callback, raw_body: bytes) -> Answer:
    key = f"{callback.transaction_id}:{callback.status}"
    attempt, payout = _find(reference)
    if attempt is None and payout is None:
        detail = f"callback {key} names {reference}, which is not ours"
        _store_unmatched(reference, raw_body, key, _event_type(callback), detail)
        return Answer(200, "unknown_reference", "no such deposit or payout, kept for staff")
    if attempt is not None:
        lock(Checkout, attempt.checkout_id)  # checkout before attempt, as ``settle`` locks them
        entity_type, entity = "attempt", lock(Attempt, attempt.id)
        problem = _deposit_mismatch(entity, callback)
    else:
        entity_type, entity = "payout", lock(Payout, payout.id)
        problem = _payout_mismatch(entity, callback)
    if problem:
        own_key = _own_key(key, reference, raw_body)
        event = inbox.receive(PROVIDER, own_key, raw_body, _event_type(callback))
        if event is not None:
            inbox.mark_unapplied(event, f"refused: {problem}")
            event.entity_type, event.entity_id = entity_type, entity.id
        detail = f"NexKasa callback {key} for {reference} refused and kept: {problem}."
        flag_once(entity_type, entity.id, MISMATCH, detail)
        db.session.commit()
        log.warning("nexkasa callback %s for %s refused: %s", key, reference, problem)
        return Answer(200, "mismatch", problem)
    event = inbox.receive(PROVIDER, key, raw_body, _event_type(callback))
    if event is None:
        return Answer(200, "duplicate", "already received")
    cause = Cause.webhook(f"nexkasa:{key}")
    if entity_type == "attempt":
        applied, outcome = _apply_to_deposit(entity, callback, cause)
    else:
        applied, outcome = _apply_to_payout(entity, callback, cause)
    if applied:
        inbox.mark_applied(event, entity_type, entity.id, outcome)
    else:
        inbox.mark_unapplied(event, outcome)
        event.entity_type, event.entity_id = entity_type, entity.id
        flag_once(entity_type, entity.id, CONFLICT, f"NexKasa callback {key}: {outcome}.")
    db.session.commit()
    return Answer(200, "ok", outcome)


def _find(reference: str) -> tuple[Attempt | None, Payout | None]:
    if len(reference) > 64:
        return None, None
    attempt = db.session.execute(
        select(Attempt).where(Attempt.provider == PROVIDER, Attempt.provider_order_id == reference)
    ).scalar_one_or_none()
    if attempt is not None:
        return attempt, None
    payout = find_payout_by_public_id(reference)
    if payout is not None and payout.provider == PROVIDER:
        return None, payout
    return None, None


def _deposit_mismatch(attempt: Attempt, callback: Callback) -> str | None:
    """Why this callback is not about this deposit, or None (nexkasa-api.txt §4)."""
    if callback.type != "DEPOSIT":
        return f"type {callback.type}, expected DEPOSIT"
    if callback.amount != attempt.amount:
        return f"amount {callback.amount.amount}, expected {attempt.amount.amount}"
    if callback.external_id != attempt.checkout.customer_ref:
        return "external_id is not this checkout's customer id"
    known = attempt.provider_transaction_id
    if known is not None and known != str(callback.transaction_id):
        return f"transaction {callback.transaction_id}, expected {known}"
    return None


def _payout_mismatch(payout: Payout, callback: Callback) -> str | None:
    if callback.type != "WITHDRAW":
        return f"type {callback.type}, expected WITHDRAW"
    if callback.amount != payout.amount:
        return f"amount {callback.amount.amount}, expected {payout.amount.amount}"
    if callback.external_id != payout.public_id:
        return "external_id is not this payout's id"
    known = payout.provider_transaction_id or payout.provider_reference
    if known is not None and known != str(callback.transaction_id):
        return f"transaction {callback.transaction_id}, expected {known}"
    return None


def _apply_to_deposit(attempt: Attempt, callback: Callback, cause: Cause) -> tuple[bool, str]:
    """(applied, outcome): APPROVED pays, REJECTED fails the attempt; anything else is noted."""
    if attempt.provider_transaction_id is None:
        attempt.provider_transaction_id = str(callback.transaction_id)  # the token shape
    attempt.outcome_unknown = False
    target = _DEPOSIT_OUTCOMES.get(callback.status)
    if target is None:
        attempt.provider_status = callback.status
        return True, f"noted NexKasa status {callback.status}"
    if attempt.status == target:
        return True, f"attempt already {target}"
    if not can_transition(A(attempt.status), target):
        return False, f"{callback.status} after the attempt was {attempt.status}"
    attempt.provider_status = callback.status
    if target == A.FAILED:
        attempt.error_code = "rejected"
        attempt.merchant_message = (callback.message or "rejected by NexKasa")[:300]
    settle(attempt, target, cause, note=_note(callback))
    resolve_flags("attempt", attempt.id, "nexkasa callback")
    return True, f"attempt {target}"


def _apply_to_payout(payout: Payout, callback: Callback, cause: Cause) -> tuple[bool, str]:
    if payout.provider_transaction_id is None and payout.provider_reference is None:
        # Its answer carried no id: both fields hold it, as when the answer did.
        payout.provider_transaction_id = payout.provider_reference = str(callback.transaction_id)
    target = _PAYOUT_OUTCOMES[callback.status]
    changed = apply_withdrawal_outcome(
        payout, target, cause, provider_status=callback.status, message=callback.message
    )
    payout = lock(Payout, payout.id)
    if changed:
        if target != P.PENDING:
            resolve_flags("payout", payout.id, "nexkasa callback")
        return True, f"payout {target}"
    if payout.status == target or target == P.PENDING:
        return True, f"payout already {payout.status}"  # a repeat, or a late queue notice
    return False, f"{callback.status} after the payout was {payout.status}"


def _store_unmatched(
    reference: str, raw_body: bytes, key: str, event_type: str | None, detail: str
) -> None:
    """Keep an authentic callback we cannot attach to anything, and tell staff (once: a
    duplicate finds its event stored and changes nothing)."""
    event = inbox.receive(PROVIDER, _own_key(key, reference, raw_body), raw_body, event_type)
    if event is not None:
        inbox.mark_unapplied(event, detail)
        flag_once("event", event.id, UNMATCHED, f"{detail} (provider event {event.id})")
    db.session.commit()
    log.warning("nexkasa: %s", detail)


def _own_key(key: str, reference: str, raw_body: bytes) -> str:
    """A key only this delivery has (the reference in its URL and its exact body): a refused
    callback never takes the real one's key, and one body sent to two references is kept twice."""
    digest = hashlib.sha256(reference.encode() + b"\0" + raw_body).hexdigest()[:32]
    return f"{key}:refused:{digest}"


def _event_type(callback: Callback) -> str:
    return f"{callback.type}.{callback.status}".lower()


def _note(callback: Callback) -> str:
    message = f": {callback.message}" if callback.message else ""
    return f"NexKasa {callback.status}{message}"[:500]
