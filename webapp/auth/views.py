"""Login and logout. Every failure gets the same answer and costs the same time, whether the
account is unknown, locked, inactive or the password wrong."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from webapp.auth import lockout
from webapp.auth.forms import LoginForm
from webapp.auth.passwords import hash_password, needs_rehash, verify_password
from webapp.auth.sessions import end_session, start_session
from webapp.extensions import db
from webapp.models import StaffUser
from webapp.navigation import safe_next

bp = Blueprint("auth", __name__, url_prefix="/console")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("console.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = _authenticate(form.email.data.strip().lower(), form.password.data)
        if user is not None:
            session.clear()  # a fresh session at login: nothing from before survives
            staff_session = start_session(user)
            db.session.commit()
            session.permanent = True
            login_user(staff_session)
            return redirect(safe_next(request.args.get("next"), url_for("console.index")))
        form.form_errors.append(_("Wrong e-mail or password."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def _authenticate(email: str, password: str) -> StaffUser | None:
    key = lockout.account_key(email)
    user = db.session.execute(
        select(StaffUser).where(func.lower(StaffUser.email) == email)
    ).scalar_one_or_none()
    locked = lockout.is_locked(key)
    # Verify even when the answer is already known, so timing tells nothing.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is not None and user.active and password_ok and not locked:
        lockout.clear(key)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user
    lockout.record_failure(key)
    db.session.commit()
    return None


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_session(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
