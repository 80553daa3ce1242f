"""Sandbox-only routes where NexKasa's operator decides: assign, approve, reject.

Stand-ins for NexKasa's admin panel (not part of its API, never faulted), mounted at
``/nexkasa/_operator``. The operator page's forms and tests' JSON posts use the same routes.
Approving or rejecting sends NexKasa's two callbacks; assigning sends none (§3.5).
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from ..operator import operator_input, operator_reply
from ..store import Record
from . import callbacks, transactions

bp = Blueprint("nexkasa_operator", __name__)


def _decided(record: Record) -> ResponseReturnValue:
    callbacks.send_decision_callbacks(record, current_app.config["NEXKASA_WEBHOOK_SECRET"])
    return operator_reply(record)


@bp.errorhandler(transactions.UnknownTransaction)
def _unknown(error: transactions.UnknownTransaction) -> ResponseReturnValue:
    return {"error": str(error)}, 404


@bp.errorhandler(transactions.WrongState)
def _wrong_state(error: transactions.WrongState) -> ResponseReturnValue:
    return {"error": str(error)}, 409


@bp.post("/<int:transaction_id>/assign")
def assign(transaction_id: int) -> ResponseReturnValue:
    operator_input()
    return operator_reply(transactions.assign(transaction_id))


@bp.post("/<int:transaction_id>/approve")
def approve(transaction_id: int) -> ResponseReturnValue:
    operator_input()
    return _decided(transactions.approve(transaction_id))


@bp.post("/<int:transaction_id>/reject")
def reject(transaction_id: int) -> ResponseReturnValue:
    reason = str(operator_input().get("reason") or "").strip() or None
    return _decided(transactions.reject(transaction_id, reason))
