"""The one blueprint every Paytrek route hangs on, and the gate each merchant API call passes.

Routes live in ``api``, ``vault`` and ``hosted`` and register on ``bp``, so the framework's
fault injection (``injection.py``) reaches every one of them, API and pages alike.

A merchant API call passes, in the order Django REST framework (Paytrek's stack) checks:
HTTP Basic auth with api_key:secret (else 401, code 30013, ``WWW-Authenticate: Basic``), then
``Content-Type: application/json`` (else 415, code 30009). The document says "Tüm isteklerin
headerları Content-Type: application/json içermelidir", so the sandbox demands it on GET and
DELETE too (a body-less DRF view would not notice) and answers 415 Unsupported Media Type, the
status DRF gives a request whose media type it cannot parse. Then the JSON body (400, 30009).

Trust boundary: everything here is caller input; only the configured credentials get past.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request

from ..auth import basic_matches
from . import validation
from .codes import AUTHENTICATION_ERROR, INCOMPATIBLE_DATA, Refusal
from .wire import json_response, parse_json

bp = Blueprint("paytrek_api", __name__)


@bp.errorhandler(Refusal)
def refusal_response(refusal: Refusal) -> Response:
    response = json_response(refusal.body(), refusal.status)
    response.headers.update(refusal.headers)
    return response


def require_json_content_type() -> None:
    if request.mimetype != "application/json":
        detail = f'Unsupported media type "{request.mimetype}" in request.'
        raise Refusal(415, INCOMPATIBLE_DATA, {"content_type": [detail]})


def merchant_call() -> None:
    """Basic auth, then the Content-Type rule (see the module docstring)."""
    config = current_app.config
    if not basic_matches(request.headers, config["PAYTREK_API_KEY"], config["PAYTREK_SECRET"]):
        raise Refusal(401, AUTHENTICATION_ERROR, headers={"WWW-Authenticate": 'Basic realm="api"'})
    require_json_content_type()


def json_body() -> Any:
    try:
        return parse_json(request.get_data())
    except (ValueError, RecursionError) as error:
        detail = f"JSON parse error - {error}"
        raise Refusal(400, INCOMPATIBLE_DATA, {"non_field_errors": [detail]}) from None


def merchant_input(fields: Mapping[str, validation.Field]) -> dict[str, Any]:
    """A merchant POST's validated fields, after the gate."""
    merchant_call()
    return validation.validated(json_body(), fields)
