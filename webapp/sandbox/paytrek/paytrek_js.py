"""PaytrekJS (paytrek-api.txt "PaytrekJS Kütüphanesi"): the script and the tokenization API.

``GET /static/v2/js/paytrek.js`` serves ``static/paytrek.js`` (``Paytrek.Options``,
``Paytrek.Form``, ``createToken``, ``Paytrek.CreditCard``). The document does not name the
tokenization endpoint; the sandbox's is ``POST /api/v2/tokenization/`` with a JSON body
``{publishable_key, number, expiration, cvc, card_holder_name, sale_data?}``. It answers the
vault entry (``card_token`` ...) or Paytrek's envelope with ``errors`` ("card_token veya errors").

The merchant's page calls it from another origin with a JSON body, which needs a CORS
preflight: every answer (errors included) allows the calling ``Origin``; no credentials are
involved, the publishable key travels in the body. Trust boundary: the publishable key is
public by design; it only lets a caller vault a card, never read or charge one.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, request, send_from_directory
from flask.typing import ResponseReturnValue

from ..auth import matches
from . import representations, validation
from .blueprint import bp, json_body, refusal_response, require_json_content_type
from .codes import AUTHENTICATION_ERROR, Refusal
from .vault import card_from_fields, store_card
from .wire import json_response

STATIC = Path(__file__).parent / "static"

TOKENIZATION_FIELDS = {
    **validation.CARD_FIELDS,
    "card_holder_name": validation.Field(validation.text(), required=True),
    "sale_data": validation.Field(validation.json_object),
}


@bp.get("/static/v2/js/paytrek.js")
def script() -> ResponseReturnValue:
    response = send_from_directory(STATIC, "paytrek.js", mimetype="text/javascript", max_age=60)
    # Lets a merchant page load it with crossorigin="anonymous" for Subresource Integrity.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _allow_origin(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
    response.headers["Vary"] = "Origin"
    return response


def _tokenize() -> Response:
    require_json_content_type()
    data = json_body()
    presented = data.get("publishable_key") if isinstance(data, dict) else None
    key = current_app.config["PAYTREK_PUBLISHABLE_KEY"]
    if not isinstance(presented, str) or not matches(presented, key):
        raise Refusal(401, AUTHENTICATION_ERROR, {"publishable_key": ["Invalid publishable key."]})
    fields = validation.validated(data, TOKENIZATION_FIELDS)
    entry = store_card(card_from_fields(fields), sale_data=fields["sale_data"])
    return json_response(representations.vault_entry(entry))


@bp.route("/api/v2/tokenization/", methods=["POST", "OPTIONS"])
def tokenization() -> ResponseReturnValue:
    if request.method == "OPTIONS":  # the preflight a cross-origin JSON POST sends first
        preflight = Response(status=204)
        preflight.headers["Access-Control-Allow-Methods"] = "POST"
        preflight.headers["Access-Control-Allow-Headers"] = "Content-Type"
        preflight.headers["Access-Control-Max-Age"] = "600"
        return _allow_origin(preflight)
    try:
        return _allow_origin(_tokenize())
    except Refusal as refusal:
        return _allow_origin(refusal_response(refusal))
