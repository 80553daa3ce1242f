"""The webhooks blueprint: server-to-server, so no CSRF token and no cross-site check; each
handler authenticates the caller itself. Errors are JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify

from webapp.extensions import csrf

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
csrf.exempt(bp)


def answer(status: int, code: str, message: str = ""):
    """The one JSON answer webhooks get: providers log it, none of them parses it."""
    return jsonify(status=code, message=message), status
