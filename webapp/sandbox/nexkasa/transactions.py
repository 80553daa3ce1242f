"""NexKasa's transactions: creation rules, the operator's decisions, the pending list.

Statuses and moves follow NexKasa's code (public-notes §3.2-§3.4): a deposit starts PENDING on
a random bank account whose limits fit the amount; a withdrawal starts WAITING_ASSIGNMENT (the
pool), is assigned (PENDING), then approved or rejected. Every transaction has a numeric id, the
``transaction_id`` of callbacks. ``external_user_id`` is what callbacks call ``external_id``:
the deposit's ``user_id`` or the withdrawal's ``external_id`` (§3.5).

Trust boundary: input arrives validated by ``serializers``; ids come from the operator routes.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import url_for

from ..registry import OperatorAction, PendingItem
from ..services import current
from ..store import Record

PROVIDER = "nexkasa"
TABLE = "transactions"

WAITING_ASSIGNMENT, PENDING, APPROVED, REJECTED = (
    "WAITING_ASSIGNMENT",
    "PENDING",
    "APPROVED",
    "REJECTED",
)
DEPOSIT, WITHDRAW = "DEPOSIT", "WITHDRAW"


@dataclass(frozen=True)
class BankAccount:
    bank_name: str
    account_holder: str
    iban: str
    min_deposit: Decimal
    max_deposit: Decimal


# The sandbox's dealers' accounts: deposits of 10.00 to 50000.00 TRY find one (§3.2's 404).
BANK_ACCOUNTS = (
    BankAccount(
        "Ziraat Bankası", "NexKasa Sandbox A.Ş.", "TR840001000000012345678901",
        Decimal("10.00"), Decimal("50000.00"),
    ),
    BankAccount(
        "Garanti BBVA", "NexKasa Sandbox A.Ş.", "TR350006200000098765432101",
        Decimal("10.00"), Decimal("50000.00"),
    ),
)  # fmt: skip


class Refused(Exception):
    """NexKasa answers the request with ``{"error": message}`` and ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# NexKasa's own messages, as its views write them (§3.2, §3.3).
_DEPOSIT_PENDING = "Zaten bekleyen bir yatırım işleminiz var."
_WITHDRAW_PENDING = "Zaten bekleyen bir işleminiz var. Lütfen sonuçlanmasını bekleyin."
_NO_ACCOUNT = "Uygun hesap bulunamadı (Limitler dolu veya limit dışı miktar)."


def _open_for(external_user_id: str, statuses: Sequence[str], kind: str | None) -> bool:
    return bool(
        current().store.find(
            PROVIDER,
            TABLE,
            lambda tx: (
                tx["external_user_id"] == external_user_id
                and tx["status"] in statuses
                and kind in (None, tx["type"])
            ),
        )
    )


def create_deposit(request: Mapping[str, Any]) -> Record:
    """Raises ``Refused`` (409 pending deposit, 404 no account fits)."""
    store = current().store
    with store.locked():
        if _open_for(request["user_id"], [PENDING], DEPOSIT):
            raise Refused(409, _DEPOSIT_PENDING)
        amount = request["amount"]
        fitting = [a for a in BANK_ACCOUNTS if a.min_deposit <= amount <= a.max_deposit]
        if not fitting:
            raise Refused(404, _NO_ACCOUNT)
        account = secrets.choice(fitting)
        return store.insert(
            PROVIDER,
            TABLE,
            {
                "type": DEPOSIT,
                "status": PENDING,
                "amount": amount,
                "external_user_id": request["user_id"],
                "external_id": request.get("external_id"),
                "full_name": request["full_name"],
                "callback_url": request.get("callback_url"),
                "transaction_token": str(uuid.uuid4()),
                "bank_account": {
                    "banka_adi": account.bank_name,
                    "alici_adi": account.account_holder,
                    "iban": account.iban,
                },
                "created_at": current().clock.now(),
            },
        )


def create_withdrawal(request: Mapping[str, Any]) -> Record:
    """Raises ``Refused`` (409 when that external_id has a waiting or pending transaction)."""
    store = current().store
    with store.locked():
        # NexKasa's check ignores the type: a pending deposit whose user_id equals this
        # external_id blocks the withdrawal too.
        if _open_for(request["external_id"], [PENDING, WAITING_ASSIGNMENT], None):
            raise Refused(409, _WITHDRAW_PENDING)
        return store.insert(
            PROVIDER,
            TABLE,
            {
                "type": WITHDRAW,
                "status": WAITING_ASSIGNMENT,
                "amount": request["amount"],
                "external_user_id": request["external_id"],
                "customer_iban": request["customer_iban"],
                "customer_name": request["customer_name"],
                "callback_url": request.get("callback_url"),
                "created_at": current().clock.now(),
            },
        )


class UnknownTransaction(Exception):
    """No transaction has that id."""


class WrongState(Exception):
    """The operator's action does not apply to the transaction as it is now."""


def _move(transaction_id: int, allowed_from: Sequence[str], **changes: Any) -> Record:
    store = current().store
    with store.locked():
        transaction = store.get(PROVIDER, TABLE, transaction_id)
        if transaction is None:
            raise UnknownTransaction(f"no NexKasa transaction {transaction_id}")
        if transaction["status"] not in allowed_from:
            raise WrongState(f"transaction {transaction_id} is {transaction['status']}")
        return store.update(PROVIDER, TABLE, transaction_id, **changes)


def assign(transaction_id: int) -> Record:
    """A pooled withdrawal goes to a dealer: WAITING_ASSIGNMENT -> PENDING (no callback)."""
    return _move(transaction_id, [WAITING_ASSIGNMENT], status=PENDING)


def approve(transaction_id: int) -> Record:
    now = current().clock.now()
    return _move(transaction_id, [PENDING], status=APPROVED, processed_at=now)


def reject(transaction_id: int, reason: str | None) -> Record:
    now = current().clock.now()
    return _move(
        transaction_id,
        [PENDING, WAITING_ASSIGNMENT],
        status=REJECTED,
        processed_at=now,
        rejection_reason=reason,
    )


def _actions(transaction: Record) -> list[OperatorAction]:
    def action(label: str, endpoint: str, asks_reason: bool = False) -> OperatorAction:
        url = url_for(f"nexkasa_operator.{endpoint}", transaction_id=transaction["id"])
        return OperatorAction(label, url, asks_reason)

    first = action("Ata", "assign")
    if transaction["status"] == PENDING:
        first = action("Onayla", "approve")
    return [first, action("Reddet", "reject", asks_reason=True)]


def pending_items() -> list[PendingItem]:
    """Deposits and withdrawals awaiting the operator, oldest first."""
    waiting = current().store.find(
        PROVIDER, TABLE, lambda tx: tx["status"] in (PENDING, WAITING_ASSIGNMENT)
    )
    return [
        PendingItem(
            item_id=str(tx["id"]),
            summary={
                "Tür": "Yatırım" if tx["type"] == DEPOSIT else "Çekim",
                "Durum": tx["status"],
                "Tutar": f"{tx['amount']} TRY",
                "Kullanıcı": tx["external_user_id"],
                "Ad Soyad": tx.get("full_name") or tx.get("customer_name", ""),
                **({"IBAN": tx["customer_iban"]} if tx["type"] == WITHDRAW else {}),
            },
            actions=_actions(tx),
        )
        for tx in waiting
    ]
