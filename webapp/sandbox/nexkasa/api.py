"""NexKasa's public API as its guide and code define it (nexkasa-api.txt §2-§5, public-notes §3).

``POST /api/public/deposit-request/`` and ``POST /api/public/withdraw-request/`` (``GET`` says
the API is active), mounted below ``/nexkasa``. Each request passes, as in Django REST
framework: the ``X-API-KEY`` check (403 ``{"detail": ...}``), the scoped throttle (429 with
``Retry-After``: deposit 10/min, withdraw 5/min per key, on the sandbox clock), body parsing,
the serializer (400 ``{"field": ["message"]}``), then NexKasa's own rules (404/409
``{"error": ...}``).

Trust boundary: everything here is caller input; only a matching API key gets past the gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from ..auth import api_key, matches
from ..services import current
from ..store import Record
from ..throttle import Rate, seconds_to_wait
from . import serializers, transactions

bp = Blueprint("nexkasa_api", __name__)

DEPOSIT_RATE = Rate(requests=10, per_seconds=60)
WITHDRAW_RATE = Rate(requests=5, per_seconds=60)


class _Answer(Exception):
    """Stops a request with NexKasa's response."""

    def __init__(self, body: Any, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.response = jsonify(body)
        self.response.status_code = status
        self.response.headers.update(headers or {})


@bp.errorhandler(_Answer)
def _answer(answer: _Answer) -> Response:
    return answer.response


def _authenticate() -> str:
    presented = api_key(request.headers)
    if presented is None:
        # §3.1: NexKasa's code lets a request without X-API-KEY through unauthenticated. The
        # guide (§2) makes the header mandatory, and the sandbox is stricter than the real
        # service so that a client forgetting the key fails here rather than in production.
        raise _Answer({"detail": "Authentication credentials were not provided."}, 403)
    if not matches(presented, current_app.config["NEXKASA_API_KEY"]):
        raise _Answer({"detail": "Invalid API Key"}, 403)
    return presented


def _throttle(scope: str, rate: Rate, key: str) -> None:
    sandbox = current()
    wait = seconds_to_wait(sandbox.store, sandbox.clock, "nexkasa", scope, key, rate)
    if wait is not None:
        unit = "second" if wait == 1 else "seconds"
        detail = f"Request was throttled. Expected available in {wait} {unit}."
        raise _Answer({"detail": detail}, 429, {"Retry-After": str(wait)})


def _reject_constant(name: str) -> None:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")


def _request_data() -> Any:
    """The body as DRF's default parsers read it: JSON (numbers as Decimal), or a form."""
    body = request.get_data()
    if not body:
        return {}
    if request.mimetype == "application/json":
        try:
            return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
        except ValueError as error:
            raise _Answer({"detail": f"JSON parse error - {error}"}, 400) from None
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    raise _Answer({"detail": f'Unsupported media type "{request.mimetype}" in request.'}, 415)


def _validated(
    fields: Mapping[str, serializers.Field], checks: Mapping[str, serializers.Check]
) -> dict[str, Any]:
    validated, errors = serializers.validate(_request_data(), fields, checks)
    if errors:
        raise _Answer(errors, 400)
    return validated


def _created(action: Callable[[Mapping[str, Any]], Record], validated: dict[str, Any]) -> Record:
    try:
        return action(validated)
    except transactions.Refused as refused:
        raise _Answer({"error": refused.message}, refused.status) from None


@bp.route("/api/public/deposit-request/", methods=["GET", "POST"])
def deposit_request() -> ResponseReturnValue:
    _throttle("deposit", DEPOSIT_RATE, _authenticate())
    if request.method == "GET":
        return jsonify(
            status="active",
            message="Deposit API is active. Please use POST to create a request.",
        )
    validated = _validated(serializers.DEPOSIT_FIELDS, serializers.DEPOSIT_CHECKS)
    deposit = _created(transactions.create_deposit, validated)
    if current().settings("nexkasa")["deposit_response"] == "legacy":
        # The guide's example (nexkasa-api.txt §3.1), from an older NexKasa version.
        body = {
            "status": "success",
            "transaction_id": deposit["id"],
            "message": "Deposit request received.",
        }
    else:  # what NexKasa's code returns at HEAD (public-notes §3.2)
        body = {
            "status": "success",
            "transaction_token": deposit["transaction_token"],
            "external_id": deposit["external_id"],
            "banka_bilgileri": deposit["bank_account"],
        }
    return jsonify(body), 201


@bp.route("/api/public/withdraw-request/", methods=["GET", "POST"])
def withdraw_request() -> ResponseReturnValue:
    _throttle("withdraw", WITHDRAW_RATE, _authenticate())
    if request.method == "GET":
        return jsonify(
            status="active",
            message="Withdrawal API is active. Please use POST to create a request.",
        )
    validated = _validated(serializers.WITHDRAW_FIELDS, serializers.WITHDRAW_CHECKS)
    withdrawal = _created(transactions.create_withdrawal, validated)
    body = {
        "status": "success",
        "transaction_id": withdrawal["id"],
        "message": "Talebiniz alındı, işleme hazırlanıyor",
    }
    return jsonify(body), 201
