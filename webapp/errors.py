"""Error answers in the caller's own format: HTML for people, JSON for the API and webhooks."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

_JSON_PREFIXES = ("/api/", "/hooks/", "/cari/")


def _wants_json() -> bool:
    return request.path.startswith(_JSON_PREFIXES)


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("Forbidden"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        413: _("Request too large"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
        503: _("Temporarily unavailable"),
    }


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please go back and try again."),
        403: _("You are not allowed to do this."),
        404: _("We could not find the page you asked for."),
        405: _("This address does not accept that kind of request."),
        413: _("The request was too large."),
        429: _("Too many attempts. Please wait a little and try again."),
        500: _("An unexpected error occurred on our side. Please try again in a moment."),
        503: _("We cannot reach our database right now. Please try again in a minute."),
    }


def render_error(status: int, code: str | None = None, message: str | None = None):
    if _wants_json():  # for programs: in English, as the API's own errors are
        with force_locale("en"):
            text = message or _titles()[status]
        return jsonify({"error": {"code": code or str(status), "message": text}}), status
    title = _titles().get(status, _titles()[400])
    text = message or _messages().get(status, _messages()[400])
    return render_template("errors/error.html", status=status, title=title, message=text), status


def _http_error(error: HTTPException):
    status = error.code or 500
    if status not in _titles():
        status = 400 if status < 500 else 500
    return render_error(status)


def _csrf_error(error: CSRFError):
    message = _("Your form expired or was sent from another page. Please reload and try again.")
    return render_error(400, "csrf_failed", message)


def _database_unreachable(error: OperationalError):
    """The database is down or restarting: the caller may simply try again (a provider resends)."""
    log.error("database unreachable on %s %s: %s", request.method, request.path, error.orig)
    return render_error(503)


def _unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(OperationalError, _database_unreachable)
    app.register_error_handler(Exception, _unexpected)
