"""Server-side staff sessions: the signed cookie only carries a random token naming a row here.

Logging out deletes the row, so a copy of the old cookie no longer opens the console. Each
request slides the expiry forward, at most once a minute to spare writes.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import StaffSession, StaffUser
from webapp.models.types import utcnow


def _lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_MINUTES"])


def start_session(user: StaffUser) -> StaffSession:
    token = secrets.token_urlsafe(32)
    staff_session = StaffSession(
        token_hash=StaffSession.hash_token(token), user=user, expires_at=utcnow() + _lifetime()
    )
    staff_session.token = token
    db.session.add(staff_session)
    return staff_session


def load_session(token: str) -> StaffSession | None:
    """Flask-Login's user loader: a live session of an active user, or nobody."""
    now = utcnow()
    statement = select(StaffSession).where(
        StaffSession.token_hash == StaffSession.hash_token(token), StaffSession.expires_at > now
    )
    staff_session = db.session.execute(statement).scalar_one_or_none()
    if staff_session is None or not staff_session.user.active:
        return None
    staff_session.token = token
    renewed = now + _lifetime()
    if renewed - staff_session.expires_at > timedelta(minutes=1):
        staff_session.expires_at = renewed
        db.session.commit()
    return staff_session


def end_session(staff_session: StaffSession) -> None:
    db.session.execute(delete(StaffSession).where(StaffSession.id == staff_session.id))
    db.session.execute(delete(StaffSession).where(StaffSession.expires_at <= utcnow()))
