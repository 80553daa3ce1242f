"""A person on the site: languages, a missing page, staff login, lockout and logout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(site) -> str:
    from webapp.auth.passwords import hash_password
    from webapp.extensions import db
    from webapp.models import StaffUser

    with site.app.app_context():
        db.session.add(
            StaffUser(
                email="ops@example.com", role="admin", password_hash=hash_password(STAFF_PASSWORD)
            )
        )
        db.session.commit()
    return "ops@example.com"


def log_in(page: Page, site, email: str, password: str) -> None:
    page.goto(site.url + "/console/login")
    page.get_by_label("E-posta").fill(email)
    page.get_by_label("Parola").fill(password)
    page.get_by_role("button", name="Giriş yap").click()


def test_home_in_turkish_then_english_through_the_switcher(page: Page, site):
    page.goto(site.url + "/")
    expect(
        page.get_by_role("heading", name="Türk ödeme kuruluşları için tek ödeme sayfası")
    ).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(
        page.get_by_role("heading", name="One checkout for Turkish payment providers")
    ).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(
        page.get_by_role("heading", name="One checkout for Turkish payment providers")
    ).to_be_visible()
    page.get_by_role("button", name="Türkçe").click()
    expect(
        page.get_by_role("heading", name="Türk ödeme kuruluşları için tek ödeme sayfası")
    ).to_be_visible()


def test_missing_page(page: Page, site):
    response = page.goto(site.url + "/bu-sayfa-yok")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Sayfa bulunamadı")).to_be_visible()
    page.get_by_role("link", name="Ana sayfaya dön").click()
    expect(page).to_have_url(site.url + "/")


def test_staff_login_and_logout(page: Page, site, staff):
    log_in(page, site, staff, STAFF_PASSWORD)
    expect(page.get_by_text(f"{staff} olarak giriş yapıldı")).to_be_visible()
    page.get_by_role("button", name="Çıkış yap").click()
    expect(page.get_by_text("Çıkış yaptınız.")).to_be_visible()
    page.goto(site.url + "/console/")
    expect(page.get_by_role("heading", name="Personel girişi")).to_be_visible()


def test_wrong_password(page: Page, site, staff):
    log_in(page, site, staff, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("E-posta ya da parola hatalı.")
    expect(page.get_by_label("E-posta")).to_have_value(staff)


def test_lockout_after_ten_failures(page: Page, site, staff):
    for _ in range(10):
        log_in(page, site, staff, "not-the-password")
        expect(page.get_by_role("alert")).to_be_visible()
    log_in(page, site, staff, STAFF_PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("E-posta ya da parola hatalı.")
    page.goto(site.url + "/console/")
    expect(page.get_by_role("heading", name="Personel girişi")).to_be_visible()


def test_logged_out_cookie_no_longer_opens_the_console(page: Page, site, staff, browser):
    log_in(page, site, staff, STAFF_PASSWORD)
    expect(page.get_by_text(f"{staff} olarak giriş yapıldı")).to_be_visible()
    copied = page.context.cookies()
    page.get_by_role("button", name="Çıkış yap").click()
    expect(page.get_by_text("Çıkış yaptınız.")).to_be_visible()
    other = browser.new_context(locale="tr-TR")
    try:
        other.add_cookies(copied)
        replay = other.new_page()
        replay.goto(site.url + "/console/")
        expect(replay.get_by_role("heading", name="Personel girişi")).to_be_visible()
    finally:
        other.close()


def test_pages_send_csp_and_strict_cookies(page: Page, site, staff):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(site.url + "/console/login")
    headers = response.headers
    csp = headers["content-security-policy"]
    assert re.search(r"script-src 'self' 'nonce-[\w-]+'", csp)
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert (
        int(re.search(r"max-age=(\d+)", headers["strict-transport-security"]).group(1))
        >= 31_536_000
    )
    log_in(page, site, staff, STAFF_PASSWORD)
    expect(page.get_by_text(f"{staff} olarak giriş yapıldı")).to_be_visible()
    session = next(c for c in page.context.cookies() if c["name"].startswith("__Host-"))
    assert session["name"] == "__Host-session"
    assert session["secure"] and session["httpOnly"]
    assert session["sameSite"] == "Lax"
    assert session["path"] == "/"
    assert violations == []
