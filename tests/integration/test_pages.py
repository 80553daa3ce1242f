"""Public pages: languages, error pages, security headers, health checks."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token


def test_home_is_turkish_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="tr">' in page
    assert "Türk ödeme kuruluşları için tek ödeme sayfası" in page


def test_home_in_english_from_accept_language(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "One checkout for Turkish payment providers" in page


def test_switcher_remembers_the_choice_and_returns_to_the_page(client):
    token = csrf_token(client, "/console/login")
    response = client.post(
        "/language", data={"language": "en", "next": "/console/login", "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/console/login"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Staff login" in client.get("/console/login").get_data(as_text=True)


def test_switcher_never_redirects_off_site(client):
    token = csrf_token(client, "/")
    response = client.post(
        "/language", data={"language": "en", "next": "https://evil.example", "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("language", "text"), [("tr", "Sayfa bulunamadı"), ("en", "Page not found")]
)
def test_not_found_page_in_both_languages(client, language, text):
    response = client.get("/no-such-page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_api_errors_are_json_in_english_like_the_apis_own(client):
    response = client.get("/api/v1/nothing-here", headers={"Accept-Language": "tr"})
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "404", "message": "Page not found"}}


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert nonce != re.search(
        r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]
    ).group(1)


def test_hsts_only_outside_local_development(client, make_app):
    assert "Strict-Transport-Security" not in client.get("/").headers
    production = make_app(
        APP_ENV="production",
        REDIS_URL="redis://127.0.0.1:6379/15",
        ALLOW_SANDBOX="true",
        RATELIMIT_ENABLED="false",
    ).test_client()
    hsts = production.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31_536_000


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def test_readiness_fails_when_the_database_is_unreachable(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_pages_answer_503_while_the_database_is_unreachable(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    client = app.test_client()

    page = client.get("/pay/co_0123456789abcdef0123", headers={"Accept-Language": "en"})
    assert page.status_code == 503
    assert "We cannot reach our database right now" in page.get_data(as_text=True)
    api = client.get("/api/v1/checkouts/co_x", headers={"Authorization": "Bearer k"})
    assert api.status_code == 503
    assert api.get_json() == {"error": {"code": "503", "message": "Temporarily unavailable"}}


def test_public_pages_are_rate_limited_per_address(make_app):
    client = make_app(PUBLIC_RATE_LIMIT="2 per minute").test_client()
    statuses = [client.get("/", headers={"Accept-Language": "en"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Too many attempts" in page
    assert client.get("/healthz").status_code == 200


def test_pages_stay_up_and_limited_while_redis_is_away(make_app):
    # Nothing listens on port 1: the limiter counts in this process until Redis answers again.
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0", PUBLIC_RATE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [client.get("/", headers={"Accept-Language": "en"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    ("language", "text"), [("tr", "Bir şeyler ters gitti"), ("en", "Something went wrong")]
)
def test_unexpected_error_page_in_both_languages(make_app, language, text, caplog):
    app = make_app()

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken", headers={"Accept-Language": language})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert text in page
    assert "boom" not in page
    assert "RuntimeError: boom" in caplog.text
