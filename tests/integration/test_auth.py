"""Staff login through the real app: sessions, lockout, logout, next, cross-site refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from tests.conftest import CSRF_FIELD, STAFF_PASSWORD, csrf_token
from webapp.extensions import db
from webapp.models import LoginFailure, StaffSession

GENERIC_ERROR = "Wrong e-mail or password."


def login(client, email, password, next_url=None, **headers):
    token = csrf_token(client, "/console/login")
    path = "/console/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        path,
        data={"email": email, "password": password, "csrf_token": token},
        headers={"Accept-Language": "en", **headers},
    )


def test_login_opens_the_console(client, staff_user):
    response = login(client, staff_user, STAFF_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    page = client.get("/console/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Signed in as {staff_user}" in page


def test_console_needs_login(client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("staff@example.com", "wrong-password-123"),
        ("nobody@example.com", STAFF_PASSWORD),
    ],
)
def test_failures_look_the_same(client, staff_user, email, password):
    response = login(client, email, password)
    assert response.status_code == 400
    assert GENERIC_ERROR in response.get_data(as_text=True)


def test_lockout_after_ten_failures_even_with_the_right_password(app, client, staff_user):
    for _ in range(10):
        assert login(client, staff_user, "wrong-password-123").status_code == 400
    response = login(client, staff_user, STAFF_PASSWORD)
    assert response.status_code == 400
    assert GENERIC_ERROR in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(LoginFailure, f"account:{staff_user}")
        assert row.locked_until is not None
        assert (row.locked_until - row.first_at).total_seconds() >= 30 * 60


def test_unknown_account_locks_the_same_way(app, client, staff_user):
    for _ in range(10):
        login(client, "ghost@example.com", "wrong-password-123")
    with app.app_context():
        assert db.session.get(LoginFailure, "account:ghost@example.com").locked_until


def test_logout_ends_the_session_on_the_server(app, client, staff_user):
    login(client, staff_user, STAFF_PASSWORD)
    stolen = client.get_cookie("session").value
    token = csrf_token(client, "/console/")
    response = client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(select(StaffSession)).first() is None
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    assert thief.get("/console/").status_code == 302


def test_login_starts_a_new_session(client, staff_user):
    client.get("/console/login")
    before = client.get_cookie("session").value
    login(client, staff_user, STAFF_PASSWORD)
    assert client.get_cookie("session").value != before


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/console/?tab=1", "/console/?tab=1"),
        ("//evil.example/", "/console/"),
        ("https://evil.example/", "/console/"),
    ],
)
def test_next_only_leads_to_our_own_paths(client, staff_user, next_url, expected):
    response = login(client, staff_user, STAFF_PASSWORD, next_url=next_url)
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
)
def test_cross_site_post_is_refused(client, staff_user, headers):
    response = login(client, staff_user, STAFF_PASSWORD, **headers)
    assert response.status_code == 403


def test_same_origin_post_is_accepted(client, staff_user):
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert login(client, staff_user, STAFF_PASSWORD, **headers).status_code == 302


def test_login_without_csrf_token_is_refused(client, staff_user):
    response = client.post("/console/login", data={"email": staff_user, "password": "x" * 12})
    assert response.status_code == 400


def test_login_is_rate_limited_per_address(make_app, staff_user):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [login(client, "a@example.com", "wrong-password-123").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_production_session_cookie_flags(make_app, staff_user):
    app = make_app(
        APP_ENV="production",
        REDIS_URL="redis://127.0.0.1:6379/15",
        ALLOW_SANDBOX="true",
        RATELIMIT_ENABLED="false",
    )
    client = app.test_client()
    page = client.get("/console/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    response = client.post(
        "/console/login",
        data={"email": staff_user, "password": STAFF_PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/console/login"},
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(0) < expires - datetime.now(UTC) <= timedelta(hours=1)
