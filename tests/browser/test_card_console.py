"""Staff act on card payments from the console: refunds and captures reach Paytrek."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.cards import log_in_staff, make_merchant, pay_hosted

pytestmark = pytest.mark.browser


def open_in_console(page: Page, site, checkout_id: str) -> None:
    page.goto(f"{site.url}/console/checkouts")
    page.get_by_role("link", name=checkout_id).click()
    expect(page.get_by_role("heading", name=f"Ödeme {checkout_id}")).to_be_visible()


def sale_of(sandbox) -> dict:
    (sale,) = sandbox.records("paytrek", "sales")
    return sale


def test_partial_then_full_refund(page: Page, site, sandbox):
    checkout = pay_hosted(page, site, make_merchant(site))
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    log_in_staff(page, site)
    open_in_console(page, site, checkout["id"])
    page.get_by_label("İade tutarı").fill("2000.00")
    page.get_by_role("button", name="İade et").click()
    expect(page.get_by_text("En fazla ₺1.500,00 iade edilebilir.")).to_be_visible()
    page.get_by_label("İade tutarı").fill("500.00")
    page.get_by_role("button", name="İade et").click()
    expect(page.get_by_text("İade yapıldı.")).to_be_visible()
    expect(page.locator("#checkout-status")).to_have_text("Kısmen iade edildi")
    assert str(sale_of(sandbox)["refunded_amount"]) in ("500.00", "500.0", "500")
    page.get_by_label("İade tutarı").fill("1000.00")
    page.get_by_role("button", name="İade et").click()
    expect(page.locator("#checkout-status")).to_have_text("İade edildi")
    expect(page.get_by_label("İade tutarı")).to_have_count(0)
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("ops@example.com")


def test_capture_of_a_pre_authorized_sale(page: Page, site, sandbox):
    checkout = pay_hosted(
        page, site, make_merchant(site), capture="manual", methods=["card_hosted"]
    )
    expect(page.get_by_role("heading", name="Ödeme için provizyon alındı")).to_be_visible()
    log_in_staff(page, site)
    open_in_console(page, site, checkout["id"])
    expect(page.locator("#checkout-status")).to_have_text("Provizyon alındı")
    page.get_by_role("button", name="Tahsil et").click()
    expect(page.get_by_text("Ödeme tahsil edildi.")).to_be_visible()
    expect(page.locator("#checkout-status")).to_have_text("Ödendi")
    assert sale_of(sandbox)["status"] == "Paid"


def test_timeout_on_refund_blocks_further_operations_until_read_again(page: Page, site, sandbox):
    checkout = pay_hosted(page, site, make_merchant(site))
    expect(page.get_by_role("heading", name="Ödeme alındı")).to_be_visible()
    log_in_staff(page, site)
    open_in_console(page, site, checkout["id"])
    sandbox.fault("paytrek", "POST /api/v2/refund/", status=500, after=True, count=1)
    page.get_by_label("İade tutarı").fill("100.00")
    page.get_by_role("button", name="İade et").click()
    expect(page.get_by_text("Paytrek yanıt vermedi")).to_be_visible()
    page.get_by_label("İade tutarı").fill("100.00")
    page.get_by_role("button", name="İade et").click()
    expect(page.locator(".flash")).to_contain_text("önce satışı yeniden sorgulayın")
    page.get_by_role("button", name="Satışı yeniden sorgula").click()
    expect(page.locator("#checkout-status")).to_have_text("Kısmen iade edildi")
    assert len([r for r in sandbox.records("paytrek", "sales")]) == 1
