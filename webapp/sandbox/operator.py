"""Helpers for the provider routes an operator (or a test) uses to decide pending items.

The operator page posts HTML forms to each provider's own operator routes; tests post JSON to
the same routes. A form must carry the per-process ``operator_token`` (a simple CSRF guard even
on localhost); a JSON request needs none because a browser cannot send
``Content-Type: application/json`` cross-site without a CORS preflight the sandbox never
grants. Forms are answered with a redirect back to the operator page, JSON with the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from .auth import matches
from .services import current

CSRF_FIELD = "operator_token"


def operator_input() -> Mapping[str, Any]:
    """The posted fields after the CSRF check: the JSON object or the checked form."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, description="expected a JSON object")
        return data
    if not matches(request.form.get(CSRF_FIELD), current().operator_token):
        abort(403, description="operator form without a valid operator_token")
    return request.form


def operator_reply(record: Mapping[str, Any]) -> ResponseReturnValue:
    if request.is_json:
        return jsonify(record)
    return redirect(url_for("sandbox.operator_page"), code=303)
