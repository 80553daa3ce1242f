"""Card payments through Paytrek: start a sale, confirm it server-side, and staff operations.

The customer's browser only ever brings back a sale token; what happened is asked of Paytrek
(``GET /api/v2/sale/<token>/``) and checked against the attempt: order id, amount, currency.
Paytrek sends no server-to-server notification (public-notes §4.7), so this return page and
``reconcile`` are the only ways an outcome reaches us.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.models import Attempt, AttemptStatus, Checkout, CheckoutStatus
from webapp.models.types import utcnow
from webapp.money import Money
from webapp.payments import clients
from webapp.payments.attempts import (
    IN_FLIGHT_WINDOW,
    PAYABLE,
    UNAVAILABLE,
    flag,
    lock_payable,
    new_attempt,
    reusable_attempt,
    settle,
)
from webapp.payments.methods import Method
from webapp.payments.status import Cause, lock, transition
from webapp.payments.transactions import release_before_call
from webapp.providers.errors import ProviderError, ProviderUnavailable
from webapp.providers.paytrek import Sale, SaleItem, SaleRequest

log = logging.getLogger(__name__)
A = AttemptStatus

# Statuses that may still change by themselves; anything else that is not a success or
# "Created" is a failure (public-notes §4.6 lists no complete set).
IN_PROGRESS = frozenset({"Pending", "Processing", "In Progress"})
CREATED = "Created"
# Attempts whose outcome Paytrek may still change (a customer back from an abandoned page can
# still have paid in another tab).
UNSETTLED = frozenset({A.STARTED, A.ABANDONED})
EXPIRED = "Expired"  # an unpaid sale past expires_at (about an hour, public-notes §4.3)
# Backoff while a sale is still in progress when the customer lands (seconds).
RECHECK_DELAYS = (0.25, 0.5, 1.0)
# A second click waits this long for the first click's sale: longer than Paytrek's connect and
# read timeouts together (3.05 + 15 s, ProviderHTTP), after which the first request has answered.
START_WAIT_SECONDS = 20.0
START_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Customer:
    """Who pays and from where; Paytrek requires all of it on every sale (paytrek-api.txt Sale)."""

    first_name: str
    last_name: str
    email: str
    ip_address: str
    address: str
    city: str
    country: str
    zipcode: str | None = None
    state: str | None = None
    phone: str | None = None
    language: str = "tr"


class ForeignToken(Exception):
    """A sale token that is not one of this checkout's attempts."""


class CardStartPending(Exception):
    """An earlier click's sale is still being created: ask the customer to try again shortly."""


class CardStartFailed(Exception):
    """Paytrek refused or did not answer; the checkout stays open for another try."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(attempt.error_code)
        self.attempt = attempt


def start_hosted(checkout: Checkout, customer: Customer, return_url: str) -> str:
    """Create a sale for Paytrek's hosted page and return where to send the customer."""
    claimed = _claim(checkout, Method.CARD_HOSTED, customer, return_url, hosted=True)
    if isinstance(claimed, str):
        return claimed
    attempt_id, request = claimed
    sale = _create_sale(attempt_id, request)
    return _record_start(attempt_id, sale, clients.paytrek_hosted_page(sale.token))


def start_3ds(
    checkout: Checkout, customer: Customer, return_url: str, card_token: str, installment: int
) -> str:
    """Create a 3-D Secure sale, charge the tokenised card and return Paytrek's forward_url."""
    claimed = _claim(
        checkout, Method.CARD_3DS, customer, return_url, hosted=False, installment=installment
    )
    if isinstance(claimed, str):
        return claimed
    attempt_id, request = claimed
    sale = _create_sale(attempt_id, request)
    back_with_token = return_url + ("&" if "?" in return_url else "?") + "token=" + sale.token
    try:
        charge = clients.paytrek().charge_with_token(sale.token, card_token)
    except ProviderUnavailable:
        # The card may have been charged: the return page reads the sale, never charges again.
        return _record_start(attempt_id, sale, back_with_token)
    except ProviderError as error:
        # Paytrek refused the request itself (a card token PaytrekJS never made, an installment
        # the bank does not offer): not a decline of a card, so not counted toward the limit.
        _fail_start(attempt_id, error, sale, outcome=A.ABANDONED)
    # No forward_url: charged (or declined) without 3-D Secure; the return page settles it.
    return _record_start(attempt_id, sale, charge.forward_url or back_with_token)


def installment_options(card_token: str, amount: Money):
    """Installment choices for the tokenised card: its BIN from the vault, never the number."""
    release_before_call()
    client = clients.paytrek()
    card = client.get_vault_card(card_token)
    return client.installments(card.bin_number, amount)


def confirm_return(checkout_public_id: str, sale_token: str) -> None:
    """The customer is back: ask Paytrek about the sale and settle its attempt."""
    attempt = db.session.execute(
        select(Attempt).where(
            Attempt.provider == "paytrek", Attempt.provider_reference == sale_token
        )
    ).scalar_one_or_none()
    if attempt is None or attempt.checkout.public_id != checkout_public_id:
        raise ForeignToken
    if attempt.status in UNSETTLED:
        attempt_id, cause = attempt.id, Cause.return_page(attempt.provider_order_id)
        release_before_call()
        sale = _sale_when_final(sale_token)
        apply_sale(attempt_id, sale, cause, customer_back=True)
        db.session.commit()


def refresh(attempt: Attempt, cause: Cause, customer_back: bool) -> None:
    """Ask Paytrek again about an unsettled attempt (a revisit, or the reconciler)."""
    attempt_id, token, order_id = attempt.id, attempt.provider_reference, attempt.provider_order_id
    release_before_call()
    try:
        sale = clients.paytrek().get_sale(token)
    except ProviderError as error:
        log.warning("paytrek sale lookup failed for %s: %s", order_id, error)
        return
    apply_sale(attempt_id, sale, cause, customer_back=customer_back)
    db.session.commit()


def apply_sale(attempt_id: int, sale: Sale, cause: Cause, *, customer_back: bool) -> None:
    """Turn Paytrek's verdict into the attempt's outcome, checking it is really this attempt.

    Takes the id, not the row: callers have just ended their transaction, and reading an expired
    row's id would cost a query before the locking one."""
    attempt = lock(Attempt, attempt_id)
    if attempt.status not in UNSETTLED:
        return  # settled meanwhile (another tab, the reconciler) while we asked Paytrek
    attempt.provider_status = sale.status
    if sale.is_success:
        if sale.order_id != attempt.provider_order_id or sale.amount != attempt.amount:
            _mismatch(attempt, sale, cause)
            return
        if not sale.is_authorized_only:
            settle(attempt, A.SUCCEEDED, cause)
            return
        # Authorised, not captured: a manual-capture sale, or one Paytrek's fraud check put in
        # REVIEW, which "ön otorizasyonda oluşturulur ve tarafınızdan capture edilmesi gerekir"
        # (paytrek-api.txt Capture). Either way no money is collected until staff capture it.
        settle(attempt, A.AUTHORIZED, cause)
        checkout = attempt.checkout
        if checkout.capture != "manual" and checkout.status == CheckoutStatus.AUTHORIZED:
            flag(
                "checkout",
                checkout.id,
                "held_for_review",
                f"Paytrek holds sale {attempt.provider_order_id} as a pre-authorisation "
                f"({sale.status}), though this checkout captures automatically: capture it to "
                "collect the money, or cancel it.",
            )
    elif sale.status == CREATED:
        # Nobody paid yet. Back from the page (or the sale expired): the attempt is abandoned.
        if customer_back or _expired(sale):
            settle(attempt, A.ABANDONED, cause)
    elif sale.status == EXPIRED and sale.last_failure is None:
        settle(attempt, A.ABANDONED, cause, note="Paytrek sale expired unpaid")
    elif sale.status not in IN_PROGRESS:
        failure = sale.last_failure
        if failure is not None:
            attempt.error_code = failure.error_code
            attempt.merchant_message = failure.merchant_message
            attempt.customer_message = failure.customer_message
        settle(attempt, A.FAILED, cause, note=f"Paytrek status {sale.status}")


def _claim(
    checkout: Checkout,
    method: Method,
    customer: Customer,
    return_url: str,
    *,
    hosted: bool,
    installment: int = 1,
) -> str | tuple[int, SaleRequest]:
    """Under the checkout's lock: where an earlier click's sale already sends the customer, or a
    new started attempt (committed) with the sale request to send for it.

    The lock and the database connection are let go before Paytrek is called: a slow Paytrek
    then holds neither, and a second click finds the started attempt and waits for its answer
    instead of creating a second sale."""
    row = lock_payable(checkout)
    existing = reusable_attempt(row, method)
    if existing is not None:
        return _await_start(existing)
    for stale in unanswered(row.attempts):
        give_up_unanswered(stale, Cause.customer(stale.provider_order_id))
    attempt = new_attempt(row, method, customer.ip_address)
    request = _sale_request(row, attempt, customer, return_url, hosted, installment)
    attempt_id = attempt.id
    release_before_call()  # the attempt is claimed: a second click now finds it
    return attempt_id, request


def unanswered(attempts: Iterable[Attempt]) -> list[Attempt]:
    """Card attempts whose sale request ended without its answer being recorded (the process died
    during Paytrek's call): no token was stored, so nobody was sent to pay them."""
    since = utcnow() - IN_FLIGHT_WINDOW
    return [
        attempt
        for attempt in attempts
        if attempt.provider == "paytrek"
        and attempt.status == A.STARTED
        and attempt.provider_reference is None
        and attempt.created_at <= since
    ]


def give_up_unanswered(attempt: Attempt, cause: Cause) -> None:
    """Fail an unanswered attempt as "provider unavailable": not the customer's decline."""
    attempt.error_code = UNAVAILABLE
    attempt.merchant_message = "Paytrek's answer to the sale request was never recorded"
    settle(attempt, A.FAILED, cause, note=attempt.merchant_message)


def _await_start(attempt: Attempt) -> str:
    """The customer clicked twice (or has two tabs): the first request's sale, once it has one.

    A browser follows only the last answer to a double click, so this one must end on the same
    Paytrek page. Bounded by Paytrek's own timeouts (the first request gives up by then)."""
    attempt_id = attempt.id
    deadline = time.monotonic() + START_WAIT_SECONDS
    while True:
        if attempt.redirect_url is not None:
            target = attempt.redirect_url
            db.session.commit()
            return target
        if attempt.status != A.STARTED:
            db.session.commit()
            raise CardStartFailed(attempt)
        db.session.commit()  # let the first request record its sale meanwhile
        if time.monotonic() >= deadline:
            raise CardStartPending
        time.sleep(START_POLL_SECONDS)
        attempt = db.session.get(Attempt, attempt_id, populate_existing=True)


def _sale_request(
    checkout: Checkout,
    attempt: Attempt,
    customer: Customer,
    return_url: str,
    hosted: bool,
    installment: int,
) -> SaleRequest:
    return SaleRequest(
        order_id=attempt.provider_order_id,
        amount=attempt.amount,
        customer_first_name=customer.first_name,
        customer_last_name=customer.last_name,
        customer_email=customer.email,
        customer_ip_address=customer.ip_address,
        billing_address=customer.address,
        billing_city=customer.city,
        billing_country=customer.country,
        billing_state=customer.state,
        billing_zipcode=customer.zipcode,
        billing_phone=customer.phone,
        items=tuple(
            SaleItem(
                name=item["name"],
                quantity=item["quantity"],
                unit_price=Money.from_minor(item["unit_price_minor"], checkout.currency),
                photo=item.get("photo"),
            )
            for item in checkout.items
        ),
        return_url=return_url,
        cancel_url=return_url,
        hosted_payment=hosted,
        secure_option=not hosted,
        pre_auth=checkout.capture == "manual",
        installment=installment,
        language_code=customer.language,
    )


def _create_sale(attempt_id: int, request: SaleRequest) -> Sale:
    """Paytrek's call, outside any transaction."""
    try:
        return clients.paytrek().create_sale(request)
    except ProviderError as error:
        _fail_start(attempt_id, error)


def _record_start(attempt_id: int, sale: Sale, target: str) -> str:
    """Store the sale on its attempt: one UPDATE once Paytrek has answered, applied only while the
    attempt is still started (nothing else writes an attempt that has no token yet)."""
    stored = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == A.STARTED)
        .values(provider_reference=sale.token, provider_status=sale.status, redirect_url=target)
        .execution_options(synchronize_session=False)
    )
    if stored.rowcount == 1:
        db.session.commit()
        return target
    # Given up on meanwhile (reconcile found it unanswered): nobody may pay this sale.
    attempt = lock(Attempt, attempt_id)
    attempt.provider_reference = sale.token
    attempt.provider_status = sale.status
    db.session.commit()
    raise CardStartFailed(attempt)


def _fail_start(
    attempt_id: int, error: ProviderError, sale: Sale | None = None, outcome: A = A.FAILED
) -> NoReturn:
    """Record why the sale could not start and let the customer try again; raises."""
    attempt = lock(Attempt, attempt_id)
    if sale is not None:
        attempt.provider_reference = sale.token
        attempt.provider_status = sale.status
    unavailable = isinstance(error, ProviderUnavailable)
    attempt.error_code = UNAVAILABLE if unavailable else (error.code or "rejected")
    attempt.merchant_message = (error.merchant_message or str(error))[:300]
    attempt.customer_message = error.customer_message
    if attempt.status == A.STARTED:
        settle(attempt, outcome, Cause.customer(attempt.provider_order_id), note=str(error)[:300])
    db.session.commit()
    raise CardStartFailed(attempt)


def _sale_when_final(sale_token: str) -> Sale:
    """The sale, asked again a few times while Paytrek still reports it in progress."""
    client = clients.paytrek()
    sale = client.get_sale(sale_token)
    for delay in RECHECK_DELAYS:
        if sale.status not in IN_PROGRESS:
            break
        time.sleep(delay)  # bounded backoff inside the customer's request
        sale = client.get_sale(sale_token)
    return sale


def _expired(sale: Sale) -> bool:
    return sale.expires_at is not None and sale.expires_at <= utcnow()


def _mismatch(attempt: Attempt, sale: Sale, cause: Cause) -> None:
    """Paytrek charged something that is not what this attempt asked for: staff decide."""
    checkout = lock(Checkout, attempt.checkout_id)
    transition(attempt, A.SUCCEEDED, cause, note="amount or order mismatch")
    flag(
        "checkout",
        checkout.id,
        "amount_mismatch",
        f"Paytrek sale for {attempt.provider_order_id} reports order {sale.order_id} and "
        f"{sale.amount.amount} {sale.currency}; we expected {attempt.amount.amount} "
        f"{attempt.currency}.",
    )
    if checkout.status in PAYABLE:
        transition(checkout, CheckoutStatus.NEEDS_REVIEW, cause)
