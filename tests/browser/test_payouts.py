"""A customer requests a payout through a merchant-signed link, in Turkish, and follows it."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.cards import make_merchant
from webapp.extensions import db
from webapp.models import Merchant, Payout, PayoutStatus
from webapp.payments.payout_links import build_payout_link
from webapp.payments.payouts import apply_withdrawal_outcome
from webapp.payments.status import Cause

pytestmark = pytest.mark.browser
IBAN_TYPED = "TR32 0010 0099 9990 1234 5678 90"
MASKED = "*" * 22 + "7890"
STATUS_URL = re.compile(r"/payout/po_[0-9a-f]+$")


def payout_link(site, merchant, *, provider: str = "pientegra", **overrides) -> str:
    fields = {
        "link_id": "L-100",
        "customer_id": "cust-7",
        "max_amount": "500.00",
        "expires": str(int(time.time()) + 3600),
        **overrides,
    }
    with site.app.app_context():
        row = db.session.execute(
            select(Merchant).where(Merchant.public_id == merchant["id"])
        ).scalar_one()
        row.default_payout_provider = provider
        db.session.commit()
        return build_payout_link(row, f"{site.url}/payout/link", fields)


def fill(page: Page, iban: str, name: str, amount: str) -> None:
    page.get_by_label("IBAN").fill(iban)
    page.get_by_label("Hesap sahibinin adı").fill(name)
    page.get_by_label("Tutar (TRY)").fill(amount)
    page.get_by_role("button", name="Para çekme talebi gönder").click()


def stored_payouts(site) -> list[Payout]:
    with site.app.app_context():
        return db.session.execute(select(Payout)).scalars().all()


def test_payout_link_with_an_invalid_iban_then_a_valid_one(page: Page, site, sandbox):
    page.goto(payout_link(site, make_merchant(site)))
    expect(page.get_by_role("heading", name="Para çekme talebi")).to_be_visible()
    expect(page.get_by_text("en fazla ₺500,00")).to_be_visible()

    fill(page, "TR32 0010 0099 9990 1234 5678 91", "", "9999")

    iban = page.get_by_label("IBAN")
    expect(iban).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#iban-errors")).to_have_text(
        "Bu IBAN geçerli değil: lütfen rakamları kontrol edin."
    )
    expect(page.locator("#holder_name-errors")).to_have_text("Hesap sahibinin adını girin.")
    expect(page.get_by_label("Tutar (TRY)")).to_have_attribute("aria-invalid", "true")
    assert stored_payouts(site) == [] and sandbox.records("pientegra", "withdrawals") == []

    fill(page, IBAN_TYPED, "Ayşe Yılmaz", "250,00")

    expect(page).to_have_url(STATUS_URL)
    expect(page.get_by_role("heading", name="Para çekme işleniyor")).to_be_visible()
    expect(page.get_by_text(MASKED)).to_be_visible()
    expect(page.get_by_text("₺250,00")).to_be_visible()
    (payout,) = stored_payouts(site)
    assert (payout.iban, payout.amount_minor) == ("TR320010009999901234567890", 25_000)
    (sent,) = sandbox.records("pientegra", "withdrawals")
    assert sent["targetIban"] == "TR320010009999901234567890"


def test_tampered_payout_link(page: Page, site):
    url = payout_link(site, make_merchant(site)).replace("max_amount=500.00", "max_amount=50000.00")

    response = page.goto(url)

    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", name="Bu para çekme linki geçerli değil")).to_be_visible()
    expect(page.get_by_label("IBAN")).to_have_count(0)
    assert stored_payouts(site) == []


def test_expired_payout_link(page: Page, site):
    response = page.goto(payout_link(site, make_merchant(site), expires=str(int(time.time()) - 60)))

    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name="Bu para çekme linkinin süresi doldu")).to_be_visible()


def test_a_replayed_link_sends_nothing_twice(page: Page, site, sandbox):
    url = payout_link(site, make_merchant(site))
    second_tab = page.context.new_page()
    page.goto(url)
    second_tab.goto(url)  # the same link opened twice, e.g. copied into another tab

    fill(page, IBAN_TYPED, "Ayşe Yılmaz", "100")
    expect(page).to_have_url(STATUS_URL)
    fill(second_tab, IBAN_TYPED, "Ayşe Yılmaz", "400")
    expect(second_tab).to_have_url(page.url)
    page.goto(url)
    expect(page).to_have_url(second_tab.url)

    (payout,) = stored_payouts(site)
    assert payout.amount_minor == 10_000
    assert len(sandbox.records("pientegra", "withdrawals")) == 1


def test_payout_status_page_updates_itself(page: Page, site):
    page.goto(payout_link(site, make_merchant(site)))
    fill(page, IBAN_TYPED, "Ayşe Yılmaz", "120,50")
    expect(page.get_by_role("heading", name="Para çekme işleniyor")).to_be_visible()
    expect(page.get_by_text("Ödeme kuruluşu para çekme talebinizi inceliyor.")).to_be_visible()

    with site.app.app_context():
        (payout,) = db.session.execute(select(Payout)).scalars().all()
        apply_withdrawal_outcome(payout, PayoutStatus.SENT, Cause.webhook("evt_browser"))
        db.session.commit()

    expect(page.get_by_role("heading", name="Para gönderildi")).to_be_visible(timeout=15_000)
    expect(page.get_by_text(MASKED)).to_be_visible()


def test_a_nexkasa_payout_shows_the_operator_queue(page: Page, site, sandbox):
    page.goto(payout_link(site, make_merchant(site), provider="nexkasa"))
    fill(page, IBAN_TYPED, "Ayşe Yılmaz", "300")

    expect(page.get_by_text("Para çekme talebiniz operatör kuyruğunda.")).to_be_visible()
    (sent,) = sandbox.records("nexkasa", "transactions")
    assert sent["status"] == "WAITING_ASSIGNMENT"
    assert sent["callback_url"].startswith(f"{site.url}/hooks/nexkasa/po_")
