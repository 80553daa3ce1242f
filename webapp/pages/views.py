"""The public pages that are not a payment: home, the language switcher and health checks."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.i18n import LANGUAGE_COOKIE
from webapp.navigation import safe_next

bp = Blueprint("pages", __name__)
log = logging.getLogger(__name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.post("/language")
def choose_language():
    """Remember the reader's language for a year; CSRFProtect has already checked the form."""
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next"), url_for("pages.home"))
    response = redirect(target, code=303)
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=ONE_YEAR,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


@bp.get("/healthz")
def healthz():
    """The process is alive; says nothing about its dependencies (that is /readyz)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve when the database answers; a load balancer takes the host out otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("readiness check: database unreachable")
        return jsonify(status="unavailable", database="unreachable"), 503
    finally:
        db.session.rollback()
    return jsonify(status="ok", database="ok")
