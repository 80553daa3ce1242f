"""Paytrek sales and what can happen to them: create, charge (maybe through 3-D), capture,
cancel, refund. The state rules live here; ``representations`` turns records into JSON.

Statuses keep the document's words (paytrek-api.txt "Ortak Ödeme", public-notes §4.6):
``Created`` -> ``Paid`` (``financial_status`` "Ready to Send") or, with ``pre_auth``,
``PreAuthorized`` -> capture -> ``Paid``. A failed charge leaves ``Declined`` (the word the
EticSoft integration reads, §4.5); the customer may try again until the sale expires. The
document has no word for the rest; the sandbox uses ``Cancelled`` (cancel), ``Refunded`` and
``Partially Refunded`` (refund), and shows an unpaid ``Created`` sale past ``expires_at``
(created + 1 h, §4.3) as ``Expired`` rather than "Cancelled", because nobody cancelled it.

Trust boundary: inputs arrive validated; tokens come from callers and may name nothing.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..auth import matches
from ..services import current
from ..store import Record
from . import cards, codes
from .codes import Refusal

PROVIDER = "paytrek"
SALES = "sales"
THREE_D_SESSIONS = "three_d_sessions"
SALE_LIFETIME = timedelta(hours=1)

CREATED, PAID, PREAUTHORIZED, DECLINED = "Created", "Paid", "PreAuthorized", "Declined"
CANCELLED, REFUNDED, PARTIALLY_REFUNDED = "Cancelled", "Refunded", "Partially Refunded"
EXPIRED = "Expired"
READY_TO_SEND = "Ready to Send"
CHARGEABLE = (CREATED, DECLINED)
REFUNDABLE = (PAID, PARTIALLY_REFUNDED)
_REF_ALPHABET = string.ascii_letters + string.digits


def now() -> datetime:
    return current().clock.now()


def shown_status(sale: Record) -> str:
    if sale["status"] == CREATED and now() >= sale["expires_at"]:
        return EXPIRED
    return sale["status"]


def create(fields: Mapping[str, Any]) -> Record:
    """A new ``Created`` sale; an order_id any earlier sale used -> 30120."""
    store, created_at = current().store, now()
    with store.locked():
        if store.find(PROVIDER, SALES, lambda sale: sale["order_id"] == fields["order_id"]):
            raise Refusal(400, codes.ORDER_ID_IN_USE)
        return store.insert(
            PROVIDER,
            SALES,
            {
                **fields,
                "sale_token": uuid.uuid4().hex,
                "status": CREATED,
                "financial_status": None,
                "refunded_amount": Decimal("0.00"),
                "transactions": [],
                "created_at": created_at,
                "expires_at": created_at + SALE_LIFETIME,
            },
        )


def find(sale_token: str) -> Record | None:
    found = current().store.find(PROVIDER, SALES, lambda sale: sale["sale_token"] == sale_token)
    return found[0] if found else None


def get(sale_token: str) -> Record:
    """The sale, or a 404 (30002) naming ``sale_token``."""
    sale = find(sale_token)
    if sale is None:
        raise Refusal(404, codes.INVALID_TRANSACTION, {"sale_token": ["Not found."]})
    return sale


def all_sales() -> list[Record]:
    return current().store.find(PROVIDER, SALES)


def card_on_file(number: str, month: int, year: int, holder: str) -> Record:
    """What the sandbox keeps of a card: which test card it is (None if unknown), never a PAN."""
    known = cards.known_card(number)
    return {
        "test_card": known.number if known else None,
        "masked_number": cards.mask_number(number),
        "bin_number": number[:6],
        "last4": number[-4:],
        "brand": cards.brand(number),
        "exp_month": month,
        "exp_year": year,
        "holder": cards.mask_holder(holder),
    }


def _wrong_state(sale: Record, rule: str) -> Refusal:
    """30002: the sale's state forbids the request; the message says which rule."""
    detail = f"Sale is {shown_status(sale)}; {rule}."
    return Refusal(400, codes.INVALID_TRANSACTION, {"sale_token": [detail]})


def _chargeable(sale_token: str) -> Record:
    sale = get(sale_token)
    if sale["status"] not in CHARGEABLE or now() >= sale["expires_at"]:
        raise _wrong_state(sale, "only an unexpired Created or Declined sale is charged")
    return sale


def _refused_before_authorisation(card: Record, installment: int) -> str | None:
    """Unknown number (10009), expired on the sandbox clock (10023), installment not offered
    by the card's bank (30037): refused before any 3-D step, as a gateway checks first."""
    if card["test_card"] is None:
        return cards.UNKNOWN_CARD
    if cards.is_expired(card["exp_month"], card["exp_year"], now()):
        return cards.EXPIRED
    bank = cards.bank_for_bin(card["bin_number"])
    if installment not in (bank.installments if bank else (1,)):
        return cards.INVALID_INSTALLMENT
    return None


def _bank_answer(card: Record) -> str | None:
    known = cards.known_card(card["test_card"] or "")
    return known.error_code if known else cards.UNKNOWN_CARD


def _transaction(sale: Record, card: Record, kind: str, amount: Decimal, **fields: Any) -> Record:
    return {
        "type": kind,
        "succeeded": True,
        "error_code": None,
        "amount": amount,
        "currency": sale["currency"],
        "is_secure": False,
        "created_at": now(),
        "card": card,
        "paytrek_ref_id": "".join(secrets.choice(_REF_ALPHABET) for _ in range(20)),
        **fields,
    }


def _authorised(
    sale: Record, card: Record, installment: int, error_code: str | None, secure: bool
) -> Record:
    """The sale after the bank's answer: paid or pre-authorised, else declined with the code.
    The installment is the one charged (the hosted form lets the customer choose it)."""
    succeeded_status = PREAUTHORIZED if sale["pre_auth"] else PAID
    status = succeeded_status if error_code is None else DECLINED
    kind = "PreAuth" if sale["pre_auth"] else "Sale"
    entry = _transaction(
        sale,
        card,
        kind,
        sale["amount"],
        succeeded=error_code is None,
        error_code=error_code,
        is_secure=secure,
    )
    return current().store.update(
        PROVIDER,
        SALES,
        sale["id"],
        status=status,
        financial_status=READY_TO_SEND if status == PAID else None,
        installment=installment,
        transactions=[*sale["transactions"], entry],
    )


def charge(
    sale_token: str, card: Record, installment: int | None = None, secure: bool | None = None
) -> tuple[Record, str | None]:
    """``(sale, 3-D session id)``; installment and 3-D default to what the sale says.

    With ``secure`` and nothing refused up front, a 3-D session opens and nothing is charged
    until the 3-D page answers; otherwise the bank answers now.
    """
    with current().store.locked():
        sale = _chargeable(sale_token)
        installment = sale["installment"] if installment is None else installment
        secure = sale["secure_option"] if secure is None else secure
        refused = _refused_before_authorisation(card, installment)
        if refused is None and secure:
            return sale, _open_three_d(sale, card, installment)
        answer = refused if refused is not None else _bank_answer(card)
        return _authorised(sale, card, installment, answer, secure=False), None


def _open_three_d(sale: Record, card: Record, installment: int) -> str:
    session_id = secrets.token_urlsafe(16)
    record = {
        "sale_token": sale["sale_token"],
        "card": card,
        "installment": installment,
        "done": False,
    }
    current().store.insert(PROVIDER, THREE_D_SESSIONS, record, record_id=session_id)
    return session_id


def three_d_session(session_id: str) -> Record | None:
    return current().store.get(PROVIDER, THREE_D_SESSIONS, session_id)


def finish_three_d(session_id: str, password: str) -> Record:
    """The 3-D page's answer, once per session: the password "a" lets the bank answer (the
    40006 test card fails anyway); any other password fails 40006 (Authentication Failure)."""
    store = current().store
    with store.locked():
        session = three_d_session(session_id)
        if session is None or session["done"]:
            raise Refusal(400, codes.INVALID_TRANSACTION, {"session": ["Not pending."]})
        store.update(PROVIDER, THREE_D_SESSIONS, session_id, done=True)
        sale = _chargeable(session["sale_token"])
        card = session["card"]
        if matches(password, cards.THREE_D_PASSWORD):
            answer = _bank_answer(card)
        else:
            answer = cards.AUTHENTICATION_FAILURE
        return _authorised(sale, card, session["installment"], answer, secure=True)


def _followed_by(sale: Record, kind: str, amount: Decimal, **changes: Any) -> Record:
    entry = _transaction(sale, sale["transactions"][-1]["card"], kind, amount)
    transactions = [*sale["transactions"], entry]
    return current().store.update(PROVIDER, SALES, sale["id"], transactions=transactions, **changes)


def capture(sale_token: str) -> Record:
    """PreAuthorized -> Paid; any other sale "capture edilemez" (30002)."""
    with current().store.locked():
        sale = get(sale_token)
        if sale["status"] != PREAUTHORIZED:
            raise _wrong_state(sale, "only a PreAuthorized sale is captured")
        return _followed_by(
            sale, "Capture", sale["amount"], status=PAID, financial_status=READY_TO_SEND
        )


def _remaining(sale: Record) -> Decimal:
    return sale["amount"] - sale["refunded_amount"]


def cancel(sale_token: str) -> tuple[Record, Decimal]:
    """Void, or fully refund what remains; a pre-authorisation cannot be voided (9000).
    Nothing paid, or nothing left -> 30005 ("the original could not be found")."""
    with current().store.locked():
        sale = get(sale_token)
        if sale["status"] == PREAUTHORIZED:
            raise Refusal(400, codes.PREAUTH_CANNOT_VOID)
        if sale["status"] not in REFUNDABLE:
            raise Refusal(400, codes.NOTHING_TO_CANCEL)
        amount = _remaining(sale)
        changes = {"status": CANCELLED, "refunded_amount": sale["amount"]}
        return _followed_by(sale, "Cancel", amount, **changes), amount


def refund(sale_token: str, amount: Decimal | None) -> tuple[Record, Decimal]:
    """Refund ``amount`` (all that remains when None); more than remains -> 30003."""
    with current().store.locked():
        sale = get(sale_token)
        if sale["status"] not in REFUNDABLE:
            raise Refusal(400, codes.NOTHING_TO_CANCEL)
        left = _remaining(sale)
        amount = left if amount is None else amount
        if amount > left:
            raise Refusal(400, codes.INVALID_AMOUNT, {"amount": [f"At most {left} remains."]})
        refunded = sale["refunded_amount"] + amount
        status = REFUNDED if refunded == sale["amount"] else PARTIALLY_REFUNDED
        changes = {"status": status, "refunded_amount": refunded}
        return _followed_by(sale, "Refund", amount, **changes), amount
