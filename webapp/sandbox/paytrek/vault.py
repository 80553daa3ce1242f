"""Paytrek's card vault (paytrek-api.txt "Kart Saklama"): store, read, list, delete cards.

``POST /api/v2/vault/`` (200, as the document shows), ``GET /api/v2/vault/`` (``count``,
``next``, ``previous``, ``results``; filters ``card_user_id`` and ``card_label``),
``GET`` and ``DELETE /api/v2/vault/<card_token>/`` (204). Entries are also made by PaytrekJS's
tokenization (``paytrek_js``) and by charges with ``save_card``.

Trust boundary: behind the merchant's Basic credentials. An entry keeps what ``sales.card_on_file``
keeps (BIN, last four, which test card), so no answer and no sandbox record ever holds a PAN.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue

from ..services import current
from ..store import Record
from . import codes, representations, sales, validation
from .blueprint import bp, merchant_call, merchant_input
from .codes import Refusal
from .wire import json_response

VAULT = "vault"


def store_card(card: Record, label: str = "", user_id: str | None = None, **extra: Any) -> Record:
    card_token = str(uuid.uuid4())
    entry = {
        "card_token": card_token,
        "card": card,
        "card_label": label,
        "card_user_id": user_id or uuid.uuid4().hex,
        "created_at": sales.now(),
        "deleted": False,  # the store never forgets a record; a deleted card is one marked so
        **extra,
    }
    return current().store.insert(sales.PROVIDER, VAULT, entry, record_id=card_token)


def card_from_fields(fields: Mapping[str, Any]) -> Record:
    month, year = fields["expiration"]
    return sales.card_on_file(fields["number"], month, year, fields["card_holder_name"])


def get_entry(card_token: str) -> Record:
    entry = current().store.get(sales.PROVIDER, VAULT, card_token)
    if entry is None or entry["deleted"]:
        raise Refusal(404, codes.INVALID_TRANSACTION, {"card_token": ["Not found."]})
    return entry


@bp.route("/api/v2/vault/", methods=["GET", "POST"])
def vault() -> ResponseReturnValue:
    if request.method == "POST":
        fields = merchant_input(validation.VAULT_FIELDS)
        entry = store_card(card_from_fields(fields), fields["card_label"], fields["card_user_id"])
        return json_response(representations.vault_entry(entry))
    merchant_call()
    wanted = {
        key: request.args[key] for key in ("card_user_id", "card_label") if key in request.args
    }
    entries = current().store.find(
        sales.PROVIDER,
        VAULT,
        lambda entry: not entry["deleted"] and all(entry[k] == v for k, v in wanted.items()),
    )
    results = [representations.vault_entry(entry) for entry in entries]
    return json_response(
        {"count": len(results), "next": None, "previous": None, "results": results}
    )


@bp.route("/api/v2/vault/<card_token>/", methods=["GET", "DELETE"])
def vault_entry(card_token: str) -> ResponseReturnValue:
    merchant_call()
    entry = get_entry(card_token)
    if request.method == "DELETE":
        current().store.update(sales.PROVIDER, VAULT, entry["card_token"], deleted=True)
        return Response(status=204, mimetype="application/json")
    return json_response(representations.vault_entry(entry))
