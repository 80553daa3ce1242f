"""Helpers for card-checkout browser tests: merchants and checkouts made as a merchant would."""

from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from webapp.extensions import db
from webapp.models import Merchant

PAID_CARD = "4508034508034509"
THREE_D_CARD = "4355084355084358"
DECLINED_LIMIT_CARD = "4000000000100208"  # 10020 Insufficient Limit


def make_merchant(site) -> dict:
    with site.app.app_context():
        merchant, api_key = Merchant.create("Kitapçı", [site.url])
        db.session.add(merchant)
        db.session.commit()
        return {"id": merchant.public_id, "key": api_key, "secret": merchant.link_secret}


def create_checkout(site, merchant, **overrides) -> dict:
    body = {
        "amount": "1500.00",
        "currency": "TRY",
        "order_id": overrides.pop("order_id", "ORDER-1"),
        "description": "Kitap siparişi",
        "customer": {
            "id": "c-1",
            "first_name": "Ayşe",
            "last_name": "Yılmaz",
            "email": "ayse@example.com",
        },
        "billing": {"address": "Bağdat Cad. 1", "city": "İstanbul", "country": "TR"},
        "success_url": f"{site.url}/?paid=1",
        "cancel_url": f"{site.url}/?cancelled=1",
        **overrides,
    }
    response = requests.post(
        f"{site.url}/api/v1/checkouts",
        json=body,
        headers={"Authorization": f"Bearer {merchant['key']}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def choose(page: Page, method_label: str) -> None:
    page.get_by_label(method_label).check()
    page.get_by_role("button", name="Ödemeye geç").click()


def pay_on_hosted_page(page: Page, number: str, *, year: str = "2030") -> None:
    expect(page.get_by_label("Kart Numarası")).to_be_visible()
    page.get_by_label("Kart Numarası").fill(number)
    page.get_by_label("Kart Sahibi").fill("AYSE YILMAZ")
    page.get_by_label("Son Kullanma Ayı").fill("12")
    page.get_by_label("Son Kullanma Yılı").fill(year)
    page.get_by_label("CVC").fill("000")
    page.get_by_role("button", name="Öde").click()


def pay_hosted(page: Page, site, merchant, **checkout_fields) -> dict:
    """A checkout paid on the hosted page, as a customer would; returns the checkout."""
    checkout = create_checkout(site, merchant, **checkout_fields)
    page.goto(checkout["url"])
    choose(page, "Kart (Paytrek güvenli ödeme sayfası)")
    pay_on_hosted_page(page, PAID_CARD)
    return checkout


def log_in_staff(page: Page, site) -> None:
    from tests.conftest import STAFF_PASSWORD
    from webapp.auth.passwords import hash_password
    from webapp.models import StaffUser

    with site.app.app_context():
        db.session.add(
            StaffUser(
                email="ops@example.com", role="admin", password_hash=hash_password(STAFF_PASSWORD)
            )
        )
        db.session.commit()
    page.goto(site.url + "/console/login")
    page.get_by_label("E-posta").fill("ops@example.com")
    page.get_by_label("Parola").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Giriş yap").click()
    expect(page.get_by_text("ops@example.com olarak giriş yapıldı")).to_be_visible()
