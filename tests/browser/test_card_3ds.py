"""A customer pays by card on our page: PaytrekJS tokenises the card, then 3-D Secure."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.cards import THREE_D_CARD, choose, create_checkout, make_merchant
from webapp.extensions import db
from webapp.models import Checkout

pytestmark = pytest.mark.browser
THREE_DS = "3-D Secure ile kart"
WRONG_PASSWORD_CARD = "4000000000400061"  # 40006 whatever the password


def fill_card(page: Page, number: str) -> None:
    page.get_by_label("Kart numarası").fill(number)
    page.get_by_label("Kart üzerindeki isim").fill("AYSE YILMAZ")
    page.get_by_label("Son kullanma ayı").select_option("12")
    page.get_by_label("Son kullanma yılı").select_option("2030")
    page.get_by_label("Güvenlik kodu (CVC)").fill("000")
    page.get_by_role("button", name="Öde").click()


def status_of(site, public_id) -> tuple[str, list[str]]:
    with site.app.app_context():
        row = db.session.execute(
            select(Checkout).where(Checkout.public_id == public_id)
        ).scalar_one()
        return row.status, [a.status for a in row.attempts]


def start(page: Page, site) -> dict:
    checkout = create_checkout(site, make_merchant(site))
    page.goto(checkout["url"])
    choose(page, THREE_DS)
    expect(page.get_by_role("heading", name="Kartla ödeme")).to_be_visible()
    return checkout


def test_3ds_success_and_our_server_never_sees_the_card(page: Page, site, sandbox):
    sent_to_us: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda request: (
            sent_to_us.append((request.url, request.post_data or ""))
            if request.url.startswith(site.url)
            else None
        ),
    )
    checkout = start(page, site)
    fill_card(page, THREE_D_CARD)
    expect(page.get_by_role("heading", name="Taksit")).to_be_visible()
    page.get_by_label("Tek çekim").check()
    page.get_by_role("button", name="Öde").click()
    page.get_by_label("3D Secure şifresi").fill("a")
    page.get_by_role("button", name="Onayla").click()
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    assert status_of(site, checkout["id"]) == ("paid", ["succeeded"])
    card_posts = [parse_qs(body) for url, body in sent_to_us if url.endswith("/card") and body]
    assert len(card_posts) == 2  # the token, then the installment choice
    for fields in card_posts:
        assert set(fields) <= {"csrf_token", "card_token", "installment"}
    assert not any(THREE_D_CARD in url + body for url, body in sent_to_us)
    # PaytrekJS's orderId is the order id the sale is then created with (paytrek-api.txt).
    [card_record] = sandbox.records("paytrek", "vault")
    [sale] = sandbox.records("paytrek", "sales")
    assert card_record["sale_data"]["order_id"] == sale["order_id"] == f"{checkout['id']}-1"


def test_installments_show_and_charge_the_checkout_amount(page: Page, site, sandbox):
    checkout = start(page, site)
    fill_card(page, THREE_D_CARD)
    plan = page.get_by_label("3 taksit")
    # The bank's commission-inclusive total is not what the customer pays: the sale's amount is.
    expect(page.locator("label", has=plan)).to_contain_text("₺1.500,00")
    plan.check()
    page.get_by_role("button", name="Öde").click()
    page.get_by_label("3D Secure şifresi").fill("a")
    page.get_by_role("button", name="Onayla").click()
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    [sale] = sandbox.records("paytrek", "sales")
    assert (sale["amount"], sale["installment"]) == ("1500.00", 3)
    assert status_of(site, checkout["id"]) == ("paid", ["succeeded"])


def test_3ds_wrong_password(page: Page, site, sandbox):
    checkout = start(page, site)
    fill_card(page, WRONG_PASSWORD_CARD)
    page.get_by_label("3D Secure şifresi").fill("wrong")
    page.get_by_role("button", name="Onayla").click()
    expect(page.get_by_role("heading", name="Ödeme tamamlanmadı")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("3-D Secure doğrulaması başarısız oldu")
    assert status_of(site, checkout["id"]) == ("open", ["failed"])


def test_3ds_abandoned_then_paid(page: Page, site, sandbox):
    checkout = start(page, site)
    fill_card(page, THREE_D_CARD)
    page.get_by_role("button", name="Öde").click()  # single payment is preselected
    page.get_by_role("link", name="Vazgeç").click()
    expect(page.get_by_role("heading", name="Ödeme tamamlanmadı")).to_be_visible()
    assert status_of(site, checkout["id"]) == ("open", ["abandoned"])
    page.get_by_role("link", name="Tekrar dene").click()
    choose(page, THREE_DS)
    fill_card(page, THREE_D_CARD)
    page.get_by_role("button", name="Öde").click()
    page.get_by_label("3D Secure şifresi").fill("a")
    page.get_by_role("button", name="Onayla").click()
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    assert status_of(site, checkout["id"]) == ("paid", ["abandoned", "succeeded"])
