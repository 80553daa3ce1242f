"""Sandbox-only routes where Pientegra's operator decides, mounted at ``/pientegra/_operator``.

Stand-ins for Pientegra's back office (not part of its API, never faulted). The shared operator
page (``/_sandbox/operator``) lists Pientegra's open items with buttons named like
"Onayla D-2026-0000001"; this package's own page (``GET /pientegra/_operator/``) shows the same
items plus the field "Onaylanan tutar" (kuruş), to approve a deposit for another amount than
requested. Forms and tests' JSON posts use the same routes:

- ``/intents/<intentId>/``: ``approve`` (``amount``: optional, minor units), ``reject``
  (``reason``), ``late-arrival`` (money came after an AUTO_CANCELLED intent expired)
- ``/withdrawals/<withdrawalId>/``: ``approve``, ``send`` (SENT), ``reject`` (``reason``),
  ``return`` (RETURNED)

A JSON post is answered with the object as the API's lookup shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from ..operator import CSRF_FIELD, operator_input, operator_reply
from ..registry import OperatorAction, PendingItem
from ..services import current
from ..store import Record
from . import intents, wire, withdrawals
from .errors import ApiError

bp = Blueprint("pientegra_operator", __name__)


@dataclass(frozen=True)
class Action(OperatorAction):
    asks_amount: bool = False
    """Offer "Onaylanan tutar" (only this package's page renders it)."""


@bp.errorhandler(ApiError)
def _refused(error: ApiError) -> ResponseReturnValue:
    return error.response()


def _reason(data: Mapping[str, Any]) -> str | None:
    return str(data.get("reason") or "").strip() or None


@bp.post("/intents/<intent_id>/approve")
def approve_intent(intent_id: str) -> ResponseReturnValue:
    data = operator_input()
    amount = None if data.get("amount") in (None, "") else wire.amount(data)
    intents.expire_due()
    return operator_reply(intents.item(intents.approve(intent_id, amount)))


@bp.post("/intents/<intent_id>/reject")
def reject_intent(intent_id: str) -> ResponseReturnValue:
    reason = _reason(operator_input())
    intents.expire_due()
    return operator_reply(intents.item(intents.reject(intent_id, reason)))


@bp.post("/intents/<intent_id>/late-arrival")
def late_arrival(intent_id: str) -> ResponseReturnValue:
    operator_input()
    intents.expire_due()
    return operator_reply(intents.item(intents.late_arrival(intent_id)))


@bp.post("/withdrawals/<withdrawal_id>/approve")
def approve_withdrawal(withdrawal_id: str) -> ResponseReturnValue:
    operator_input()
    return operator_reply(withdrawals.item(withdrawals.approve(withdrawal_id)))


@bp.post("/withdrawals/<withdrawal_id>/send")
def send_withdrawal(withdrawal_id: str) -> ResponseReturnValue:
    operator_input()
    return operator_reply(withdrawals.item(withdrawals.mark_sent(withdrawal_id)))


@bp.post("/withdrawals/<withdrawal_id>/reject")
def reject_withdrawal(withdrawal_id: str) -> ResponseReturnValue:
    reason = _reason(operator_input())
    return operator_reply(withdrawals.item(withdrawals.reject(withdrawal_id, reason)))


@bp.post("/withdrawals/<withdrawal_id>/return")
def return_withdrawal(withdrawal_id: str) -> ResponseReturnValue:
    operator_input()
    return operator_reply(withdrawals.item(withdrawals.mark_returned(withdrawal_id)))


@bp.get("/")
def desk() -> ResponseReturnValue:
    return render_template(
        "sandbox/pientegra/operator.html",
        items=pending_items(),
        token_field=CSRF_FIELD,
        token=current().operator_token,
    )


# Per status: (button label, endpoint, the field it asks for).
_DECIDE_DEPOSIT = (("Onayla", "approve_intent", "amount"), ("Reddet", "reject_intent", "reason"))
_INTENT_ACTIONS = {
    intents.RESERVED: _DECIDE_DEPOSIT,
    intents.PENDING_REVIEW: _DECIDE_DEPOSIT,
    intents.AUTO_CANCELLED: (("Geç gelen ödeme", "late_arrival", None),),
    intents.LATE_ARRIVAL: _DECIDE_DEPOSIT,
}
_WITHDRAWAL_ACTIONS = {
    withdrawals.PENDING_REVIEW: (
        ("Onayla", "approve_withdrawal", None),
        ("Reddet", "reject_withdrawal", "reason"),
    ),
    withdrawals.APPROVED: (
        ("Gönderildi", "send_withdrawal", None),
        ("Reddet", "reject_withdrawal", "reason"),
    ),
    withdrawals.SENT: (("İade edildi", "return_withdrawal", None),),
}


def _actions(record: Record, by_status: Mapping[str, Any], id_name: str) -> list[Action]:
    return [
        Action(
            label,
            url_for(f"pientegra_operator.{endpoint}", **{id_name: record["id"]}),
            asks_reason=asks == "reason",
            asks_amount=asks == "amount",
        )
        for label, endpoint, asks in by_status[record["status"]]
    ]


def pending_items() -> list[PendingItem]:
    """Items an operator can still act on, by referenceNo: deposits, then withdrawals."""
    intents.expire_due()
    deposits = [
        PendingItem(
            item_id=intent["referenceNo"],
            summary={
                "Tür": "Yatırım",
                "Durum": intent["status"],
                "İstenen tutar": wire.lira(intent["requestedAmount"]),
                "Kullanıcı": intent["externalUserId"],
                "Son geçerlilik": wire.timestamp(intent["expiresAt"]) or "",
            },
            actions=_actions(intent, _INTENT_ACTIONS, "intent_id"),
        )
        for intent in intents.MACHINE.all()
        if intent["status"] in _INTENT_ACTIONS
    ]
    payouts = [
        PendingItem(
            item_id=withdrawal["referenceNo"],
            summary={
                "Tür": "Çekim",
                "Durum": withdrawal["status"],
                "Tutar": wire.lira(withdrawal["amount"]),
                "Kullanıcı": withdrawal["externalUserId"],
                "Alıcı": withdrawal["targetHolderName"],
                "IBAN": withdrawal["targetIban"],
            },
            actions=_actions(withdrawal, _WITHDRAWAL_ACTIONS, "withdrawal_id"),
        )
        for withdrawal in withdrawals.MACHINE.all()
        if withdrawal["status"] in _WITHDRAWAL_ACTIONS
    ]
    return deposits + payouts
