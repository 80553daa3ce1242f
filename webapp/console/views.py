"""Console pages. The shell is here; payments, payouts and paylinks arrive with their issues."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("console", __name__, url_prefix="/console")


@bp.before_request
@login_required
def _require_staff() -> None:
    """Every console page needs a live staff session; the login view lives in ``webapp.auth``."""


@bp.get("/")
def index():
    return render_template("console/index.html")
