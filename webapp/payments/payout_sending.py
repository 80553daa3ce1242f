"""Sending a payout to its provider, and what each provider answer does to it.

Trust boundary: the payout row is ours (validated when created); everything a provider answers is
untrusted and arrives as the typed results and exceptions of ``webapp.providers``. No provider
answer escapes as an exception: each becomes a status, an error on the row or a review flag, and
``send_payout`` commits it.

Pientegra: the Idempotency-Key (a UUID made once per payout) and a hash of the body were committed
with the payout before the first attempt, so every send within the key's 24 h TTL is the same
request: a lost answer or a ``duplicate_idempotency_key`` leaves the payout ``requested`` with
``outcome_unknown`` for a resend; ``idempotency_key_reuse_with_different_body`` is a bug and goes
to staff, never resent, and so does a payout whose key is near the TTL
(``IDEMPOTENCY_KEY_RESEND_LIMIT``): resent, it could create a second withdrawal.

NexKasa has no idempotency key and no status lookup, so nothing is resent blindly: a timeout or
5xx puts the payout in ``needs_review`` for staff, who resend it (``retry_payout`` with
``panel_checked``) only after checking NexKasa's panel. We send the payout's public id as
``external_id``, so a 409 always means NexKasa holds this very payout's request: it is accepted
(``pending``), never failed. A 429 leaves it ``requested`` ("busy"), safe to send again because
NexKasa refused it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Payout, PayoutStatus
from webapp.models.types import utcnow
from webapp.payments import clients
from webapp.payments.attempts import flag
from webapp.payments.status import Cause, can_transition, lock, transition
from webapp.payments.transactions import release_before_call
from webapp.providers import nexkasa, pientegra
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from webapp.providers.pientegra_wire import request_hash, withdrawal_to_wire
from webapp.urls import nexkasa_callback_url

P = PayoutStatus
T = TypeVar("T")
PIENTEGRA, NEXKASA = "pientegra", "nexkasa"
PROVIDERS = (PIENTEGRA, NEXKASA)
NEXKASA_QUEUED = "WAITING_ASSIGNMENT"  # shown as "in the operator queue"
ALREADY_HELD = "409: NexKasa already holds a pending request with this external_id"
# Longer than any provider call takes (three attempts of 3 s connect + 15 s read, and a bounded
# 429 wait): a claim this old was left by a sender that died mid-call.
SEND_LEASE = timedelta(minutes=5)


class NotRetryable(Exception):
    """This payout cannot be sent again as it stands (accepted, settled, being sent, unsafe)."""


def pientegra_request(payout: Payout) -> pientegra.WithdrawalRequest:
    return pientegra.WithdrawalRequest(
        external_user_id=payout.customer_ref,
        external_user_label=payout.customer_label,
        amount=payout.amount,
        target_iban=payout.iban,
        target_holder_name=payout.holder_name,
    )


def body_hash(payout: Payout) -> str:
    """The Pientegra body's hash: stored with the key, compared before each resend."""
    return request_hash(withdrawal_to_wire(pientegra_request(payout)))


def send_payout(payout: Payout, cause: Cause) -> Payout:
    """One attempt at the provider for a ``requested`` payout; commits the outcome. Decided
    under the payout's lock: one no longer requested, or being sent by someone else, is left
    as it is."""
    payout = lock(Payout, payout.id)
    if payout.status == P.REQUESTED:
        _send_claimed(payout, cause)
    db.session.commit()
    return payout


def retry_payout(payout: Payout, cause: Cause, *, panel_checked: bool = False) -> Payout:
    """Send again: a ``requested`` payout (Pientegra with the same key and body; NexKasa after a
    429), or a NexKasa payout whose outcome is unknown once staff checked NexKasa's panel and found
    nothing: a 409 then proves the first request exists, and nothing is created twice."""
    payout = lock(Payout, payout.id)
    allowed = payout.status == P.REQUESTED or (
        payout.provider == NEXKASA
        and payout.status == P.NEEDS_REVIEW
        and payout.outcome_unknown
        and panel_checked
    )
    if not (allowed and _send_claimed(payout, cause)):
        public_id = payout.public_id
        db.session.rollback()  # nothing to write: let go of the lock
        raise NotRetryable(public_id)
    db.session.commit()
    return payout


def resend_requested(older_than: timedelta, cause: Cause) -> tuple[int, int]:
    """Reconciliation's share: resend every payout still ``requested`` after ``older_than`` (a
    Pientegra create whose answer was lost reuses its stored key and body; a NexKasa request
    refused with 429 was never created; a Pientegra key near its TTL goes to staff instead).
    Returns (tried, no longer requested)."""
    statement = select(Payout).where(
        Payout.status == P.REQUESTED, Payout.created_at < utcnow() - older_than
    )
    payouts = db.session.execute(statement).scalars().all()
    for payout in payouts:
        send_payout(payout, cause)
    return len(payouts), sum(payout.status != P.REQUESTED for payout in payouts)


def _send_claimed(payout: Payout, cause: Cause) -> bool:
    """Send the locked payout unless another sender claimed it less than ``SEND_LEASE`` ago
    (False then). The claim, ``sending_since``, is committed with the request before the call
    (``release_before_call``), so it outlives the lock: a second sender (reconcile's resend, a
    second click) keeps off while the first waits for the provider. The answer clears it."""
    now = utcnow()
    if payout.sending_since is not None and payout.sending_since > now - SEND_LEASE:
        return False
    if payout.sending_since is not None and payout.provider == NEXKASA:
        # The sender died during NexKasa's call: the request may exist, and NexKasa has no key to
        # make a resend safe (a decided request would be created again). Staff check its panel.
        payout.sending_since = None
        payout.outcome_unknown = True
        _review(payout, cause, "outcome_unknown", "A send stopped during NexKasa's call.")
        return True
    payout.sending_since = now
    _send(payout, cause)
    payout.sending_since = None
    return True


def _send(payout: Payout, cause: Cause) -> None:
    if payout.provider == PIENTEGRA:
        _send_pientegra(payout, cause)
    elif payout.provider == NEXKASA:
        _send_nexkasa(payout, cause)
    else:
        _review(payout, cause, "configuration", f"unknown payout provider {payout.provider!r}")


def _send_pientegra(payout: Payout, cause: Cause) -> None:
    if not payout.idempotency_key or body_hash(payout) != payout.request_hash:
        _review(payout, cause, "request_changed", "stored key or body hash missing or different")
        return
    if payout.created_at < utcnow() - pientegra.IDEMPOTENCY_KEY_RESEND_LIMIT:
        # The key was made with the row; an earlier send may have created a withdrawal that
        # Pientegra no longer ties to it, and the same key would now create a second one.
        _review(
            payout,
            cause,
            "idempotency_key_expired",
            "Idempotency-Key near or past Pientegra's 24 h TTL: not resent. Check Pientegra's "
            f"withdrawals list (externalUserId {payout.customer_ref}, {payout.amount.amount} "
            f"TRY, created from {payout.created_at:%Y-%m-%d %H:%M} UTC) before deciding.",
        )
        return
    request, key = pientegra_request(payout), payout.idempotency_key
    release_before_call()
    try:
        created = _then_lock(payout, lambda: clients.pientegra().create_withdrawal(request, key))
    except pientegra.IdempotencyConflict as error:
        _review(payout, cause, "idempotency_conflict", str(error), code=error.code)
    except pientegra.IdempotencyInFlight as error:  # or a 409 we cannot read: resend, same key
        _unknown(payout, "in_flight", f"resend later with the same key: {error}")
    except ProviderUnavailable as error:
        _unknown(payout, error.code or "unavailable", str(error))
    except ProviderError as error:
        _refused(payout, cause, error)
    else:
        payout.provider_reference = created.withdrawal_id
        payout.reference_no = created.reference_no
        _accepted(payout, cause, created.status)


def _send_nexkasa(payout: Payout, cause: Cause) -> None:
    request = nexkasa.WithdrawalRequest(
        amount=payout.amount,
        customer_iban=payout.iban,
        customer_name=payout.holder_name,
        external_id=payout.public_id,
        callback_url=nexkasa_callback_url(payout.public_id),
    )
    release_before_call()
    try:
        accepted = _then_lock(payout, lambda: clients.nexkasa().create_withdrawal(request))
    except nexkasa.AlreadyPending:
        # §5 "Mükerrer işlem": external_id is this payout's own public id, so the pending request
        # is ours (a send that raced this one, or one whose answer was lost). Failing it would
        # refuse the callback that reports the money sent.
        _accepted(payout, cause, None, note=ALREADY_HELD)
    except ProviderUnavailable as error:
        if not error.outcome_unknown:
            _unknown(payout, "unavailable", str(error), unknown=False)
        elif not _settled_meanwhile(payout):
            payout.outcome_unknown = True
            _review(payout, cause, "outcome_unknown", str(error), code=error.code or "unavailable")
    except ProviderError as error:
        _refused(payout, cause, error)
    else:  # any 2xx: in NexKasa's pool, with or without its id (else the callback brings it)
        if accepted.transaction_id is not None:
            payout.provider_transaction_id = str(accepted.transaction_id)
            payout.provider_reference = str(accepted.transaction_id)
        _accepted(payout, cause, NEXKASA_QUEUED)


def _then_lock(payout: Payout, call: Callable[[], T]) -> T:
    """The provider call, then the payout's lock again before its answer is written: a callback
    may have settled the payout meanwhile (see ``_settled_meanwhile``)."""
    try:
        return call()
    finally:
        lock(Payout, payout.id)


def _settled_meanwhile(payout: Payout) -> bool:
    """A callback decided the payout while we waited for the provider's answer to our request:
    that answer is older news and must not overwrite what the callback recorded."""
    return payout.status not in (P.REQUESTED, P.NEEDS_REVIEW)


def _refused(payout: Payout, cause: Cause, error: ProviderError) -> None:
    """Answers both providers share: 429 busy, 401/403 configuration, other 4xx a failure."""
    if isinstance(error, ProviderRateLimited):
        _unknown(payout, "busy", "The provider is busy; send again shortly.", unknown=False)
    elif isinstance(error, ProviderAuthError):
        _review(payout, cause, "configuration", str(error), code=error.code or "auth")
    elif isinstance(error, ProviderRejected):
        _fail(payout, cause, error.code or "rejected", error.merchant_message)
    else:
        _review(payout, cause, "provider_error", str(error), code=error.code or "provider_error")


def _accepted(payout: Payout, cause: Cause, provider_status: str | None, note=None) -> None:
    if _settled_meanwhile(payout):
        return
    payout.outcome_unknown = False
    payout.error_code = payout.error_message = None
    if provider_status:
        payout.provider_status = provider_status[:32]
    _move(payout, P.PENDING, cause, note or provider_status)


def _fail(payout: Payout, cause: Cause, code: str, message: str | None) -> None:
    if _settled_meanwhile(payout):
        return
    payout.error_code, payout.error_message = code[:64], (message or code)[:300]
    payout.outcome_unknown = False
    _move(payout, P.FAILED, cause, payout.error_message)


def _unknown(payout: Payout, code: str, message: str, *, unknown: bool = True) -> None:
    """Still ``requested``: resending is safe (same key, or a refusal we know of)."""
    if _settled_meanwhile(payout):
        return
    payout.error_code, payout.error_message = code[:64], message[:300]
    payout.outcome_unknown = payout.outcome_unknown or unknown


def _review(payout: Payout, cause: Cause, kind: str, detail: str, code: str | None = None) -> None:
    if _settled_meanwhile(payout):
        return
    payout.error_code, payout.error_message = (code or kind)[:64], detail[:300]
    flag("payout", payout.id, kind, detail[:1000])
    _move(payout, P.NEEDS_REVIEW, cause, kind)


def _move(payout: Payout, target: PayoutStatus, cause: Cause, note: str | None) -> None:
    row = lock(Payout, payout.id)
    if can_transition(P(row.status), target):
        transition(row, target, cause, note=note)
