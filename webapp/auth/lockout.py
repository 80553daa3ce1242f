"""Failed-login counting in the database, so every worker and host sees the same count.

An account (known or not: unknown e-mails are counted alike, so the answers cannot tell them
apart) is locked for ``LOGIN_LOCKOUT_MINUTES`` after ``LOGIN_MAX_FAILURES`` failures within that
window. The per-address limit is Flask-Limiter's, on the login view.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import LoginFailure
from webapp.models.types import utcnow


def account_key(email: str) -> str:
    return "account:" + email


def is_locked(key: str, now: datetime | None = None) -> bool:
    row = db.session.get(LoginFailure, key)
    now = now or utcnow()
    return bool(row and row.locked_until and row.locked_until > now)


def record_failure(key: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    window = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    statement = select(LoginFailure).where(LoginFailure.key == key).with_for_update()
    row = db.session.execute(statement).scalar_one_or_none()
    if row is None:
        row = LoginFailure(key=key, count=0, first_at=now)
        db.session.add(row)
    elif row.first_at < now - window and not (row.locked_until and row.locked_until > now):
        row.count, row.first_at, row.locked_until = 0, now, None
    row.count += 1
    if row.count >= current_app.config["LOGIN_MAX_FAILURES"]:
        row.locked_until = now + window


def clear(key: str) -> None:
    row = db.session.get(LoginFailure, key)
    if row is not None:
        db.session.delete(row)
