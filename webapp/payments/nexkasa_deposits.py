"""NexKasa bank-transfer deposits: ask NexKasa for one, and keep what it answered.

Job: for a TRY checkout, start an attempt and send ``POST /api/public/deposit-request/`` (amount,
the sender's full name, ``user_id`` = the merchant's customer id, our callback URL); keep
NexKasa's transaction id or token and the bank account the customer must transfer to; turn
each documented refusal into a ``DepositRefused`` the page can explain. The decision comes later
by callback (``nexkasa_callbacks``) or from staff (``nexkasa_reconcile``).

NexKasa has no idempotency key and no status endpoint (public-notes §3.1), so nothing is resent
blindly. The attempt is committed before the request leaves, marked ``outcome_unknown`` until
the answer is recorded: a timeout, a 5xx or a crash in between leaves it started and flagged
for staff. Only the customer's explicit "check again" (``check_again``) repeats that very request,
and a 409 then confirms that NexKasa holds it. Refusals (400, 403, 404, 409, 429) leave the
attempt abandoned: NexKasa created nothing, so they never count as declines, and the checkout
stays open. After a 429 nobody sends a deposit until NexKasa's ``Retry-After`` has passed.

Trust boundary: the sender's name is customer input, checked by the page's form; NexKasa's
answers are parsed by its client. Commits its own transactions; never touches the request.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout
from webapp.models.types import utcnow
from webapp.money import MoneyError
from webapp.payments import clients
from webapp.payments.attempts import UNAVAILABLE as NOT_REACHED
from webapp.payments.attempts import NotPayable, lock_payable, new_attempt, settle
from webapp.payments.methods import TRANSFER_CURRENCY, Method
from webapp.payments.nexkasa_reconcile import OUTCOME_UNKNOWN, flag_once, resolve_flags
from webapp.payments.status import Cause, lock
from webapp.payments.transactions import release_before_call
from webapp.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from webapp.providers.nexkasa import (
    AlreadyPending,
    DepositAccepted,
    DepositRequest,
    InvalidRequest,
    NoSuitableAccount,
)
from webapp.urls import nexkasa_callback_url

A = AttemptStatus
PROVIDER = "nexkasa"
# A cautious retry only once the first request has surely ended (the read timeout is 15 s).
RETRY_AFTER = timedelta(seconds=30)
# NexKasa throttles per minute (public-notes §3.1); without Retry-After we wait that long.
BUSY_DEFAULT = timedelta(seconds=60)
BUSY_MAX = timedelta(minutes=5)


class Refusal(StrEnum):
    """Why no deposit was opened; also the attempt's ``error_code``."""

    INVALID = "invalid_request"  # 400: ``field`` says which (full_name, amount), else ours
    UNAVAILABLE = "configuration"  # 403: our key, address or the customer is refused
    NO_ACCOUNT = "no_suitable_account"  # 404: try another amount or method
    ALREADY_PENDING = "already_pending"  # 409 on a first request: another transfer is open
    BUSY = "busy"  # 429: try again shortly
    NOT_SENT = NOT_REACHED  # NexKasa could not be reached; nothing was sent


class DepositRefused(Exception):
    def __init__(self, reason: Refusal, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def offered(checkout: Checkout) -> bool:
    """The checkout lets its customer pay by NexKasa transfer."""
    return (
        Method.NEXKASA_TRANSFER in checkout.methods
        and checkout.currency == TRANSFER_CURRENCY
        and bool(checkout.customer_ref)
    )


def current_deposit(checkout: Checkout) -> Attempt | None:
    """The checkout's NexKasa deposit still waiting for a decision, if any."""
    statement = (
        select(Attempt)
        .where(
            Attempt.checkout_id == checkout.id,
            Attempt.provider == PROVIDER,
            Attempt.status == A.STARTED,
        )
        .order_by(Attempt.number.desc())
    )
    return db.session.execute(statement).scalars().first()


def can_check_again(attempt: Attempt) -> bool:
    return attempt.outcome_unknown and attempt.updated_at <= utcnow() - RETRY_AFTER


def start_deposit(checkout: Checkout, full_name: str, customer_ip: str | None) -> Attempt:
    """Open a NexKasa deposit for the checkout, or return the one already waiting.

    Raises ``NotPayable`` or ``DepositRefused``; an unknown outcome returns the attempt with
    ``outcome_unknown`` set (the page explains, staff are told).
    """
    if not offered(checkout):
        raise ValueError("NexKasa transfers need a TRY checkout offering them, with a customer id")
    try:
        row = lock_payable(checkout)
    except NotPayable:
        db.session.commit()  # keep the expiry lock_payable may have recorded
        raise
    existing = current_deposit(row)
    if existing is not None:  # a second click or tab: never a second request
        db.session.commit()
        return existing
    if _throttled():
        db.session.commit()
        raise DepositRefused(Refusal.BUSY)
    attempt = new_attempt(row, Method.NEXKASA_TRANSFER, customer_ip)
    attempt.outcome_unknown = True  # until NexKasa's answer is recorded
    attempt.bank_details = {"sender_name": full_name}
    db.session.commit()
    return _send(attempt.id, retry=False)


def check_again(checkout: Checkout) -> Attempt | None:
    """The customer asks again about a request whose outcome is unknown: resend that very request
    once the first has surely ended. A 409 then confirms NexKasa holds it."""
    attempt = current_deposit(checkout)
    if attempt is None or not can_check_again(attempt):
        return attempt
    if _throttled():
        raise DepositRefused(Refusal.BUSY)
    attempt = lock(Attempt, attempt.id)
    if not can_check_again(attempt):  # another tab is checking right now
        db.session.commit()
        return attempt
    attempt.updated_at = utcnow()  # claims the retry: the next one waits RETRY_AFTER again
    db.session.commit()
    return _send(attempt.id, retry=True)


def _send(attempt_id: int, *, retry: bool) -> Attempt:
    """Send the attempt's request once and record the answer; raises ``DepositRefused``.

    On a cautious ``retry``, 409 confirms the first request, and answers that say nothing about
    it (429, 403, no answer) leave the attempt unknown.
    """
    attempt = db.session.get(Attempt, attempt_id)
    amount, full_name = attempt.amount, attempt.bank_details["sender_name"]
    user_id = attempt.checkout.customer_ref
    callback = nexkasa_callback_url(attempt.provider_order_id)
    release_before_call()
    try:
        accepted = clients.nexkasa().create_deposit(
            DepositRequest(
                amount=amount, full_name=full_name, user_id=user_id, callback_url=callback
            )
        )
    except AlreadyPending as error:
        if retry and not _other_pending_deposit(attempt_id, user_id):
            return _confirmed(attempt_id)
        if retry:  # NexKasa's one pending deposit per user_id may be that other one, not ours
            return _unknown(attempt_id, error)
        _refused(attempt_id, Refusal.ALREADY_PENDING, error)
    except NoSuitableAccount as error:
        _refused(attempt_id, Refusal.NO_ACCOUNT, error)
    except InvalidRequest as error:
        field = next((name for name in ("full_name", "amount") if name in error.field_errors), None)
        _refused(attempt_id, Refusal.INVALID, error, field=field, to_staff=field is None)
    except MoneyError as error:  # an amount NexKasa cannot take: nothing was sent
        problem = ProviderError(PROVIDER, code="amount", merchant_message=str(error))
        _refused(attempt_id, Refusal.INVALID, problem, field="amount")
    except ProviderRateLimited as error:
        wait = error.retry_after or BUSY_DEFAULT
        _refused(attempt_id, Refusal.BUSY, error, busy_for=wait, keep_unknown=retry)
    except ProviderAuthError as error:
        _refused(attempt_id, Refusal.UNAVAILABLE, error, to_staff=True, keep_unknown=retry)
    except ProviderUnavailable as error:
        if error.outcome_unknown or retry:
            return _unknown(attempt_id, error)
        _refused(attempt_id, Refusal.NOT_SENT, error)
    except ProviderError as error:  # any other answer: NexKasa did not take it
        _refused(attempt_id, Refusal.INVALID, error, to_staff=True)
    else:
        return _accepted(attempt_id, accepted)
    raise AssertionError("unreachable: _refused raises")  # pragma: no cover


def _other_pending_deposit(attempt_id: int, user_id: str) -> bool:
    """Another of our NexKasa deposits for this user_id still waits for NexKasa's decision."""
    statement = (
        select(Attempt.id)
        .join(Checkout, Attempt.checkout_id == Checkout.id)
        .where(
            Checkout.customer_ref == user_id,
            Attempt.provider == PROVIDER,
            Attempt.status == A.STARTED,
            Attempt.id != attempt_id,
        )
    )
    return db.session.execute(statement.limit(1)).first() is not None


def _locked(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    lock(Checkout, attempt.checkout_id)  # checkout before attempt, as ``settle`` locks them
    return lock(Attempt, attempt_id)


def _accepted(attempt_id: int, accepted: DepositAccepted) -> Attempt:
    attempt = _locked(attempt_id)
    attempt.outcome_unknown = False
    _clear_busy(attempt)
    if accepted.transaction_id is not None and attempt.provider_transaction_id is None:
        attempt.provider_transaction_id = str(accepted.transaction_id)
    if accepted.transaction_token is not None:
        attempt.provider_reference = accepted.transaction_token
    if attempt.status == A.STARTED:  # a callback may have been quicker than this answer
        attempt.provider_status = "PENDING"
    if accepted.bank is not None:
        attempt.bank_details = {
            **(attempt.bank_details or {}),
            "bank_name": accepted.bank.bank_name,
            "account_holder": accepted.bank.account_holder,
            "iban": accepted.bank.iban,
        }
    resolve_flags("attempt", attempt.id, "nexkasa answer", (OUTCOME_UNKNOWN,))
    db.session.commit()
    return attempt


def _confirmed(attempt_id: int) -> Attempt:
    """Our cautious retry met 409: NexKasa holds a pending deposit for this customer, ours."""
    attempt = _locked(attempt_id)
    attempt.outcome_unknown = False
    _clear_busy(attempt)
    if attempt.status == A.STARTED:
        attempt.provider_status = "PENDING"
    attempt.merchant_message = (
        "NexKasa answered 409 to our cautious retry: the first request exists; its answer "
        "(transaction and bank account) was lost, the callback will still name this attempt"
    )
    resolve_flags("attempt", attempt.id, "nexkasa 409 on retry", (OUTCOME_UNKNOWN,))
    db.session.commit()
    return attempt


def _unknown(attempt_id: int, error: ProviderError) -> Attempt:
    attempt = _locked(attempt_id)
    attempt.outcome_unknown = True
    attempt.merchant_message = str(error)[:300]
    flag_once(
        "attempt",
        attempt.id,
        OUTCOME_UNKNOWN,
        f"NexKasa deposit {attempt.provider_order_id}: the request got no readable answer "
        f"({error}). It may exist at NexKasa: check its panel, then settle it in the queue.",
    )
    db.session.commit()
    return attempt


def _refused(
    attempt_id: int,
    reason: Refusal,
    error: ProviderError,
    field: str | None = None,
    *,
    to_staff: bool = False,
    busy_for: timedelta | None = None,
    keep_unknown: bool = False,
) -> None:
    """Record why NexKasa opened nothing, close the attempt (unless ``keep_unknown``: a retry
    NexKasa would not even look at) and raise ``DepositRefused``."""
    attempt = _locked(attempt_id)
    attempt.merchant_message = (error.merchant_message or str(error))[:300]
    if busy_for is not None:  # a throttled attempt's expires_at: when NexKasa takes deposits again
        attempt.error_code = Refusal.BUSY.value
        attempt.expires_at = utcnow() + min(max(busy_for, timedelta(seconds=1)), BUSY_MAX)
    if to_staff:
        flag_once(
            "attempt",
            attempt.id,
            "configuration",
            f"NexKasa refused deposit {attempt.provider_order_id}: {error}. Check our NexKasa "
            "settings (API key, allowed addresses) or the customer's standing with NexKasa.",
        )
    if not keep_unknown:
        attempt.outcome_unknown = False
        attempt.error_code = reason.value
        note = str(error)[:300]
        settle(attempt, A.ABANDONED, Cause.customer(attempt.provider_order_id), note=note)
    db.session.commit()
    raise DepositRefused(reason, field)


def _clear_busy(attempt: Attempt) -> None:
    """A retry that was throttled before got through: the attempt is no longer refused."""
    if attempt.error_code == Refusal.BUSY.value:
        attempt.error_code = attempt.expires_at = None


def _throttled() -> bool:
    """NexKasa said 429 moments ago: every host waits, instead of hammering it."""
    statement = select(Attempt.id).where(
        Attempt.provider == PROVIDER,
        Attempt.error_code == Refusal.BUSY.value,
        Attempt.expires_at > utcnow(),
    )
    return db.session.execute(statement).first() is not None
