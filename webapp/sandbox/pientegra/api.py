"""Pientegra's External API, mounted below ``/pientegra``: base URL ``<sandbox>/pientegra/api/v1``.

- ``POST /external/deposits`` -> 201 ``{intentId, referenceNo, depositUrl, requestedAmount,
  amount, currency, expiresAt}`` (§2.3)
- ``POST /external/withdrawals`` -> 201 ``{withdrawalId, referenceNo}`` plus ``status`` (§2.4)
- ``GET /external/intents/{intentId}``; ``GET /external/withdrawals/{withdrawalId}`` (the
  latter an inference, §2.5 [NF])
- ``GET /external/intents``, ``GET /external/withdrawals``, ``GET /external/events`` (lists)
- ``POST /external/events/{eventId}/replay`` -> 202 with the event, re-queued (§2.5)

``gate`` checks key, rate limit and Idempotency-Key first; ``wire`` reads bodies; errors use
the one shape of ``errors``. Sandbox fault rules name these paths without the ``/pientegra``
prefix (``POST /api/v1/external/deposits``).

Trust boundary: caller input throughout; nothing passes without the configured API key.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from . import events, gate, hosted, intents, listing, wire, withdrawals
from .errors import ApiError

bp = Blueprint("pientegra_api", __name__)
gate.install(bp)
bp.register_blueprint(hosted.bp)  # below /pientegra too, but a blueprint faults leave alone
EXTERNAL = "/api/v1/external"


@bp.errorhandler(ApiError)
def _refused(error: ApiError) -> Response:
    return error.response()


def _created(body: dict[str, object], status: int = 201) -> Response:
    response = jsonify(body)
    response.status_code = status
    return gate.keep(response)


@bp.post(f"{EXTERNAL}/deposits")
def create_deposit() -> ResponseReturnValue:
    data = wire.json_object()
    intent = intents.create(
        {
            "externalUserId": wire.text(data, "externalUserId"),
            "externalUserLabel": wire.text(
                data, "externalUserLabel", required=False, max_length=wire.LABEL_MAX
            ),
            "amount": wire.amount(data),
            "currency": wire.currency(data),
        }
    )
    return _created(
        {
            "intentId": intent["id"],
            "referenceNo": intent["referenceNo"],
            "depositUrl": url_for(
                "pientegra_api.pientegra_hosted.deposit_page",
                token=intent["pageToken"],
                _external=True,
            ),
            "requestedAmount": str(intent["requestedAmount"]),
            "amount": str(intent["amount"]),
            "currency": intent["currency"],
            "expiresAt": wire.timestamp(intent["expiresAt"]),
        }
    )


@bp.post(f"{EXTERNAL}/withdrawals")
def create_withdrawal() -> ResponseReturnValue:
    data = wire.json_object()
    withdrawal = withdrawals.create(
        {
            "externalUserId": wire.text(data, "externalUserId"),
            "externalUserLabel": wire.text(
                data, "externalUserLabel", required=False, max_length=wire.LABEL_MAX
            ),
            "amount": wire.amount(data, text_only=True),  # §2.4: a string, e.g. "250000"
            "currency": wire.currency(data),
            "targetIban": wire.turkish_iban(data, "targetIban"),
            "targetHolderName": wire.text(data, "targetHolderName"),
        }
    )
    return _created(
        {
            "withdrawalId": withdrawal["id"],
            "referenceNo": withdrawal["referenceNo"],
            "status": withdrawal["status"],
        }
    )


@bp.get(f"{EXTERNAL}/intents/<intent_id>")
def intent_status(intent_id: str) -> ResponseReturnValue:
    intents.expire_due()
    return jsonify(intents.item(intents.MACHINE.get(intent_id)))


@bp.get(f"{EXTERNAL}/withdrawals/<withdrawal_id>")
def withdrawal_status(withdrawal_id: str) -> ResponseReturnValue:
    return jsonify(withdrawals.item(withdrawals.MACHINE.get(withdrawal_id)))


@bp.get(f"{EXTERNAL}/intents")
def intent_list() -> ResponseReturnValue:
    intents.expire_due()
    query = listing.list_query(request.args)
    wanted = listing.choices(request.args, "status", intents.STATUSES)
    shown = [i for i in intents.MACHINE.all() if wanted is None or i["status"] in wanted]
    return jsonify(listing.page(shown, query, lambda i: i["createdAt"], intents.item))


@bp.get(f"{EXTERNAL}/withdrawals")
def withdrawal_list() -> ResponseReturnValue:
    query = listing.list_query(request.args)
    wanted = listing.choices(request.args, "status", withdrawals.STATUSES)
    shown = [w for w in withdrawals.MACHINE.all() if wanted is None or w["status"] in wanted]
    return jsonify(listing.page(shown, query, lambda w: w["createdAt"], withdrawals.item))


@bp.get(f"{EXTERNAL}/events")
def event_list() -> ResponseReturnValue:
    intents.expire_due()
    query = listing.list_query(request.args)
    types = listing.choices(request.args, "eventType", events.EVENT_TYPES)
    statuses = listing.choices(request.args, "deliveryStatus", events.DELIVERY_STATUSES)
    shown = [
        entry
        for entry in events.ledger()
        if (types is None or entry["eventType"] in types)
        and (statuses is None or entry["deliveryStatus"] in statuses)
    ]
    return jsonify(listing.page(shown, query, lambda e: e["occurredAt"], events.item))


@bp.post(f"{EXTERNAL}/events/<event_id>/replay")
def replay_event(event_id: str) -> ResponseReturnValue:
    return _created(events.item(events.replay(event_id)), status=202)
