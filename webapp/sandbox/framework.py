"""The sandbox's own pages and test controls, under ``/_sandbox/``.

JSON controls (reset, clock, faults, deliveries, records, provider settings) for tests and
demos; HTML pages for people: the index and the operator page listing every provider's items
awaiting a decision. Control POSTs must be JSON, which a browser cannot send cross-site
without a CORS preflight, so a web page elsewhere cannot reset or fault the sandbox.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from .faults import FaultError
from .operator import CSRF_FIELD
from .registry import SandboxProvider, SettingsError
from .services import current
from .webhooks import DELIVERIES

bp = Blueprint("sandbox", __name__, url_prefix="/_sandbox")


def _json_object() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        abort(400, description="send a JSON object with Content-Type: application/json")
    return data


def _provider(name: str) -> SandboxProvider:
    provider = current().providers.get(name)
    if provider is None:
        abort(404, description=f"no simulated provider {name!r}")
    return provider


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("sandbox/index.html", providers=current().providers.values())


@bp.post("/reset")
def reset() -> ResponseReturnValue:
    _json_object()
    current().reset()
    return jsonify(status="reset")


@bp.route("/clock", methods=["GET", "POST"])
def clock() -> ResponseReturnValue:
    sandbox_clock = current().clock
    if request.method == "POST":
        seconds = _json_object().get("advance_seconds")
        valid = isinstance(seconds, int | float) and not isinstance(seconds, bool)
        if not valid or not math.isfinite(seconds) or seconds < 0:
            abort(400, description="advance_seconds: a number of seconds, not negative")
        sandbox_clock.advance(seconds)
    return jsonify(now=sandbox_clock.now(), offset_seconds=sandbox_clock.offset_seconds)


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> ResponseReturnValue:
    book = current().faults
    if request.method == "POST":
        try:
            rule = book.add(_json_object(), known_providers=current().providers)
        except FaultError as error:
            abort(400, description=str(error))
        return jsonify(rule.to_json()), 201
    if request.method == "DELETE":
        book.clear()
    return jsonify(faults=book.rules())


@bp.get("/deliveries")
def deliveries() -> ResponseReturnValue:
    provider = request.args.get("provider")
    records = current().store.find(
        *DELIVERIES, where=lambda record: provider in (None, record["provider"])
    )
    return jsonify(deliveries=records, in_flight=current().webhooks.in_flight)


@bp.get("/records/<provider>/<table>")
def records(provider: str, table: str) -> ResponseReturnValue:
    _provider(provider)
    return jsonify(records=current().store.find(provider, table))


@bp.route("/<provider>/settings", methods=["GET", "POST"])
def settings(provider: str) -> ResponseReturnValue:
    simulated = _provider(provider)
    if request.method == "POST":
        try:
            changes = simulated.checked_settings(_json_object())
        except SettingsError as error:
            abort(400, description=str(error))
        current().store.update_settings(provider, **changes)
    return jsonify(current().settings(provider))


@bp.get("/operator")
def operator_page() -> ResponseReturnValue:
    pending = [(provider, provider.pending_items()) for provider in current().providers.values()]
    return render_template(
        "sandbox/operator.html",
        pending=pending,
        token_field=CSRF_FIELD,
        token=current().operator_token,
    )
